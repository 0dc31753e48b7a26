"""Acceptable-use agreements: its place in the menu and its sections."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.core.nav import NavApp, NavItem


class AgreementsConfig(NavApp):
    name = "schoolgate.web.agreements"
    label = "agreements"
    verbose_name = "Acceptable-use agreements"

    menu: ClassVar[tuple[NavItem, ...]] = ()
    sections_label = "Acceptable-use agreements"
    sections: ClassVar[tuple[NavItem, ...]] = ()
