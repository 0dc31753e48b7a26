"""Training: the pages, under /training/."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.training import views

app_name = "training"

urlpatterns = [
    path("", views.matrix_view, name="matrix"),
    path("courses/", views.courses_view, name="courses"),
    path("courses/add/", views.course_add_view, name="course-add"),
    path("courses/<int:pk>/", views.course_view, name="course"),
    path("courses/<int:pk>/archive/", views.course_archive_view, name="course-archive"),
    path("courses/<int:pk>/restore/", views.course_restore_view, name="course-restore"),
    path("record/", views.record_view, name="record"),
    path("people/<int:pk>/", views.person_view, name="person"),
    path("attendance/<int:pk>/", views.attendance_view, name="attendance"),
    path("attendance/<int:pk>/file/", views.certificate_view, name="certificate"),
    path(
        "attendance/<int:pk>/certificate/", views.attendance_certificate_view, name="attendance-certificate"
    ),
    path("attendance/<int:pk>/archive/", views.attendance_archive_view, name="attendance-archive"),
    path("mine/", views.mine_view, name="mine"),
    path("needs/", views.needs_view, name="needs"),
    path("needs/summary/", views.needs_summary_view, name="needs-summary"),
]
