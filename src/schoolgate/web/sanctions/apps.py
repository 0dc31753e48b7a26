"""The sanctions matrix's app. Its pages sit among the online safety log's (same sections, same
buttons): the matrix is what the log's incidents are answered from."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem
from schoolgate.web.incidents.apps import IN_CHARGE, LOG_SECTIONS, LOG_SECTIONS_LABEL, log_can

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

# Who reads the matrix: those who deal with incidents, and those who may change it.
READERS = (*IN_CHARGE, Capability.SANCTIONS_CHANGE)


class SanctionsConfig(NavApp):
    name = "schoolgate.web.sanctions"
    label = "sanctions"
    verbose_name = "Sanctions matrix"

    sections_label = LOG_SECTIONS_LABEL
    sections: ClassVar[tuple[NavItem, ...]] = LOG_SECTIONS

    def can(self, user: User, school: School) -> dict[str, bool]:
        return log_can(user, school)
