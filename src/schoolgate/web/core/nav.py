"""Navigation, declared by each app: its entries in the main menu, and its own sections (the
sub-navigation under a page's heading). One mechanism for every app: the app's `AppConfig` subclasses
`NavApp` and lists `NavItem`s; `core.context.navigation` shows each user the ones their roles open.

An item is shown to a user holding any one of `needs` at the current school (all, when None), or for
whom `shown(user, school)` is true when a plain capability does not say it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import AppConfig, apps
from django.urls import reverse

if TYPE_CHECKING:
    from schoolgate.web.accounts.choices import Capability
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


@dataclass(frozen=True)
class NavItem:
    """One link. `pages`: the URL names (or their beginnings, such as "people:identit") of the pages
    under it, which mark it current; by default its own URL name. `order`: its place in the main menu."""

    label: str
    url_name: str
    needs: Capability | tuple[Capability, ...] | None = None
    shown: Callable[[User, School], bool] | None = None
    pages: tuple[str, ...] = ()
    order: int = 0

    def open_to(self, user: User, school: School) -> bool:
        if self.shown is not None and not self.shown(user, school):
            return False
        if self.needs is None:
            return True
        needed = self.needs if isinstance(self.needs, tuple) else (self.needs,)
        return any(user.can(c, school) for c in needed)


class NavApp(AppConfig):
    """An app with pages: what it adds to the main menu, its sections, and what its pages' buttons
    need to know (`can`, given to every page the app renders through `core.views.render_page`).

    Django takes the AppConfig of an app's apps.py when the module holds exactly one, or else the one
    marked `default = True`: NavApp itself, imported there, is marked False and each subclass True."""

    default = False

    menu: ClassVar[tuple[NavItem, ...]] = ()
    sections: ClassVar[tuple[NavItem, ...]] = ()
    sections_label: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    def can(self, user: User, school: School) -> dict[str, bool]:
        """What the user may do on this app's pages, by name ("change": ...), for its templates."""
        return {}


def nav_apps() -> list[NavApp]:
    return [app for app in apps.get_app_configs() if isinstance(app, NavApp)]


def app_of(app_name: str) -> NavApp | None:
    """The app whose URLs are named `app_name:...` (an app's URL namespace is its label)."""
    for app in nav_apps():
        if app.label == app_name:
            return app
    return None


def main_menu(user: User, school: School, path: str) -> list[dict[str, Any]]:
    """The main menu's links the user's roles open, in order; the one whose address the page is at
    (or under) is current."""
    declared: dict[str, NavItem] = {}
    for app in sorted(nav_apps(), key=lambda app: app.label == "core", reverse=True):
        for item in app.menu:  # an app's own entry replaces core's stand-in for it
            declared[item.url_name] = item
    items = sorted(declared.values(), key=lambda item: item.order)
    out = []
    for item in items:
        if not item.open_to(user, school):
            continue
        url = reverse(item.url_name)
        current = path == url if url == "/" else path.startswith(url)
        out.append({"label": item.label, "url": url, "current": current})
    return out


def sections(app: NavApp, user: User, school: School, view_name: str) -> list[dict[str, Any]]:
    """The app's sections the user's roles open; the one whose pages include this one is current (the
    longest match, so that "people:identity-add" is under identities, not people)."""
    shown = [item for item in app.sections if item.open_to(user, school)]

    def match(item: NavItem) -> int:
        prefixes = item.pages or (item.url_name,)
        return max((len(p) for p in prefixes if view_name.startswith(p)), default=0)

    best = max(shown, key=match, default=None)
    current = best if best is not None and match(best) else None
    return [
        {"label": item.label, "url": reverse(item.url_name), "current": item is current} for item in shown
    ]
