"""Every page in Chromium: the first login with an authenticator app, then each page the DSL and the
network manager can open, checked by axe-core (no serious or critical problem) at desktop and phone
widths; a screenshot of each is kept in var/test-artifacts/web/."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from schoolgate.web.accounts.choices import CAPABILITIES
from tests.web.browser.conftest import ARTIFACTS, DESKTOP, PHONE, first_login, violations
from tests.web.cast import PASSWORD, ROLES_AT_A, Cast
from tests.web.pages import FILES, PUBLIC, RECORD_SCOPED_PREFIXES, every_page

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]


def test_the_login_pages_are_accessible(browser: Browser, live_server: object, cast: Cast) -> None:
    base = str(live_server)
    axe = Axe()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{base}/login/")
    problems = violations(axe.run(page))
    page.get_by_role("button", name="Continue").click()  # empty: the error summary
    assert page.get_by_role("alert").is_visible()
    problems += violations(axe.run(page))
    page.get_by_label("User name").fill("tom")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("img", name="QR code to add Schoolgate to your authenticator app").is_visible()
    problems += violations(axe.run(page))
    context.close()
    assert not problems, problems


@pytest.mark.parametrize("username", ["alice", "nina"])
def test_every_page_a_role_opens_is_accessible(
    browser: Browser, live_server: object, cast: Cast, username: str
) -> None:
    base = str(live_server)
    role = ROLES_AT_A[username]
    assert role is not None
    capabilities = CAPABILITIES[role]
    pages = [
        p for p in every_page()
        if p.name not in PUBLIC and p.name not in FILES and p.name != "accounts:switch-school"
        and p.opens_for(capabilities)
    ]  # fmt: skip
    axe = Axe()
    out = ARTIFACTS / "web"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    first_login(page, base, username, PASSWORD)
    problems = []
    for entry in pages:
        url = base + entry.url(cast, cast.a)
        status = context.request.get(url).status
        if status == 405:
            continue  # an address that only takes forms (POST): no page to look at
        if status == 404 and entry.name.startswith(RECORD_SCOPED_PREFIXES):
            continue  # a record this role does not deal with (the sample is one the DSL team does)
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)  # type: ignore[arg-type]
            response = page.goto(url)
            assert response is not None and response.status == 200, f"{url}: {response and response.status}"
            found = violations(axe.run(page))
            if found:
                problems.append(f"{url} at {viewport['width']} px:\n{found}")
            width = viewport["width"]
            page.screenshot(
                path=str(out / f"{username}-{entry.name.replace(':', '-')}-{width}.png"), full_page=True
            )
    context.close()
    assert not problems, "\n".join(problems)
