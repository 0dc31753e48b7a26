"""The online safety log's app: its place in the main menu, its sections (which the sanctions matrix's
pages share: the matrix is read and changed beside the log), and what its pages' buttons may offer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

# Every page of the log, for staff_view: reporting, or dealing with some incidents.
ANY_INCIDENTS = (
    Capability.INCIDENT_REPORT,
    Capability.INCIDENT_MANAGE,
    Capability.ALLEGATIONS,
    Capability.ALLEGATIONS_HEAD,
)
# Dealing with some incidents (which ones: `access`).
IN_CHARGE = (Capability.INCIDENT_MANAGE, Capability.ALLEGATIONS, Capability.ALLEGATIONS_HEAD)

LOG_SECTIONS_LABEL = "Online safety log sections"
LOG_SECTIONS: tuple[NavItem, ...] = (
    NavItem("Incidents", "incidents:list", pages=("incidents:",)),
    NavItem("Report a concern", "incidents:report", Capability.INCIDENT_REPORT),
    # Filter change requests are a list of their own beside the incidents (filterrequests.models says
    # why); the log's readers who see them find them here too.
    NavItem(
        "Filter change requests",
        "filterrequests:list",
        (Capability.REQUESTS_VIEW, Capability.REQUESTS_DECIDE),
    ),
    NavItem(
        "Sanctions matrix",
        "sanctions:matrix",
        (*IN_CHARGE, Capability.SANCTIONS_CHANGE),
        pages=("sanctions:",),
    ),
)


def log_can(user: User, school: School) -> dict[str, bool]:
    """What the log's pages (and the matrix's) may offer the user: to report a concern, to deal with
    some incidents, to change the sanctions matrix."""
    return {
        "report": user.can(Capability.INCIDENT_REPORT, school),
        "in_charge": any(user.can(c, school) for c in IN_CHARGE),
        "matrix": user.can(Capability.SANCTIONS_CHANGE, school),
    }


class IncidentsConfig(NavApp):
    name = "schoolgate.web.incidents"
    label = "incidents"
    verbose_name = "Online safety log"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Online safety log", "incidents:list", ANY_INCIDENTS, order=10),
    )
    sections_label = LOG_SECTIONS_LABEL
    sections: ClassVar[tuple[NavItem, ...]] = LOG_SECTIONS

    def can(self, user: User, school: School) -> dict[str, bool]:
        return log_can(user, school)
