"""Annual review: the pages, under /annualreview/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "annualreview"

urlpatterns: list[URLPattern] = []
