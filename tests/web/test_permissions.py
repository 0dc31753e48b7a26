"""The permission matrix: every role against every page, and a user of one school against the other's.

A page a role may not use answers 403; another school's object answers 404 and is in no list; without
both login factors every page sends the browser to the login page."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from schoolgate.web.accounts.choices import CAPABILITIES, Role
from schoolgate.web.accounts.models import Membership
from tests.web.factories import ROLES_AT_A, Cast
from tests.web.pages import logged_in
from tests.web.sitemap import NOT_OBJECTS, PUBLIC, RECORD_SCOPED_PREFIXES, Page, every_page

PAGES = every_page()
STAFF_PAGES = [p for p in PAGES if p.name not in PUBLIC]


def test_every_page_but_the_login_pages_checks_who_is_asking() -> None:
    unchecked = [p.name for p in STAFF_PAGES if not p.is_staff_view]
    assert not unchecked, f"pages not decorated with staff_view: {unchecked}"


def _allowed(role: Role | None, page: Page) -> bool:
    if role is None:
        return False  # no role at the school: only the "no school" page
    return page.opens_for(CAPABILITIES[role])


def _shut(response: HttpResponse) -> bool:
    """The page refused its user ("not part of your role"), as opposed to a page that opened and then
    refused one change in it (a role its user may not give: 403 too, on the page itself)."""
    names = {t.name for t in getattr(response, "templates", [])}
    return response.status_code == 403 and "core/forbidden.html" in names


@pytest.mark.parametrize("username", sorted(ROLES_AT_A))
def test_each_role_gets_exactly_the_pages_its_capabilities_open(cast: Cast, username: str) -> None:
    role = ROLES_AT_A[username]
    client = logged_in(cast.users[username])
    wrong = []
    for page in STAFF_PAGES:
        for method in ("get", "post"):
            url = page.url(cast, cast.a)  # a fresh object each time where the page changes one
            response = getattr(client, method)(url)
            status = response.status_code
            allowed = _allowed(role, page)
            refused = _shut(response) or (status == 404 and not page.name.startswith(RECORD_SCOPED_PREFIXES))
            if status >= 500 or (allowed and refused) or (not allowed and status != 403):
                wrong.append(f"{method.upper()} {url} ({page.name}, needs {page.capabilities}): {status}")
    assert not wrong, f"{username} ({role}):\n" + "\n".join(wrong)


def test_another_schools_objects_are_not_found(cast: Cast) -> None:
    for role in Role:  # zack may do everything at Southgate: only the school stands in his way
        Membership.objects.get_or_create(user=cast.zack, school=cast.b, role=role)
    client = logged_in(cast.zack)
    wrong = []
    for page in STAFF_PAGES:
        if not page.has_args or page.name in NOT_OBJECTS:
            continue
        for method in ("get", "post"):
            url = page.url(cast, cast.a)  # Northfield's object
            status = getattr(client, method)(url).status_code
            # A form-only address answers 405 to a GET before looking anything up: nothing is told.
            if status != 404 and not (method == "get" and status == 405):
                wrong.append(f"{method.upper()} {url}: {status}")
    assert not wrong, "\n".join(wrong)


def test_without_both_factors_every_page_asks_for_a_login(cast: Cast) -> None:
    half = Client()
    half.post("/login/", {"username": "alice", "password": "correct horse battery staple"})
    for client in (Client(), half):
        for page in STAFF_PAGES:
            response = client.get(page.url(cast, cast.a))
            assert response.status_code == 302 and "/login/" in response["Location"], page.name
