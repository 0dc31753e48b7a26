"""Acceptable-use agreements: the pages, under /agreements/."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.agreements import views

app_name = "agreements"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("new/", views.version_new_view, name="version-new"),
    path("versions/<int:pk>/", views.version_view, name="version"),
    path("chase/", views.chase_view, name="chase"),
    path("classes/<int:pk>/sign-sheet/", views.sign_sheet_view, name="sign-sheet"),
    path("record/", views.record_view, name="record"),
    path("people/<int:pk>/", views.person_view, name="person"),
    path("mine/", views.mine_view, name="mine"),
]
