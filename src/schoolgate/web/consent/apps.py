"""Photo and video consent: its place in the menu and its sections."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.core.nav import NavApp, NavItem


class ConsentConfig(NavApp):
    name = "schoolgate.web.consent"
    label = "consent"
    verbose_name = "Photo and video consent"

    menu: ClassVar[tuple[NavItem, ...]] = ()
    sections_label = "Photo and video consent"
    sections: ClassVar[tuple[NavItem, ...]] = ()
