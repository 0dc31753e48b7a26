"""The review's pages, each once, worked as their users work them: answering (with the warning before
signatures are cleared), adding an action, signing, the next review's date, and the home page's
reminder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from schoolgate.web.annualreview.models import Answer, Review, ReviewAction, SignOff
from tests.web.annualreview.make import answer_all, sign_all, this_year
from tests.web.factories import Cast
from tests.web.pages import logged_in, text
from tests.web.viewtests import StaffObjectPageTests, StaffPageTests

pytestmark = pytest.mark.django_db


class TestHomePage(StaffPageTests):
    url_name = "annualreview:home"


class TestNextDuePage(StaffPageTests):
    url_name = "annualreview:next-due"


class TestYearPage(StaffObjectPageTests):
    url_name = "annualreview:year"


class TestAnswerPage(StaffObjectPageTests):
    url_name = "annualreview:answer"


class TestActionAddPage(StaffObjectPageTests):
    url_name = "annualreview:action-add"


class TestActionDonePage(StaffObjectPageTests):
    url_name = "annualreview:action-done"


class TestSignPage(StaffObjectPageTests):
    url_name = "annualreview:sign"


class TestPdfPage(StaffObjectPageTests):
    url_name = "annualreview:pdf"


def test_the_samples_cover_every_page_of_a_review() -> None:
    from tests.web.annualreview.samples import ANNUALREVIEW_SAMPLES
    from tests.web.sitemap import every_page

    needing = {p.name for p in every_page() if p.name.startswith("annualreview:") and p.has_args}
    assert needing == set(ANNUALREVIEW_SAMPLES)


def test_the_guided_page_shows_each_point_with_its_evidence_and_an_answer_link(cast: Cast) -> None:
    year = this_year()
    olu = logged_in(cast.olu)
    page = text(olu.get(f"/review/{year}/"))
    assert "Standard 1:" in page and "Standard 4:" in page and "Not started" in page
    assert "Filtering self-test runs" in page and "No self-test has run this school year." in page
    assert page.count("Not answered") == 18
    mine = olu.get(f"/review/{year}/").content.decode()
    assert f'href="/review/{year}/points/roles-dsl/"' in mine
    html = logged_in(cast.greta).get(f"/review/{year}/").content.decode()
    assert "/points/" not in html and "Sign the review" not in html and "Add an action" not in html
    # Evidence links only to the pages the reader may open.
    assert 'href="/selftest/"' not in html and 'href="/selftest/"' in mine
    assert olu.get(f"/review/{year - 1}/").status_code == 404  # no review that year
    assert olu.get(f"/review/{year}/points/nope/").status_code == 404
    for huge in ("99999999999999999999", "40000", "0"):
        assert olu.get(f"/review/{huge}/").status_code == 404
        assert olu.get(f"/review/{huge}/pdf/").status_code == 404


def test_answering_a_point_on_its_page(cast: Cast) -> None:
    client = logged_in(cast.olu)
    url = f"/review/{this_year()}/points/roles-dsl/"
    refused = client.post(url, {"judgement": "perhaps"})
    assert refused.status_code == 200 and "Choose met, partly met or not met" in text(refused)
    response = client.post(url, {"judgement": "partly", "notes": "The deputy is new"})
    assert response.status_code == 302 and response["Location"].endswith("#point-roles-dsl")
    answer = Answer.objects.get(school=cast.a, point="roles-dsl")
    assert (answer.judgement, answer.notes, answer.answered_by) == ("partly", "The deputy is new", cast.olu)
    assert "Partly met The deputy is new" in text(client.get(f"/review/{this_year()}/"))


def test_the_page_warns_before_a_change_clears_the_signatures_and_says_it_did(cast: Cast) -> None:
    answer_all(cast)
    actions_signed = sign_all(cast)
    client = logged_in(cast.olu)
    url = f"/review/{this_year()}/points/roles-dsl/"
    warned = text(client.get(url))
    assert "This review has been signed by Hana Example (headteacher)" in warned
    assert "Saving a change here clears those signatures" in warned
    done = client.post(url, {"judgement": "not-met", "notes": ""}, follow=True)
    assert "its 3 signatures were cleared: it must be signed again" in text(done)
    actions_signed.refresh_from_db()
    assert actions_signed.state == "in-progress"


def test_adding_an_action_and_marking_it_done(cast: Cast) -> None:
    client = logged_in(cast.olu)
    year = this_year()
    due = timezone.localdate() + dt.timedelta(days=20)
    refused = client.post(f"/review/{year}/actions/new/", {"what": "", "owner": cast.zack.pk, "due": "x"})
    assert refused.status_code == 200 and not ReviewAction.objects.exists()
    response = client.post(
        f"/review/{year}/actions/new/",
        {"what": "Test guest Wi-Fi", "owner": cast.nina.pk, "due": due.isoformat()},
    )
    assert response.status_code == 302
    action = ReviewAction.objects.get(school=cast.a)
    assert action.owner == cast.nina and action.due == due
    assert client.post(f"/review/{year}/actions/{action.pk}/done/").status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
    client.post(f"/review/{year}/actions/{action.pk}/done/", {"done": "no"})
    action.refresh_from_db()
    assert action.done_at is None


def test_signing_on_the_page_each_in_their_slot(cast: Cast) -> None:
    year = this_year()
    url = f"/review/{year}/sign/"
    hana = logged_in(cast.hana)
    early = text(hana.get(url))
    assert "cannot be signed yet: 18 points still to answer" in early
    answer_all(cast)
    page = text(hana.get(url))
    assert "Sign as headteacher" in page and "the evidence is kept as it is now" in page
    # The slot in the form is checked in the action: the headteacher cannot sign as the DSL.
    forged = hana.post(url, {"slot": "dsl"})
    assert forged.status_code == 200 and not SignOff.objects.exists()
    assert hana.post(url, {"slot": "headteacher"}).status_code == 302
    assert "nothing for you to sign" in text(hana.get(url))
    logged_in(cast.alice).post(url, {"slot": "dsl"})
    logged_in(cast.gina).post(url, {"slot": "governor"})
    review = Review.objects.get(school=cast.a, year=year)
    assert review.state == "signed"
    shown = text(logged_in(cast.greta).get(f"/review/{year}/"))
    assert "Signed on" in shown and "Signed by Gina Example" in shown
    assert "as it was when the review was first signed" in shown


def test_choosing_the_next_review_date_and_the_home_page_reminder(cast: Cast) -> None:
    client = logged_in(cast.olu)
    home = text(client.get("/"))
    assert "No annual review has been signed yet: one is due now." in home
    assert "No annual review" not in text(logged_in(cast.tom).get("/"))
    refused = client.post("/review/next/", {"next_due": "2001-01-01"})
    assert refused.status_code == 200 and "Choose today or a later date" in text(refused)
    soon = timezone.localdate() + dt.timedelta(days=12)
    assert client.post("/review/next/", {"next_due": soon.isoformat()}).status_code == 302
    assert "in 12 days" in text(client.get("/"))
    assert soon.strftime("%-d %B %Y") in text(client.get("/review/"))
