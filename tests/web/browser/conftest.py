"""A real headless Chromium (Debian's `chromium`, driven by Playwright) against the web application
served by a live server on 127.0.0.1. Chromium must be installed (`make test` installs it); a missing
Chromium fails these tests, it does not skip them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's synchronous API runs an event loop in this thread; the tests' own database calls
# between page steps are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "var" / "test-artifacts"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")  # not the session: Playwright's loop must end before another starts
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium (make test does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield launched
        launched.close()


def first_login(page: Page, base: str, username: str, password: str) -> bytes:
    """Log in for the first time through the pages: password, set up the authenticator app by its
    key, then a code. Returns the key (for later codes)."""
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/login/set-up/$"))
    key_text = page.get_by_test_id("totp-key").inner_text()
    import base64

    key = base64.b32decode(key_text.replace(" ", "").strip())
    page.get_by_label("6-digit code").fill(str(TOTP(key).token()).zfill(6))
    page.get_by_role("button", name="Finish and log in").click()
    page.wait_for_url(re.compile(r".*/$"))
    return key


def violations(results: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} ({', '.join(str(n['target']) for n in v['nodes'])})"
        for v in results.response["violations"]
        if v.get("impact") in impacts
    )
