"""Photo and video consent: the pages, under /consent/."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.consent import views

app_name = "consent"

urlpatterns = [
    path("", views.grid_view, name="grid"),
    path("check/", views.check_view, name="check"),
    path("trip/", views.trip_view, name="trip"),
    path("classes/<int:pk>/send/", views.send_class_view, name="send-class"),
    path("children/<int:pk>/", views.child_view, name="child"),
    path("children/<int:pk>/record/", views.record_view, name="record"),
    path("children/<int:pk>/send/", views.send_view, name="send"),
    path("parent/<str:token>/", views.link_view, name="link"),
]
