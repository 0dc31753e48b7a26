"""Annual review: its place in the menu and what its pages' buttons need."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


class AnnualReviewConfig(NavApp):
    name = "schoolgate.web.annualreview"
    label = "annualreview"
    verbose_name = "Annual review"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem(
            "Annual review", "annualreview:home", Capability.REVIEW_VIEW, pages=("annualreview:",), order=55
        ),
    )
    sections_label = "Annual review"
    sections: ClassVar[tuple[NavItem, ...]] = ()

    def can(self, user: User, school: School) -> dict[str, bool]:
        return {
            "change": user.can(Capability.REVIEW_CHANGE, school),
            "sign": user.can(Capability.REVIEW_SIGN, school),
        }
