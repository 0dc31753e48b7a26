from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


class PolicyConfig(NavApp):
    name = "schoolgate.web.policy"
    label = "policy"
    verbose_name = "Filtering policy"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Filtering policy", "policy:overview", Capability.POLICY_VIEW, order=30),
        NavItem("Test a URL", "policy:test", Capability.URL_TEST, order=40),
    )
    sections_label = "Filtering policy"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Overview", "policy:overview", pages=("policy:overview", "policy:settings", "policy:draft")),
        NavItem("Groups", "policy:groups", pages=("policy:group", "policy:member")),
        NavItem("Rules", "policy:rules", pages=("policy:rule",)),
        NavItem("Categories and lists", "policy:categories", pages=("policy:categor", "policy:list")),
        NavItem("Site lists", "policy:sites", pages=("policy:site",)),
        NavItem("Times and term dates", "policy:windows", pages=("policy:window", "policy:date")),
        NavItem("Changes to publish", "policy:changes", pages=("policy:changes", "policy:publish")),
        NavItem("Published versions", "policy:versions", pages=("policy:version", "policy:restore")),
    )

    def can(self, user: User, school: School) -> dict[str, bool]:
        return {"change": user.can(Capability.POLICY_CHANGE, school)}
