"""A parent's consent link, end to end in Chromium: the office sends the link from the child's page, the
e-mail arrives at a real SMTP server on loopback, the parent opens it (no login), withdraws consent for
the school website and saves; the office's check before publishing then says the child must not be
included, and the link, opened again, cannot be used. axe-core checks the pages on the way."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, ViewportSize, expect
from pytest_django import Settings

from schoolgate.web.consent.choices import Decision, HowGiven, Purpose
from schoolgate.web.consent.models import ConsentRecord
from tests.web.browser.conftest import DESKTOP, first_login, violations
from tests.web.conftest import Mailbox
from tests.web.consent.conftest import family_of
from tests.web.factories import PASSWORD, Cast

SCREEN = ViewportSize(width=DESKTOP["width"], height=DESKTOP["height"])

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]


def test_a_parent_withdraws_consent_from_the_emailed_link_and_the_check_says_so(
    browser: Browser, live_server: object, cast: Cast, smtp: Mailbox, settings: Settings
) -> None:
    base = str(live_server)
    settings.SITE_URL = base
    family = family_of(cast)
    axe = Axe()
    problems: list[str] = []

    office = browser.new_context(viewport=SCREEN).new_page()
    first_login(office, base, "omar", PASSWORD)
    office.goto(f"{base}/consent/children/{family.child.pk}/")
    office.get_by_role("button", name="Send the consent link").click()
    expect(office.get_by_role("status").first).to_contain_text("Link sent to Sarah Hughes")
    link = smtp.link("sarah@home.example")
    assert link.startswith(f"{base}/consent/parent/")

    parent = browser.new_context(viewport=SCREEN).new_page()
    parent.goto(link)
    expect(parent.get_by_role("heading", level=1)).to_have_text("Photos and videos of Amelia")
    problems.append(violations(axe.run(parent)))
    parent.get_by_role("group", name="The school website").get_by_label("Withdrawn").check()
    parent.get_by_role("group", name="School displays").get_by_label("Given").check()
    parent.get_by_role("button", name="Save").click()
    expect(parent.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert set(ConsentRecord.objects.values_list("purpose", "decision", "how", "given_by")) == {
        (Purpose.WEBSITE, Decision.WITHDRAWN, HowGiven.LINK, family.mum.pk),
        (Purpose.DISPLAYS, Decision.GIVEN, HowGiven.LINK, family.mum.pk),
    }

    office.goto(f"{base}/consent/check/")
    office.get_by_label("What the photo or video is for").select_option(label="The school website")
    office.get_by_label("Or type their names").fill("Amelia Hughes")
    office.get_by_role("button", name="Check").click()
    expect(office.get_by_role("alert")).to_contain_text("1 child must not be included")
    expect(office.get_by_role("alert")).to_contain_text("Amelia Hughes, class 5B – withdrawn")
    problems.append(violations(axe.run(office)))

    parent.goto(link)
    expect(parent.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    assert not [p for p in problems if p], "\n".join(problems)
