"""The reports: the governors' report (the online safety log in `incidents`, the filtering and
monitoring in `filtering`, training and agreements in `coverage`) on the school's terms (`terms`, kept
as `models.SchoolTerm`) with what could name someone kept back (`counts`); and the filter's
change-control log (`changelog`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


def _no_report(user: User, school: School) -> bool:
    """Those who keep the term dates but do not read the report (the office) find them in the menu;
    the others, under the report."""
    return not user.can(Capability.GOVERNORS_REPORT, school)


class ReportsConfig(NavApp):
    name = "schoolgate.web.reports"
    label = "reports"
    verbose_name = "Reports"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Governors' report", "reports:governors", Capability.GOVERNORS_REPORT, order=60),
        NavItem("Change-control log", "reports:changelog", Capability.CHANGELOG_VIEW, order=61),
        NavItem("Term dates", "reports:terms", Capability.PEOPLE_CHANGE, shown=_no_report, order=62),
    )
    sections_label = "Reports"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem(
            "Governors' report", "reports:governors", Capability.GOVERNORS_REPORT, pages=("reports:gov",)
        ),
        NavItem(
            "Change-control log", "reports:changelog", (Capability.CHANGELOG_VIEW, Capability.POLICY_VIEW)
        ),
        NavItem("Term dates", "reports:terms", Capability.PEOPLE_CHANGE, pages=("reports:term",)),
    )
