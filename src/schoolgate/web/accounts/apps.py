from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem


class AccountsConfig(NavApp):
    name = "schoolgate.web.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Staff logins", "accounts:staff", Capability.ACCOUNTS_MANAGE, order=80),
    )
