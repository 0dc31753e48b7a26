"""Annual review: its place in the menu and its sections."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.core.nav import NavApp, NavItem


class AnnualReviewConfig(NavApp):
    name = "schoolgate.web.annualreview"
    label = "annualreview"
    verbose_name = "Annual review"

    menu: ClassVar[tuple[NavItem, ...]] = ()
    sections_label = "Annual review"
    sections: ClassVar[tuple[NavItem, ...]] = ()
