"""The list pages on a phone, in Chromium at 390 px wide: nothing wider than the screen (no row or
column hidden in a sideways scroll), each row a card with its values under their column's names, the
menu folded behind a "Menu" button that opens it, and date-time fields full-size tap targets."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.policy import actions as policy_actions
from tests.web.browser.conftest import first_login
from tests.web.factories import PASSWORD, Cast, identity, person, year

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}

LIST_PAGES = (
    "/people/",
    "/people/identities/",
    "/people/groups/",
    "/audit/",
    "/staff-logins/",
    "/policy/groups/",
    "/policy/rules/",
    "/policy/categories/",
    "/policy/sites/",
    "/policy/times/",
    "/policy/versions/",
)


def _records(cast: Cast) -> None:
    """Rows with long values, which a table would push past the screen's edge."""
    with acting_as(cast.alice):
        five = year(cast.a)
        for n in range(3):
            person(
                cast.a,
                first_name=f"Anastasia-Wilhelmina{n}",
                last_name="Featherstonehaugh-Cholmondeley",
                year_group=five,
            )
        person(
            cast.a,
            PersonKind.VISITOR,
            first_name="Bartholomew",
            last_name="Ravenscroft-Montgomery",
            organisation="Northfield and District Community Volunteering Association",
        )
        identity(cast.a, "anastasia.featherstonehaugh-cholmondeley@northfield-primary.example.org")
        identity(cast.a, "10.10.200.0/24", IdentityKind.NETWORK, label="The guest Wi-Fi in the main hall")
    policy_actions.ensure_policy(cast.a)


def _widths(page: Page) -> tuple[int, int]:
    return page.evaluate(
        "[Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), window.innerWidth]"
    )


# Anything in the page that scrolls sideways on its own, outside a region marked as one (.scroll-region).
HIDDEN_SCROLLS = """
[...document.querySelectorAll("main *")]
  .filter(e => e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1  // (not the visually hidden)
               && getComputedStyle(e).overflowX !== "visible"
               && !e.closest(".scroll-region"))
  .map(e => `${e.tagName.toLowerCase()}.${e.className}`)
"""


def test_list_pages_fit_a_phone_and_the_menu_folds(browser: Browser, live_server: object, cast: Cast) -> None:
    # One login that opens every list: the DSL, also the network manager.
    Membership.objects.create(user=cast.alice, school=cast.a, role=Role.NETWORK_MANAGER)
    _records(cast)
    base = str(live_server)
    context = browser.new_context(viewport=PHONE_390)  # type: ignore[arg-type]
    page = context.new_page()
    first_login(page, base, "alice", PASSWORD)
    too_wide = []
    for path in LIST_PAGES:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        scroll, inner = _widths(page)
        if scroll > inner:
            too_wide.append(f"{path}: {scroll} px wide on a {inner} px screen")
        if scrolls := page.evaluate(HIDDEN_SCROLLS):
            too_wide.append(f"{path}: scrolls sideways, unmarked: {scrolls}")
        # The menu is folded: its links are not shown until "Menu" is pressed.
        menu = page.locator("details.site-menu")
        expect(menu).to_be_visible()
        expect(menu).not_to_have_attribute("open", "")
        expect(page.locator(".site-nav-wide")).to_be_hidden()
        expect(menu.get_by_role("link", name="People")).to_be_hidden()
    assert not too_wide, "\n".join(too_wide)

    # Opened, the menu shows its links; the people list's rows are cards with their values labelled.
    page.goto(base + "/people/")
    page.get_by_text("Menu", exact=True).click()
    expect(page.locator("details.site-menu").get_by_role("link", name="Audit trail")).to_be_visible()
    first_row = page.locator("table.table tbody tr").first
    label = first_row.locator("td").nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Who"', label
    box = first_row.bounding_box()
    assert box is not None and box["width"] <= PHONE_390["width"]
    context.close()


def test_a_date_time_field_is_a_full_size_tap_target(
    browser: Browser, live_server: object, cast: Cast
) -> None:
    base = str(live_server)
    context = browser.new_context(viewport=PHONE_390)  # type: ignore[arg-type]
    page = context.new_page()
    first_login(page, base, "alice", PASSWORD)
    page.goto(base + "/people/add/?kind=visitor")
    field = page.locator("input[type=datetime-local]")
    expect(field).to_be_visible()
    box = field.bounding_box()
    assert box is not None
    assert box["height"] >= 44, box  # the smallest tap target the accessibility guidelines allow
    assert box["width"] >= PHONE_390["width"] - 2 * 16 - 40, box  # the width of the page's column
    scroll, inner = _widths(page)
    assert scroll <= inner, (scroll, inner)
    context.close()
