from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

_INCIDENTS = (
    Capability.INCIDENT_REPORT,
    Capability.INCIDENT_MANAGE,
    Capability.ALLEGATIONS,
    Capability.ALLEGATIONS_HEAD,
)


class CoreConfig(NavApp):
    name = "schoolgate.web.core"
    label = "core"
    verbose_name = "Schoolgate"

    # Home, and stand-ins for the apps that do not declare their entry yet (an app's own entry with the
    # same URL name replaces the stand-in). Orders: 0 home, 10 log, 20 people, 30-40 policy, 60
    # reports, 70 audit, 80 staff logins.
    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Home", "core:home", order=0),
        NavItem("Online safety log", "incidents:list", _INCIDENTS, order=10),
        NavItem("Governors' report", "reports:governors", Capability.GOVERNORS_REPORT, order=60),
    )
