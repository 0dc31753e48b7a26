"""Annual review: the pages, under /review/."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.annualreview import views

app_name = "annualreview"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("next/", views.next_due_view, name="next-due"),
    path("<int:year>/", views.year_view, name="year"),
    path("<int:year>/points/<slug:point>/", views.answer_view, name="answer"),
    path("<int:year>/actions/new/", views.action_add_view, name="action-add"),
    path("<int:year>/actions/<int:pk>/done/", views.action_done_view, name="action-done"),
    path("<int:year>/sign/", views.sign_view, name="sign"),
    path("<int:year>/pdf/", views.pdf_view, name="pdf"),
]
