"""The annual review's sign-off, in Chromium: the online safety coordinator answers the last point; the
headteacher, the DSL and the online safety governor each log in and sign their slot; the review shows
signed and its PDF downloads. axe-core checks the guided page and the sign-off page."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect

from schoolgate.web.annualreview import actions, standards
from schoolgate.web.annualreview.models import Review, ReviewState
from tests.web.browser.conftest import first_login, violations
from tests.web.factories import PASSWORD, make_cast

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

LAST = "monitor-governors"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_the_coordinator_answers_and_three_people_sign_the_review(
    browser: Browser, live_server: object, tmp_path: Path
) -> None:
    cast = make_cast()
    year = actions.current_year(timezone.now())
    for key in standards.POINTS:
        if key != LAST:
            actions.do_answer(cast.a, year, key, actor=cast.olu, judgement="met")
    base = f"{live_server}"
    review_url = f"{base}/review/{year}/"
    axe = Axe()
    problems: list[str] = []

    def check(page: Page, what: str) -> None:
        found = violations(axe.run(page))
        if found:
            problems.append(f"{what}:\n{found}")

    def as_user(username: str) -> Page:
        page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
        first_login(page, base, username, PASSWORD)
        return page

    olu = as_user("olu")
    olu.goto(review_url)
    check(olu, "the guided page")
    olu.locator(f"#point-{LAST}").get_by_role("link", name="Answer").click()
    olu.get_by_label("Met", exact=True).check()
    olu.get_by_label("Notes").fill("The governors' report was read at the spring meeting.")
    olu.get_by_role("button", name="Save the answer").click()
    expect(olu.get_by_text("Answer saved.")).to_be_visible()
    expect(olu.locator(f"#point-{LAST}")).to_contain_text("spring meeting")

    for username, slot in (("hana", "headteacher"), ("alice", "designated safeguarding lead"),
                           ("gina", "online safety governor")):  # fmt: skip
        page = as_user(username)
        page.goto(review_url)
        page.get_by_role("link", name="Sign the review").click()
        if username == "hana":
            check(page, "the sign-off page")
        page.get_by_role("button", name=f"Sign as {slot}").click()
        expect(page.get_by_text(f"Signed as {slot}.")).to_be_visible()
        page.context.close()

    review = Review.objects.get(school=cast.a, year=year)
    assert review.state == ReviewState.SIGNED and review.evidence is not None
    olu.goto(review_url)
    expect(olu.get_by_text("Signed", exact=True).first).to_be_visible()
    with olu.expect_download() as download:
        olu.get_by_role("link", name="Download the PDF").click()
    saved = tmp_path / "review.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename == f"annual-review-{year}-{(year + 1) % 100:02d}.pdf"
    assert not problems, "\n\n".join(problems)
