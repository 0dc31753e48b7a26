"""Pupils' review requests: listed for those who see them, newest first; opening one marks it seen,
once in the audit trail per reader, and the page says who has seen it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.monitoring.choices import ReviewState
from schoolgate.web.monitoring.export import WITHHELD
from tests.web.factories import Cast, person
from tests.web.monitoring.factories import review
from tests.web.pages import another_session, logged_in, text

REVIEWS = "/monitoring/reviews/"


def test_the_list_is_newest_first_with_what_was_sent(cast: Cast) -> None:
    amelia = person(cast.a)
    review(cast.a, person=amelia, site="older.example", received_at=timezone.now() - dt.timedelta(days=2))
    review(cast.a, site="newer.example", who="10.0.0.7", message="for my science project", name="Sam")
    page = text(logged_in(cast.nina).get(REVIEWS))
    assert page.index("newer.example") < page.index("older.example")
    assert "Amelia Hughes" in page and "10.0.0.7" in page and "name typed: “Sam”" in page
    assert "for my science project" in page and "games" in page and "New" in page


def test_the_list_shows_new_or_seen_only_when_asked(cast: Cast) -> None:
    review(cast.a, site="unread.example")
    review(cast.a, site="read.example", state=ReviewState.SEEN)
    client = logged_in(cast.olu)
    page = text(client.get(REVIEWS, {"state": "new"}))
    assert "unread.example" in page and "read.example" not in page.replace("unread.example", "")
    assert "unread.example" not in text(client.get(REVIEWS, {"state": "seen"}))
    assert logged_in(cast.nina).get(REVIEWS, {"state": "<bad>"}).status_code == 200


def test_opening_one_marks_it_seen_and_says_who_saw_it(cast: Cast) -> None:
    request = review(cast.a)
    url = f"{REVIEWS}{request.pk}/"
    page = text(logged_in(cast.nina).get(url))
    request.refresh_from_db()
    assert request.state == ReviewState.SEEN
    assert "I need this for my homework" in page and "Nina Example" in page
    entries = AuditEntry.objects.filter(object_type="monitoring.reviewrequest", object_id=str(request.pk))
    assert [(e.action, e.actor) for e in entries] == [("view", cast.nina)]
    another_session(cast.nina).get(url)  # a second look by the same reader is not written again
    page = text(logged_in(cast.olu).get(url))
    assert entries.all().count() == 2 and "Nina Example" in page and "Olu Example" in page


def test_a_locked_list_request_withholds_its_address(cast: Cast) -> None:
    request = review(cast.a, site="illegal.example", url="https://illegal.example/x", reason="locked-list")
    assert "illegal.example" not in text(logged_in(cast.nina).get(REVIEWS))
    page = text(logged_in(cast.olu).get(f"{REVIEWS}{request.pk}/"))
    assert "illegal.example" not in page and WITHHELD in page


def test_those_without_the_right_do_not_see_them(cast: Cast) -> None:
    request = review(cast.a)
    assert logged_in(cast.tom).get(REVIEWS).status_code == 403
    assert another_session(cast.tom).get(f"{REVIEWS}{request.pk}/").status_code == 403
    request.refresh_from_db()
    assert request.state == ReviewState.NEW


def test_a_report_says_what_was_reported_not_a_block(cast: Cast) -> None:
    from schoolgate.web.monitoring.choices import ReviewKind

    report = review(cast.a, site="badsite.example", kind=ReviewKind.REPORT, blocked_at=None)
    page = text(logged_in(cast.nina).get(f"{REVIEWS}{report.pk}/"))
    assert "A site that should be blocked" in page and "time not given" not in page
