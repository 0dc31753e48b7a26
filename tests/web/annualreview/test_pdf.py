"""The review's PDF: it opens, and says the answers, the evidence, the actions and the signatures."""

from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from django.utils import timezone

from schoolgate.web.annualreview import actions
from tests.web.annualreview.make import answer_all, sign_all, this_year
from tests.web.factories import Cast
from tests.web.pages import logged_in

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def test_the_pdf_of_a_signed_review_has_its_answers_evidence_actions_and_signatures(cast: Cast) -> None:
    answer_all(cast)
    actions.do_answer(
        cast.a,
        this_year(),
        "review-checks",
        actor=cast.olu,
        judgement="partly",
        notes="Guest Wi-Fi not tested",
    )
    actions.do_add_action(
        cast.a, this_year(), actor=cast.olu, what="Test the guest Wi-Fi group", owner=cast.nina,
        due=timezone.localdate() + dt.timedelta(days=30),
    )  # fmt: skip
    sign_all(cast)
    response = logged_in(cast.greta).get(f"/review/{this_year()}/pdf/")  # a governor reads it
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(_text(response.content).split())
    assert "Annual review of filtering and monitoring" in text and "Northfield Primary" in text
    assert "Standard 3:" in text and "Partly met" in text and "Guest Wi-Fi not tested" in text
    assert "No self-test has run this school year." in text
    assert "Test the guest Wi-Fi group" in text and "Nina Example" in text
    assert "Hana Example" in text and "Alice Example" in text and "Gina Example" in text
    assert "as it was when the review was first signed" in text


def test_the_pdf_of_a_review_not_started_says_so(cast: Cast) -> None:
    response = logged_in(cast.olu).get(f"/review/{this_year()}/pdf/")
    text = " ".join(_text(response.content).split())
    assert (
        "not signed yet" in text and "0 of" in text and "not answered yet" in text and "No actions." in text
    )
