"""Devices and guest access: the pages, under /devices/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "devices"

urlpatterns: list[URLPattern] = []
