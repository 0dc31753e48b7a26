"""The filtering self-test: its place in the menu, its sections, and what its pages' buttons need."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


class SelfTestConfig(NavApp):
    name = "schoolgate.web.selftest"
    label = "selftest"
    verbose_name = "Filtering self-test"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Self-test", "selftest:runs", Capability.SELFTEST_VIEW, pages=("selftest:",), order=45),
    )
    sections_label = "Filtering self-test"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Runs", "selftest:runs", Capability.SELFTEST_VIEW, pages=("selftest:run",)),
        NavItem(
            "What it checks",
            "selftest:settings",
            Capability.SELFTEST_VIEW,
            pages=("selftest:settings", "selftest:identit"),
        ),
    )

    def can(self, user: User, school: School) -> dict[str, bool]:
        # The gateways and the test identities decide where the test passwords go: the network manager's.
        run = user.can(Capability.SELFTEST_RUN, school)
        return {"run": run, "gateways": run and user.can(Capability.POLICY_CHANGE, school)}
