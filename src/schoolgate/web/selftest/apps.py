"""The filtering self-test: its place in the menu."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem


class SelfTestConfig(NavApp):
    name = "schoolgate.web.selftest"
    label = "selftest"
    verbose_name = "Filtering self-test"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Self-test", "selftest:runs", Capability.SELFTEST_VIEW, pages=("selftest:",), order=45),
    )
