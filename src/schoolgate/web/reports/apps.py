"""The reports: the governors' report today, a module per subject it counts (`incidents`; alerts,
training and requests to come), on the school's terms (`terms`) with small numbers hidden (`counts`)."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem


class ReportsConfig(NavApp):
    name = "schoolgate.web.reports"
    label = "reports"
    verbose_name = "Reports"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Governors' report", "reports:governors", Capability.GOVERNORS_REPORT, order=60),
    )
