"""Devices and guest access: its place in the menu and its sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

# Everyone who changes the BYOD table or gives guest logins sees the register too.
REGISTER = (Capability.DEVICES_VIEW,)


class DevicesConfig(NavApp):
    name = "schoolgate.web.devices"
    label = "devices"
    verbose_name = "Devices and guest access"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Devices", "devices:list", REGISTER, pages=("devices:",), order=25),
    )
    sections_label = "Devices and guest access"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem(
            "Register",
            "devices:list",
            REGISTER,
            pages=("devices:list", "devices:add", "devices:device", "devices:edit", "devices:archive"),
        ),
        NavItem(
            "Loans", "devices:loans", REGISTER, pages=("devices:loans", "devices:lend", "devices:return")
        ),
        NavItem("BYOD table", "devices:byod", (Capability.DEVICES_VIEW, Capability.BYOD_CHANGE)),
        NavItem("Guest logins", "devices:guests", Capability.GUEST_LOGINS, pages=("devices:guest",)),
    )

    def can(self, user: User, school: School) -> dict[str, bool]:
        return {
            "view": user.can(Capability.DEVICES_VIEW, school),
            "change": user.can(Capability.DEVICES_CHANGE, school),
            "byod": user.can(Capability.BYOD_CHANGE, school),
            "guests": user.can(Capability.GUEST_LOGINS, school),
            "identities": user.can(Capability.IDENTITIES_CHANGE, school),
        }
