"""A real headless Chromium (Debian's `chromium`, driven by Playwright) browsing through the real Squid:
an allowed page is fetched from the origin; a blocked one lands on the real block page server
(`schoolgate block-page serve`), whose signed notice names the site, the reason and the pupil; axe-core
finds no accessibility problem on it, a full-page screenshot is kept in var/test-artifacts/, and the
review form's request reaches the spool.

Chromium must be installed (`make test` installs Debian's package); a missing Chromium fails this test,
it does not skip it. Playwright never downloads a browser here: it is given /usr/bin/chromium.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ProxySettings, ViewportSize

from schoolgate.activity.reviews import read_reviews
from schoolgate.gateways.blockpage.signing import load_key, verify
from tests.chromium import ARTIFACTS, chromium
from tests.gateways.squid.conftest import BLOCK_PAGE_ADDRESS, PASSWORDS, Origin, Proxy
from tests.servers import accepts_tcp, stop, wait_until_serving

pytestmark = pytest.mark.timeout(120)

SCREENSHOT = ARTIFACTS / "block-page-through-squid.png"
DESKTOP: ViewportSize = {"width": 1024, "height": 900}
WAIT_MS = 30_000  # for each navigation and element: generous, a loaded machine is slow
USER = "ks2-amelia"


@dataclass
class BlockPageServer:
    process: subprocess.Popen[bytes]
    log: Path

    def stderr(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="module")
def block_page(proxy: Proxy) -> Iterator[BlockPageServer]:
    """`schoolgate block-page serve` on blocked.test's address, port 80, with the proxy's key, policy
    and spool: the page Squid's helper sends blocked browsers to."""
    page = urlsplit(proxy.block_page)
    assert page.hostname == "blocked.test" and page.port is None, proxy.block_page
    log = proxy.work / "block-page.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "schoolgate.cli", "block-page", "serve",
                "--listen", f"{BLOCK_PAGE_ADDRESS}:80", "--key", str(proxy.work / "block-page.key"),
                "--policy", str(proxy.policy), "--spool", str(proxy.spool),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )  # fmt: skip
    server = BlockPageServer(process, log)
    try:
        # Ready when it says it serves and accepts a connection: a connection alone could be another
        # program's on that port, and the line alone comes just before the socket is read from.
        connects = accepts_tcp(BLOCK_PAGE_ADDRESS, 80)
        if not wait_until_serving(process, lambda: "serving" in server.stderr() and connects(), 30, 0.05):
            said = f"exited ({process.returncode})" if process.poll() is not None else "did not start in 30 s"
            pytest.fail(f"the block page server {said}:\n{server.stderr()}")
        yield server
    finally:
        stop(process, seconds=15)  # SIGTERM: it stops cleanly and exits 0


@pytest.fixture(scope="module")
def browser(proxy: Proxy) -> Iterator[Browser]:
    """Chromium with every request through the proxy, logged in as a KS2 pupil."""
    # Playwright adds --proxy-bypass-list=<-loopback> itself: nothing goes around the proxy.
    through = ProxySettings(server=f"http://127.0.0.1:{proxy.port}", username=USER, password=PASSWORDS[USER])
    with chromium(proxy=through) as launched:
        yield launched


def violations(results: Any) -> str:
    return "\n".join(
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'])})"
        for v in results.response["violations"]
    )


def test_a_pupil_browses_through_squid_and_a_blocked_page_shows_the_signed_block_page(
    proxy: Proxy, origin: Origin, block_page: BlockPageServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    page = context.new_page()
    try:
        # An allowed page: the origin's own answer, through the proxy.
        allowed = f"http://school.test:{origin.port}/"
        response = page.goto(allowed)
        assert response is not None and response.status == 200, block_page.stderr()
        assert page.inner_text("body").strip() == f"origin says hello to school.test:{origin.port}/"

        # A blocked page: the helper sends the browser to the block page, which the origin never sees.
        seen_before = len(origin.seen)
        blocked = f"http://bet.test:{origin.port}/odds"
        response = page.goto(blocked)
        assert response is not None and response.status == 200, block_page.stderr()
        assert page.url.startswith(proxy.block_page + "?"), page.url
        assert not [s for s in origin.seen[seen_before:] if s.host.startswith("bet.test")]
        query = urlsplit(page.url).query
        assert verify(load_key(proxy.work / "block-page.key"), query)

        # The signed notice: what, why and who (a page whose signature failed would name none of them).
        assert page.get_by_role("heading", level=1).inner_text() == "This page is blocked"
        text = page.inner_text("main")
        assert "bet.test" in text
        assert "The school does not allow gambling websites." in text
        assert USER in text
        assert page.get_by_role("heading", name="Ask for a review").is_visible()

        results = Axe().run(page)
        assert results.violations_count == 0, violations(results)

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert SCREENSHOT.stat().st_size > 10_000

        # The review form posts back through the proxy; the request is in the spool before the thanks.
        message = "We are learning about chance in maths."
        page.get_by_label("Why do you need this page?").fill(message)
        page.get_by_role("button", name="Send the request").click()
        page.wait_for_url(f"{proxy.block_page}?sent=1")
        assert "Your request has been sent" in page.inner_text("main")
    finally:
        context.close()

    assert list(proxy.spool.glob("reviews-*.jsonl")), sorted(p.name for p in proxy.spool.iterdir())
    [review] = list(read_reviews(proxy.spool))
    assert review["kind"] == "review-request"
    assert review["who"] == USER
    assert review["url"] == blocked
    assert review["host"] == "bet.test"
    assert review["category"] == "gambling"
    assert review["group"] == "ks2"
    assert review["message"] == message
    assert "Chrome" in review["user_agent"]
