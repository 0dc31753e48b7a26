from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem


def _in_a_trust(user: object, school: object) -> bool:
    """The menu offers Add a school only where there is a trust to add it to."""
    return getattr(school, "trust_id", None) is not None


class TenancyConfig(NavApp):
    name = "schoolgate.web.tenancy"
    label = "tenancy"
    verbose_name = "Trusts and schools"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Add a school", "tenancy:add-school", Capability.SCHOOLS_ADD, shown=_in_a_trust, order=90),
    )
