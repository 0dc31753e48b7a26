"""Devices and guest access: its place in the menu and its sections."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.core.nav import NavApp, NavItem


class DevicesConfig(NavApp):
    name = "schoolgate.web.devices"
    label = "devices"
    verbose_name = "Devices and guest access"

    menu: ClassVar[tuple[NavItem, ...]] = ()
    sections_label = "Devices and guest access"
    sections: ClassVar[tuple[NavItem, ...]] = ()
