"""View tests to inherit: what every staff page must do, checked for one page by naming it.

    class TestPersonPage(StaffObjectPageTests):
        url_name = "people:detail"

gives the page four tests: nobody logged in is sent to the login page; a role whose capabilities do
not open the page is refused (403, "not part of your role"); a role they open gets the page (200);
and, for a page of one record, another school's record is not found (404), even by a role that opens
the page. The capability is the one the view declares (`staff_view`), and the address of a record
comes from tests/web/sitemap.py's SAMPLES, so the tests follow the page as it changes.

The permission matrix (tests/web/test_permissions.py) goes over every page with every role; these
sit beside each app's own view tests, where a page's other behaviour is tested.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.test import Client
from django.urls import reverse

from schoolgate.web.accounts.choices import CAPABILITIES, Capability, Role
from schoolgate.web.tenancy.models import School
from tests.web.factories import ROLES_AT_A, Cast
from tests.web.pages import logged_in
from tests.web.sitemap import SAMPLES, every_page


def _capabilities(url_name: str) -> tuple[Capability, ...] | None:
    for page in every_page():
        if page.name == url_name:
            assert page.is_staff_view, f"{url_name} is not a staff_view"
            return page.capabilities
    raise AssertionError(f"no page is named {url_name}")


def _opens(role: Role, needed: tuple[Capability, ...] | None) -> bool:
    return needed is None or any(c in CAPABILITIES[role] for c in needed)


class StaffPageTests:
    """A staff page: set `url_name` (and `query`, appended to the address, if the page needs one)."""

    url_name: ClassVar[str]
    query: ClassVar[str] = ""

    def url(self, cast: Cast, school: School) -> str:
        kwargs: dict[str, Any] = SAMPLES[self.url_name](cast, school) if self.url_name in SAMPLES else {}
        return reverse(self.url_name, kwargs=kwargs) + self.query

    def needed(self) -> tuple[Capability, ...] | None:
        return _capabilities(self.url_name)

    def user_who_may(self, cast: Cast) -> Any:
        """The first of the cast at Northfield whose role opens the page."""
        needed = self.needed()
        for name, role in ROLES_AT_A.items():
            if role is not None and _opens(role, needed):
                return cast.users[name]
        raise AssertionError(f"no role opens {self.url_name}")

    def test_nobody_logged_in_is_sent_to_the_login_page(self, cast: Cast) -> None:
        url = self.url(cast, cast.a)
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), response["Location"]

    def test_a_role_it_is_not_part_of_is_refused(self, cast: Cast) -> None:
        needed = self.needed()
        refused = [name for name, role in ROLES_AT_A.items() if role is not None and not _opens(role, needed)]
        # A page every role opens still refuses a login with no role at the school (nora).
        name = refused[0] if refused else "nora"
        response = logged_in(cast.users[name]).get(self.url(cast, cast.a))
        assert response.status_code == 403, (name, response.status_code)
        templates = {t.name for t in response.templates}
        assert templates & {"core/forbidden.html", "core/no_school.html"}, templates

    def test_a_role_it_is_part_of_gets_the_page(self, cast: Cast) -> None:
        response = logged_in(self.user_who_may(cast)).get(self.url(cast, cast.a))
        assert response.status_code == 200, response.status_code


class StaffObjectPageTests(StaffPageTests):
    """A page of one record: also, another school's record is not found."""

    def test_another_schools_record_is_not_found(self, cast: Cast) -> None:
        theirs = self.url(cast, cast.b)
        assert theirs != self.url(cast, cast.a), "the page names no record: use StaffPageTests"
        client = logged_in(self.user_who_may(cast))
        assert client.get(theirs).status_code == 404, theirs
        assert client.post(theirs).status_code == 404, theirs
