"""Photo and video consent: its place in the menu and its sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


class ConsentConfig(NavApp):
    name = "schoolgate.web.consent"
    label = "consent"
    verbose_name = "Photo and video consent"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Photo consent", "consent:grid", Capability.CONSENT_VIEW, pages=("consent:",), order=23),
    )
    sections_label = "Photo and video consent"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem(
            "Classes",
            "consent:grid",
            Capability.CONSENT_VIEW,
            pages=("consent:grid", "consent:child", "consent:record"),
        ),
        NavItem("Before publishing", "consent:check", Capability.CONSENT_VIEW),
        NavItem("Trip lists", "consent:trip", Capability.CONSENT_VIEW),
    )

    def can(self, user: User, school: School) -> dict[str, bool]:
        return {"change": user.can(Capability.CONSENT_CHANGE, school)}
