"""The home page's monitoring panel: each role sees what needs them today."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from schoolgate.web.monitoring import home
from schoolgate.web.monitoring.choices import AlertKind, ReviewState, Subject
from schoolgate.web.monitoring.models import Alert, WeeklyReport, WorkerStatus
from tests.web.factories import Cast
from tests.web.monitoring.factories import review
from tests.web.pages import logged_in, text


def _alert(cast: Cast, severity: str, title: str, subject: str = Subject.PUPIL, **fields: Any) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        school=cast.a, kind=AlertKind.PHRASE, severity=severity, title=title, who="amelia", subject=subject,
        first_at=now, last_at=now, **fields,
    )  # fmt: skip


def _worker(**fields: Any) -> WorkerStatus:
    return WorkerStatus.objects.create(host="gw1", **fields)


def test_the_dsl_sees_new_alerts_by_severity_and_the_high_ones(cast: Cast) -> None:
    _worker()
    high = _alert(cast, "high", "Search flagged: suicide")
    _alert(cast, "medium", "Category with an alert: weapons")
    _alert(cast, "medium", "Another medium")
    _alert(cast, "high", "Dealt with already", state="acknowledged")
    _alert(cast, "high", "About a member of staff", subject=Subject.STAFF)
    response = logged_in(cast.alice).get("/")
    page = text(response)
    assert "New alerts: 1 high, 2 medium, 0 low" in page
    assert "Search flagged: suicide" in page and f"/monitoring/alerts/{high.pk}/" in response.content.decode()
    assert "Dealt with already" not in page and "About a member of staff" not in page


def test_the_headteacher_is_told_of_alerts_about_staff(cast: Cast) -> None:
    _alert(cast, "high", "About a member of staff", subject=Subject.STAFF)
    page = text(logged_in(cast.hana).get("/"))
    assert "New alerts: 1 high" in page and "About a member of staff" in page


def test_those_who_see_review_requests_see_how_many_are_new(cast: Cast) -> None:
    review(cast.a)
    review(cast.a)
    review(cast.a, state=ReviewState.SEEN)
    assert "Review requests: 2 new" in text(logged_in(cast.olu).get("/"))
    assert "Review requests" not in text(logged_in(cast.alice).get("/"))


def test_a_quiet_worker_is_said_loudly_to_the_network_manager_and_the_dsl(cast: Cast) -> None:
    _worker(seen_at=timezone.now() - dt.timedelta(minutes=3))
    for user in (cast.nina, cast.alice):
        assert "The monitoring worker on gw1 has not been heard from since" in text(logged_in(user).get("/"))
    assert "monitoring worker" not in text(logged_in(cast.tom).get("/"))


def test_a_worker_seen_just_now_is_not_mentioned_but_its_problem_is(cast: Cast) -> None:
    worker = _worker(seen_at=timezone.now() - dt.timedelta(seconds=30))
    assert "monitoring worker" not in text(logged_in(cast.nina).get("/"))
    worker.problem = "database is locked"
    worker.save()
    page = text(logged_in(cast.alice).get("/"))
    assert "The monitoring worker on gw1 has a problem" in page and "database is locked" in page


def test_no_worker_at_all_is_said(cast: Cast) -> None:
    assert "No monitoring worker has reported yet" in text(logged_in(cast.nina).get("/"))


def test_the_latest_weekly_report_is_linked(cast: Cast) -> None:
    _worker()
    WeeklyReport.objects.create(school=cast.a, week_start=dt.date(2026, 11, 16))
    latest = WeeklyReport.objects.create(school=cast.a, week_start=dt.date(2026, 11, 23))
    response = logged_in(cast.alice).get("/")
    assert "The latest weekly monitoring report (week of 23 November 2026)" in text(response)
    assert f"/monitoring/reports/{latest.pk}/" in response.content.decode()
    assert "weekly monitoring report" not in text(logged_in(cast.nina).get("/"))


def test_a_reader_of_the_register_alone_is_sent_to_the_register(cast: Cast) -> None:
    """Governors and the SLT see that each report was sent and read, not what it says: their home page
    links the register, never a report they cannot open."""
    latest = WeeklyReport.objects.create(school=cast.a, week_start=dt.date(2026, 11, 23))
    for user in (cast.greta, cast.sami):
        client = logged_in(user)
        response = client.get("/")
        html = response.content.decode()
        assert f"/monitoring/reports/{latest.pk}/" not in html, user
        assert 'href="/monitoring/reports/"' in html, user
        assert "of the week of 23 November 2026, not sent yet" in text(response), user
        assert client.get("/monitoring/reports/").status_code == 200
        assert client.get(f"/monitoring/reports/{latest.pk}/").status_code == 403


def test_the_dsl_is_told_when_this_server_sends_no_email(cast: Cast, settings: Any) -> None:
    _worker()
    settings.EMAIL_SET_UP = False
    assert "This server does not send e-mail" in text(logged_in(cast.alice).get("/"))
    assert "This server does not send e-mail" not in text(logged_in(cast.tom).get("/"))  # no alerts to read
    settings.EMAIL_SET_UP = True
    assert not home.today(cast.alice, cast.a, timezone.now()).no_email
