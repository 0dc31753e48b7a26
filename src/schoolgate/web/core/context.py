"""The navigation on every page: the main menu, and the current app's sections, only those the user's
roles at the current school open (`core.nav`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from schoolgate.web.core.nav import app_of, main_menu, sections


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    if user is None or not user.is_authenticated or school is None:
        return {"nav": [], "subnav": [], "subnav_label": ""}
    match = getattr(request, "resolver_match", None)
    app = app_of(match.app_name) if match is not None and match.app_name else None
    subnav = sections(app, user, school, match.view_name) if app is not None and match is not None else []
    return {
        "nav": main_menu(user, school, request.path),
        "subnav": subnav,
        "subnav_label": app.sections_label if app is not None else "",
    }
