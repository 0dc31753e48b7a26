from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


class PeopleConfig(NavApp):
    name = "schoolgate.web.people"
    label = "people"
    verbose_name = "People"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("People", "people:list", Capability.PEOPLE_VIEW, order=20),
    )
    sections_label = "People sections"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem("People", "people:list", pages=("people:",)),
        NavItem(
            "Year groups and classes",
            "people:groups",
            pages=("people:groups", "people:year-", "people:class-"),
        ),
        NavItem("Network identities", "people:identities", pages=("people:identit",)),
        NavItem("Import from the MIS", "people:import", Capability.PEOPLE_CHANGE),
    )

    def can(self, user: User, school: School) -> dict[str, bool]:
        return {
            "change": user.can(Capability.PEOPLE_CHANGE, school),
            "identities": user.can(Capability.IDENTITIES_CHANGE, school),
        }
