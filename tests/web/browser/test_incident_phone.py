"""The online safety log, the sanctions matrix and the governors' report on a phone, in Chromium at 390 px
wide: no page wider than the screen; the log's lists are cards, each value under its column's name,
the incident's reference first; the matrix, which must stay a table, scrolls sideways only in a region
marked as one, with a hint that says so."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from schoolgate.web.incidents.choices import IncidentType, Role
from schoolgate.web.incidents.models import REFERENCE_PATTERN
from schoolgate.web.sanctions import matrix
from schoolgate.web.sanctions.models import Misuse
from tests.web.browser.conftest import first_login
from tests.web.browser.test_phone import HIDDEN_SCROLLS, PHONE_390
from tests.web.factories import PASSWORD, Cast
from tests.web.incidents.make import person, report

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]


def test_the_log_fits_a_phone(browser: Browser, live_server: object, cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    pupil = person(cast.a, "Anastasia-Wilhelmina", "Featherstonehaugh-Cholmondeley")
    row = Misuse.objects.get(school=cast.a, applies_to="pupil", key="non-educational")
    incident = report(
        cast.a, cast.tom, subject=pupil, role=Role.SUBJECT, incident_type=IncidentType.MISUSE, misuse=row
    )
    report(cast.a, cast.tom, subject=pupil)
    base = str(live_server)
    context = browser.new_context(viewport=PHONE_390)  # type: ignore[arg-type]
    page = context.new_page()
    first_login(page, base, "alice", PASSWORD)
    too_wide = []
    for path in (
        "/incidents/",
        f"/incidents/{incident.reference}/",
        f"/incidents/people/{pupil.pk}/chronology/",
        f"/incidents/{incident.reference}/looked/",
        "/incidents/matrix/",
        "/reports/governors/",
    ):
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        scroll, inner = page.evaluate(
            "[Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), window.innerWidth]"
        )
        if scroll > inner:
            too_wide.append(f"{path}: {scroll} px wide on a {inner} px screen")
        if scrolls := page.evaluate(HIDDEN_SCROLLS):
            too_wide.append(f"{path}: scrolls sideways, unmarked: {scrolls}")
    assert not too_wide, "\n".join(too_wide)

    # The log's rows are cards: the reference first, every value under its column's name.
    page.goto(base + "/incidents/")
    first_row = page.locator("table.table tbody tr").first
    first_cell = first_row.locator("td").first
    expect(first_cell.get_by_role("link")).to_have_text(re.compile(f"^{REFERENCE_PATTERN}$"))
    labels = first_row.locator("td").evaluate_all(
        "cells => cells.map(td => getComputedStyle(td, '::before').content)"
    )
    assert labels == ['"Incident"', '"Reported"', '"Type"', '"People"', '"Status"'], labels
    box = first_row.bounding_box()
    assert box is not None and box["width"] <= PHONE_390["width"]

    # The matrix stays a table, in a region that says it scrolls sideways (and can be scrolled by keys).
    page.goto(base + "/incidents/matrix/")
    region = page.get_by_role("region", name="Pupils")
    expect(region).to_be_visible()
    expect(page.locator("#scroll-pupil")).to_be_visible()
    assert region.evaluate("r => r.scrollWidth > r.clientWidth")
    assert region.get_attribute("tabindex") == "0"
    context.close()
