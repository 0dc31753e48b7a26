"""Every page in Chromium: the first login with an authenticator app, then each page the DSL and the
network manager can open, checked by axe-core (no serious or critical problem) at desktop and phone
widths, and for anything the Content-Security-Policy blocked (an inline style or script, a resource
from elsewhere); a screenshot of each is kept in var/test-artifacts/web/."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from schoolgate.web.accounts.choices import CAPABILITIES
from tests.web.browser.conftest import ARTIFACTS, DESKTOP, PHONE, first_login, violations
from tests.web.factories import PASSWORD, ROLES_AT_A, Cast
from tests.web.sitemap import FILES, PUBLIC, RECORD_SCOPED_PREFIXES, every_page

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

# Put in every page before its own content: each `securitypolicyviolation` event the page raises.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`
  );
});
"""


class Blocked:
    """What the Content-Security-Policy blocked in a browser context: the pages' own events, and the
    console's reports of them (which also catch what happens before a page's first script)."""

    def __init__(self, context: BrowserContext) -> None:
        self.found: list[str] = []
        context.add_init_script(WATCH_CSP)
        context.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(f"console: {message.text}")

    def check(self, page: Page, where: str) -> None:
        for event in page.evaluate("window.__cspViolations || []"):
            self.found.append(f"{where}: {event}")


def test_the_login_pages_are_accessible(browser: Browser, live_server: object, cast: Cast) -> None:
    base = str(live_server)
    axe = Axe()
    context = browser.new_context(viewport=DESKTOP)
    blocked = Blocked(context)
    page = context.new_page()
    page.goto(f"{base}/login/")
    problems = violations(axe.run(page))
    blocked.check(page, "/login/")
    page.get_by_role("button", name="Continue").click()  # empty: the error summary
    assert page.get_by_role("alert").is_visible()
    problems += violations(axe.run(page))
    blocked.check(page, "/login/ with errors")
    page.get_by_label("User name").fill("tom")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    qr = page.get_by_role("img", name="QR code to add Schoolgate to your authenticator app")
    assert qr.is_visible()
    box = qr.locator("svg").bounding_box()
    assert box is not None and box["width"] > 100  # drawn at its size: site.css reached it
    problems += violations(axe.run(page))
    blocked.check(page, "/login/set-up/")
    context.close()
    assert not problems, problems
    assert not blocked.found, "\n".join(blocked.found)


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
    blocked = Blocked(context)
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
            blocked.check(page, url)
            found = violations(axe.run(page))
            if found:
                problems.append(f"{url} at {viewport['width']} px:\n{found}")
            width = viewport["width"]
            page.screenshot(
                path=str(out / f"{username}-{entry.name.replace(':', '-')}-{width}.png"), full_page=True
            )
    context.close()
    assert not problems, "\n".join(problems)
    assert not blocked.found, "\n".join(blocked.found)


def test_the_pages_script_runs_under_the_content_security_policy(
    browser: Browser, live_server: object, cast: Cast
) -> None:
    """The report form's script (misuse.js, from the site) reads its data (a json_script block) and
    shows what the sanctions matrix expects for the kind of misuse chosen."""
    base = str(live_server)
    context = browser.new_context(viewport=DESKTOP)
    blocked = Blocked(context)
    page = context.new_page()
    first_login(page, base, "tom", PASSWORD)
    page.goto(f"{base}/incidents/report/")
    expected = page.evaluate("JSON.parse(document.getElementById('misuse-expected').textContent)")
    chosen = next(key for key, actions in expected.items() if actions)
    page.locator("#id_misuse").select_option(value=chosen)
    shown = page.locator("#misuse-actions")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text(re.compile("The policy expects:.*" + re.escape(expected[chosen][0]), re.S))
    blocked.check(page, "/incidents/report/")
    context.close()
    assert not blocked.found, "\n".join(blocked.found)
