"""Debian's Chromium, driven by Playwright, for the tests that look at a page as a browser does: one
home for where it is, how it is started and where the screenshots go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, ProxySettings, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "test-artifacts"  # screenshots, for a person


@contextmanager
def chromium(*args: str, proxy: ProxySettings | None = None) -> Iterator[Browser]:
    """Headless Chromium (sandbox and GPU off, as in a container), with `args` added to its command
    line and every request through `proxy` if given. A missing Chromium fails the test: it is
    installed by `make test`, never skipped."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium (make test does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", *args],
            proxy=proxy,
        )
        try:
            yield browser
        finally:
            browser.close()
