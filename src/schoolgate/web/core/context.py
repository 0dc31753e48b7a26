"""The navigation: only the sections the user's roles at the current school open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from schoolgate.web.accounts.choices import Capability

# (label, url name, capability needed); a section is current on its address and the ones below it.
_INCIDENTS = (
    Capability.INCIDENT_REPORT,
    Capability.INCIDENT_MANAGE,
    Capability.ALLEGATIONS,
    Capability.ALLEGATIONS_HEAD,
)
SECTIONS: tuple[tuple[str, str, Capability | tuple[Capability, ...] | None], ...] = (
    ("Home", "core:home", None),
    ("Online safety log", "incidents:list", _INCIDENTS),
    ("People", "people:list", Capability.PEOPLE_VIEW),
    ("Filtering policy", "policy:overview", Capability.POLICY_VIEW),
    ("Test a URL", "policy:test", Capability.URL_TEST),
    ("Governors' report", "reports:governors", Capability.GOVERNORS_REPORT),
    ("Audit trail", "audit:list", Capability.AUDIT_VIEW),
    ("Staff logins", "accounts:staff", Capability.ACCOUNTS_MANAGE),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    if user is None or not user.is_authenticated or school is None:
        return {"nav": []}
    items = []
    for label, name, capability in SECTIONS:
        needed = (capability,) if isinstance(capability, Capability) else capability
        if needed is not None and not any(user.can(c, school) for c in needed):
            continue
        url = reverse(name)
        current = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": label, "url": url, "current": current})
    return {"nav": items}
