"""Filter change requests: the app's place in the menu and its sections."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

# Who sees the requests list: those who decide them and those who read them, and every member of
# staff for their own (what each sees: `access.visible`).
READERS = (Capability.REQUESTS_ASK, Capability.REQUESTS_VIEW, Capability.REQUESTS_DECIDE)

SECTIONS_LABEL = "Requests"
SECTIONS: tuple[NavItem, ...] = (
    NavItem("Requests", "filterrequests:list", READERS, pages=("filterrequests:request",)),
    NavItem("Request a site", "filterrequests:new", Capability.REQUESTS_ASK),
    NavItem("Settings", "filterrequests:settings", Capability.REQUESTS_SETTINGS),
)


class FilterRequestsConfig(NavApp):
    name = "schoolgate.web.filterrequests"
    label = "filterrequests"
    verbose_name = "Filter change requests"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Requests", "filterrequests:list", READERS, pages=("filterrequests:",), order=8),
    )
    sections_label: ClassVar[str] = SECTIONS_LABEL
    sections: ClassVar[tuple[NavItem, ...]] = SECTIONS
