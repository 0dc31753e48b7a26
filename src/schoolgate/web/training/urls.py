"""Training: the pages, under /training/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "training"

urlpatterns: list[URLPattern] = []
