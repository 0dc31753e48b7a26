"""The block page in a real headless Chromium (Debian's `chromium`, driven by Playwright): axe-core finds
no accessibility problem at desktop and phone widths, the review form works with JavaScript off, and a
full-page screenshot is kept in var/test-artifacts/ for a person to look at.

Chromium must be installed (`make test` installs Debian's package); a missing Chromium fails this test,
it does not skip it. Playwright never downloads a browser here: it is given /usr/bin/chromium.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from schoolgate.activity.reviews import REPORT_KIND, ReviewWriter, read_reviews
from schoolgate.gateways.blockpage.app import BlockPageApp
from schoolgate.gateways.blockpage.server import make_server
from schoolgate.gateways.blockpage.status import VERSION, RequestStatus, StatusEntry, entry_key
from schoolgate.policyfile.load import load_policy
from tests.chromium import ARTIFACTS, chromium

from .conftest import AT, School, make_school

pytestmark = pytest.mark.timeout(120)

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1024, "height": 900}
ZOOMED = {"width": 640, "height": 450}  # a 1280 x 900 window at 200% zoom


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[School, str]]:
    """The block page on a real server on 127.0.0.1 (a free port), and its base address."""
    school = make_school(tmp_path)
    policy = load_policy(school.policy).policy
    app = BlockPageApp(school.key, policy, ReviewWriter(school.spool), now=lambda: AT + 60, log=io.StringIO())
    school.app = app
    server = make_server("127.0.0.1", 0, app, log=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield school, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    app.reviews.close()


def violations(results: Any) -> str:
    return "\n".join(
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'])})"
        for v in results.response["violations"]
    )


def test_the_block_page_is_accessible_and_looks_right(browser: Browser, served: tuple[School, str]) -> None:
    school, base = served
    # With what became of the pupil's request, and staff's link to the web application.
    status = RequestStatus(school.root / "policy-requests.json", io.StringIO())
    entry = StatusEntry("review", "refused", AT - 3600, AT, because="it is a betting website")
    document = {"v": VERSION, "entries": {entry_key("ks2-amelia", "bet365.com"): entry.as_json()}}
    status.path.write_text(json.dumps(document), encoding="utf-8")
    school.app.status = status
    school.app.web = "https://schoolgate.example.org"
    address = f"{base}/blocked?{school.signed(url='https://www.bet365.com/sports/football?bet=1')}"
    axe = Axe()
    for viewport in (DESKTOP, PHONE, ZOOMED):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(address)
        assert page.get_by_role("heading", level=1).inner_text() == "This page is blocked"
        assert "because: it is a betting website" in page.inner_text("main")
        results = axe.run(page)
        assert results.violations_count == 0, violations(results)
        # Nothing wider than the window: no sideways scrolling on a phone or at 200% zoom.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(f"{base}/blocked?report=1")  # the reporting form too
        results = axe.run(page)
        assert results.violations_count == 0, violations(results)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(address)
        if viewport is DESKTOP:
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return [document.activeElement.id, s.outlineStyle, s.outlineWidth]; })()"
            )
            assert focused == ["message", "solid", "3px"]
            page.evaluate("document.activeElement.blur()")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "block-page.png"), full_page=True)
        if viewport is PHONE:
            page.screenshot(path=str(ARTIFACTS / "block-page-phone.png"), full_page=True)
        context.close()
    assert (ARTIFACTS / "block-page.png").stat().st_size > 10_000


def test_a_review_is_sent_with_javascript_off(browser: Browser, served: tuple[School, str]) -> None:
    school, base = served
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{base}/blocked?{school.signed()}")
    page.get_by_label("Why do you need this page?").fill("We are learning about chance in maths.")
    page.get_by_label("Your name").fill("Amelia")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(f"{base}/blocked?sent=1")
    assert "Your request has been sent" in page.inner_text("main")
    [review] = list(read_reviews(school.spool))
    assert review["message"] == "We are learning about chance in maths."
    assert review["name"] == "Amelia"
    assert review["who"] == "ks2-amelia"
    assert review["ip"] == "127.0.0.1"
    assert "Chrome" in review["user_agent"]
    # From the same page, the reporting link: a site that should be blocked.
    page.goto(f"{base}/blocked?{school.signed()}")
    page.get_by_role("link", name="Seen a website at school that should be blocked? Tell us").click()
    page.get_by_label("Its address").fill("games.example.com")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{base}/blocked?reported=1")
    assert "They will look at it soon." in page.inner_text("main")
    [_, reported] = list(read_reviews(school.spool))
    assert (reported["kind"], reported["host"], reported["who"]) == (
        REPORT_KIND,
        "games.example.com",
        "ks2-amelia",
    )
    context.close()


def test_a_forged_page_in_the_browser_shows_no_form(browser: Browser, served: tuple[School, str]) -> None:
    school, base = served
    forged = school.signed().replace("who=ks2-amelia", "who=mr.patel")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/blocked?{forged}")
    text = page.inner_text("body")
    assert "This page is blocked" in text
    assert "mr.patel" not in text
    assert page.locator("form").count() == 0
    context.close()
