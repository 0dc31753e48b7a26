"""The requests pages, under /requests/."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.filterrequests import views

app_name = "filterrequests"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.new_view, name="new"),
    path("new/unblock/", views.teacher_unblock_view, name="teacher-unblock"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/classes/<int:pk>/", views.teachers_view, name="teachers"),
    path("<int:number>/", views.request_view, name="request"),
    path("<int:number>/approve/", views.approve_view, name="request-approve"),
    path("<int:number>/refuse/", views.refuse_view, name="request-refuse"),
    path("<int:number>/ask/", views.ask_more_view, name="request-ask"),
    path("<int:number>/answer/", views.answer_view, name="request-answer"),
    path("<int:number>/withdraw/", views.withdraw_view, name="request-withdraw"),
    path("<int:number>/end/", views.end_view, name="request-end"),
]
