"""A teacher who lost their phone, in Chromium: the headteacher sends a reset link, which arrives at the
teacher's own address on a real SMTP server; the teacher follows it, chooses a password, sets up a new
authenticator app and lands on the home page. axe-core checks the pages on the way."""

from __future__ import annotations

import base64
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, expect
from pytest_django import Settings

from schoolgate.web.accounts.actions import do_send_reset
from tests.web.browser.conftest import DESKTOP, violations
from tests.web.conftest import Mailbox
from tests.web.factories import PASSWORD, Cast
from tests.web.pages import device_for

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]


def test_a_teacher_follows_an_emailed_link_and_sets_a_password_and_a_new_app(
    browser: Browser, live_server: object, cast: Cast, smtp: Mailbox, settings: Settings
) -> None:
    base = str(live_server)
    settings.SITE_URL = base
    cast.tom.email = "tom@northfield.example"
    cast.tom.save(update_fields=["email"])
    old = device_for(cast.tom)
    outcome = do_send_reset(cast.tom, cast.a, actor=cast.hana)
    assert outcome.sent
    link = smtp.link("tom@northfield.example")
    assert link.startswith(base + "/set-password/")

    axe = Axe()
    problems: list[str] = []
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(link)
    problems.append(violations(axe.run(page)))
    page.get_by_label("New password", exact=True).fill("winter orchard lantern 42")
    page.get_by_label("New password again").fill("winter orchard lantern 42")
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url(re.compile(r".*/login/set-up/$"))
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    problems.append(violations(axe.run(page)))
    key = base64.b32decode(page.get_by_test_id("totp-key").inner_text().replace(" ", "").strip())
    page.get_by_label("6-digit code").fill(str(TOTP(key).token()).zfill(6))
    page.get_by_role("button", name="Finish and log in").click()
    page.wait_for_url(re.compile(r".*/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Northfield Primary")
    problems.append(violations(axe.run(page)))

    page.goto(link)  # used: a plain page, no form
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    problems.append(violations(axe.run(page)))
    context.close()
    cast.tom.refresh_from_db()
    assert cast.tom.check_password("winter orchard lantern 42") and not cast.tom.check_password(PASSWORD)
    assert not [p for p in problems if p], "\n".join(problems)
