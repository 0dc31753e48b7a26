"""Devices and guest access: the pages, under /devices/."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.devices import views

app_name = "devices"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("add/", views.add_view, name="add"),
    path("<int:pk>/", views.device_view, name="device"),
    path("<int:pk>/change/", views.edit_view, name="edit"),
    path("<int:pk>/approve/", views.approve_view, name="approve"),
    path("<int:pk>/archive/", views.archive_view, name="archive"),
    path("<int:pk>/lend/", views.lend_view, name="lend"),
    path("loans/", views.loans_view, name="loans"),
    path("loans/<int:pk>/return/", views.return_view, name="return"),
    path("byod/", views.byod_view, name="byod"),
    path("guests/", views.guests_view, name="guests"),
    path("guests/new/<int:pk>/", views.guest_new_view, name="guest-new"),
    path("guests/<int:pk>/", views.guest_view, name="guest"),
    path("guests/<int:pk>/end/", views.guest_end_view, name="guest-end"),
]
