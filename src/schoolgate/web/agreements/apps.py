"""Acceptable-use agreements: its place in the menu and its sections."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

MENU = NavItem("Agreements", "agreements:home", Capability.AGREEMENTS_VIEW, pages=("agreements:",), order=22)
OWN = (Capability.AGREEMENTS_VIEW, Capability.TRAINING_SELF)


class AgreementsConfig(NavApp):
    name = "schoolgate.web.agreements"
    label = "agreements"
    verbose_name = "Acceptable-use agreements"

    menu: ClassVar[tuple[NavItem, ...]] = (MENU,)
    sections_label = "Acceptable-use agreements"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem(
            "Agreements",
            "agreements:home",
            Capability.AGREEMENTS_VIEW,
            pages=("agreements:home", "agreements:version", "agreements:person", "agreements:sign-sheet"),
        ),
        NavItem("Who has not accepted", "agreements:chase", Capability.AGREEMENTS_VIEW),
        NavItem("Record a signed sheet", "agreements:record", Capability.AGREEMENTS_RECORD),
        NavItem("Write a new version", "agreements:version-new", Capability.AGREEMENTS_CHANGE),
        NavItem("My agreement", "agreements:mine", OWN),
    )
