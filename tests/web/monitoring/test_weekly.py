"""The weekly monitoring report: its figures on a known week, and its sending by the worker's round
(on the chosen day and hour in the school's time zone, once, again after a failure, and saying nothing
in the e-mail but that it is ready) through a real SMTP server."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from pytest_django import Settings

from schoolgate.web.monitoring import weekly
from schoolgate.web.monitoring.choices import ReportState, ReviewKind, Subject
from schoolgate.web.monitoring.models import ActivityEvent, ReviewRequest, WeeklyReport
from tests.web.conftest import Mailbox, free_port
from tests.web.factories import Cast
from tests.web.monitoring.report_data import LONDON, PUPIL_TERM, STAFF_TERM, WEEK, make_week
from tests.web.reports.make import requests_at

PUPILS = frozenset({Subject.PUPIL, Subject.OTHER, Subject.UNKNOWN})
STAFF = frozenset({Subject.STAFF})
DUE = dt.datetime(2026, 11, 30, 7, 0, tzinfo=LONDON)  # Monday after the week, 07:00: the default


def _rows(table: weekly.Table) -> dict[str, tuple[str | int, ...]]:
    return {str(row[0]): row[1:] for row in table.rows}


def _reading(cast: Cast, alerts: frozenset[str], activity: frozenset[str]) -> weekly.Reading:
    make_week(cast.a)
    report = weekly.make_report(cast.a, WEEK, now=DUE)
    return weekly.read(report, alerts, activity)


def test_the_figures_count_the_week_and_nothing_outside_it(cast: Cast) -> None:
    reading = _reading(cast, PUPILS, PUPILS)
    summary = _rows(reading.summary)
    assert summary["Alerts"] == (4,)
    assert summary["Alerts of high severity"] == (1,)
    assert summary["Alerts of medium severity"] == (2,)
    assert summary["Alerts of low severity"] == (1,)
    assert summary["Alerts still new (nobody has acted on them)"] == (1,)
    assert summary["Searches"] == (3,)  # the keystroke trail is not counted, the term it became is
    assert summary["Searches flagged by the risk phrases"] == (2,)
    assert summary["Blocked requests"] == (4,)  # the locked-list attempt is counted on its own
    assert summary["Attempts to get round the filter"] == (1,)
    assert summary["Attempts on a locked list (illegal content)"] == (1,)
    assert summary["Review requests from the block page"] == (2,)
    tables = {t.title: t for t, _ in reading.tables}
    assert _rows(tables["Alerts by area and severity"]) == {
        "Suicide": (1, 0, 0, 1),
        "Gambling": (0, 1, 1, 2),
        "No risk area": (0, 1, 0, 1),
    }
    assert _rows(tables["What was done about them"]) == {
        "New": (1,),
        "Acknowledged": (1,),
        "Dismissed": (1,),
        "Incident opened": (1,),
    }
    assert _rows(tables["Top blocked categories"]) == {"gambling": (3,), "circumvention": (1,)}
    assert _rows(tables["Searches flagged"]) == {"Suicide": (1, 0, 0, 1), "Gambling": (0, 0, 1, 1)}
    assert _rows(tables["Review requests"]) == {"gambling": (2,)}
    assert reading.terms is not None
    assert [row[0] for row in reading.terms.rows] == ["how to kill myself", "poker"]
    assert reading.partial  # the member of staff's search and alert are not for the DSL
    health = {t.title: t for t, _ in reading.health}
    days = health["Requests recorded each day"].rows
    assert [d[0] for d in days][:2] == ["Monday 23 November", "Tuesday 24 November"]
    assert days[0][2] == 9 and days[2][2] == 1 and days[6][2] == 1
    assert _rows(health["Gateway records read"]) == {"gw1": (1, 12, 1, "1 line was not JSON")}


def test_a_locked_attempts_search_is_counted_but_its_term_never_listed(cast: Cast) -> None:
    """The term of a search on a locked list is part of its address (evidence only the DSL sees): the
    report, which the deputies and the headteacher read, counts it among the flagged searches only."""
    week = make_week(cast.a)
    ActivityEvent.objects.create(
        school=cast.a, at=dt.datetime(2026, 11, 24, 11, 0, tzinfo=LONDON), spool_file=week.spool,
        offset=900, gateway="squid", person=week.pupil, subject=Subject.PUPIL, blocked=True,
        locked=True, url="https://search.example/?q=locked+words", term="locked words", engine="google",
        flag="high", flag_area="sexual",
    )  # fmt: skip
    reading = weekly.read(weekly.make_report(cast.a, WEEK, now=DUE), PUPILS, PUPILS)
    assert reading.terms is not None
    assert [row[0] for row in reading.terms.rows] == ["how to kill myself", "poker"]
    assert "locked words" not in str(WeeklyReport.objects.get().figures)
    assert _rows(reading.summary)["Searches flagged by the risk phrases"] == (3,)


def test_filter_change_requests_are_counted_by_kind_asked_and_decided_in_the_week(cast: Cast) -> None:
    monday, sunday = dt.datetime(2026, 11, 23, 9, tzinfo=LONDON), dt.datetime(2026, 11, 29, 23, tzinfo=LONDON)
    requests_at(cast.a, monday, 2, state="approved", decided=monday)
    requests_at(cast.a, monday, 1, state="refused", decided=sunday)
    requests_at(cast.a, sunday, 1, state="approved", decided=sunday, own=True)
    requests_at(cast.a, monday, 2, kind="review")  # still waiting
    requests_at(cast.a, monday - dt.timedelta(days=3), 1, kind="block", state="approved", decided=monday)
    requests_at(cast.a, sunday + dt.timedelta(hours=2), 3)  # the Monday after: not this week
    requests_at(cast.b, monday, 4)  # another school's
    # A report that a site should be blocked is a filter change request, not a review request.
    week = make_week(cast.a)
    ReviewRequest.objects.create(
        school=cast.a, received_at=monday, spool_file=week.spool, offset=990, site="games.example",
        kind=ReviewKind.REPORT,
    )  # fmt: skip
    reading = weekly.read(weekly.make_report(cast.a, WEEK, now=DUE), PUPILS, PUPILS)
    summary = _rows(reading.summary)
    assert summary["Filter change requests asked"] == (6,)
    assert summary["Lesson unblocks made by teachers without approval"] == (1,)
    assert summary["Review requests from the block page"] == (2,)  # make_week's two; not the report
    tables = {t.title: t for t, _ in reading.tables}
    assert _rows(tables["Filter change requests"]) == {
        "A pupil asked for a blocked site to be looked at again": (2, 0, 0, 0),
        "Unblock a site for a lesson or a time": (4, 2, 1, 1),
        "Block a site that is open": (0, 1, 0, 0),
    }
    assert "coolmathgames" not in str(WeeklyReport.objects.get().figures)


def test_a_report_made_before_requests_were_counted_shows_no_request_figures(cast: Cast) -> None:
    report = weekly.make_report(cast.a, WEEK, now=DUE)
    report.figures.pop("requests")
    reading = weekly.read(report, PUPILS, PUPILS)
    assert "Filter change requests asked" not in _rows(reading.summary)
    assert "Filter change requests" not in {t.title for t, _ in reading.tables}


def test_the_headteacher_sees_the_staff_figures_and_nothing_of_the_pupils(cast: Cast) -> None:
    reading = _reading(cast, STAFF, STAFF)
    summary = _rows(reading.summary)
    assert summary["Alerts"] == (1,)
    assert summary["Searches flagged by the risk phrases"] == (1,)
    assert summary["Blocked requests"] == (0,)
    assert reading.terms is not None
    assert [row[0] for row in reading.terms.rows] == [STAFF_TERM]


def test_a_reader_of_alerts_but_not_of_activity_sees_counts_but_no_terms(cast: Cast) -> None:
    reading = _reading(cast, PUPILS, frozenset())
    assert reading.terms is None
    assert _rows(reading.summary)["Alerts"] == (4,)


def test_every_chart_with_counts_has_a_bar_for_each_count(cast: Cast) -> None:
    reading = _reading(cast, PUPILS, PUPILS)
    drawn = [c for c in reading.charts if c.has_data]
    assert len(drawn) >= 5
    for chart in drawn:
        for row in chart.rows:
            assert (row["width"] > 0) == (row["value"] > 0), (chart.title, row)


def test_a_week_starts_on_a_monday(cast: Cast) -> None:
    with pytest.raises(ValueError, match="not one"):
        weekly.make_report(cast.a, WEEK + dt.timedelta(days=1))


def test_one_report_per_school_and_week(cast: Cast) -> None:
    first = weekly.make_report(cast.a, WEEK, now=DUE)
    again = weekly.make_report(cast.a, WEEK, now=DUE + dt.timedelta(hours=1))
    assert again.pk == first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyReport.objects.create(school=cast.a, week_start=WEEK)


def test_a_sent_report_is_never_changed(cast: Cast) -> None:
    report = weekly.make_report(cast.a, WEEK, now=DUE)
    WeeklyReport.objects.filter(pk=report.pk).update(state=ReportState.SENT)
    make_week(cast.a)
    kept = weekly.make_report(cast.a, WEEK, now=DUE + dt.timedelta(days=1))
    assert kept.figures == report.figures


def test_settings_are_made_once_with_the_defaults(cast: Cast) -> None:
    made = weekly.settings_for(cast.a)
    assert (made.report_weekday, made.report_hour) == (0, 7)
    assert weekly.settings_for(cast.a).pk == made.pk


# -- sending --------------------------------------------------------------------------------------------


def _addresses(cast: Cast) -> None:
    for name in ("alice", "dara", "hana", "olu", "greta"):
        user = cast.users[name]
        user.email = f"{name}@northfield.example"
        user.save()


def test_the_report_is_sent_once_on_the_chosen_day_and_hour_in_the_schools_time_zone(
    cast: Cast, smtp: Mailbox
) -> None:
    _addresses(cast)
    cast.a.timezone = "America/New_York"
    cast.a.save()
    chosen = weekly.settings_for(cast.a)
    chosen.report_weekday, chosen.report_hour = 2, 9  # Wednesdays, 09:00 in New York (14:00 UTC)
    chosen.save()
    york = ZoneInfo("America/New_York")
    before = dt.datetime(2026, 12, 2, 8, 59, tzinfo=york)
    assert weekly.send_due(before) == 0
    assert not WeeklyReport.objects.filter(school=cast.a).exists()
    assert not smtp.received
    at = dt.datetime(2026, 12, 2, 9, 0, tzinfo=york)
    assert weekly.send_due(at) == 1
    report = WeeklyReport.objects.get(school=cast.a)
    assert report.week_start == dt.date(2026, 11, 23)
    assert report.state == ReportState.SENT and report.sent_at == at
    # The DSL, the deputy and the headteacher; not the coordinator, not a governor.
    told = {r for rcpt, _ in smtp.received for r in rcpt}
    assert told == {"alice@northfield.example", "dara@northfield.example", "hana@northfield.example"}
    assert report.sent_to.splitlines() == sorted(told)
    # Every round after: nothing more.
    for later in (at + dt.timedelta(seconds=1), at + dt.timedelta(days=3)):
        assert weekly.send_due(later) == 0
    assert len(smtp.received) == 3


def test_the_mail_says_only_that_the_report_is_ready(cast: Cast, smtp: Mailbox) -> None:
    _addresses(cast)
    make_week(cast.a)
    assert weekly.send_due(DUE) == 1
    report = WeeklyReport.objects.get(school=cast.a)
    message = smtp.to("alice@northfield.example")[0]
    text = smtp.text(message) + str(message["Subject"])
    assert smtp.link("alice@northfield.example") == f"http://testserver/monitoring/reports/{report.pk}/"
    for secret in (PUPIL_TERM, STAFF_TERM, "Amelia", "Hughes", "amelia.hughes", "Patel", "poker", "bet365"):
        assert secret.lower() not in text.lower(), secret
    assert "Northfield Primary" in text and "23 November 2026" in text


def test_a_failed_sending_is_tried_again_after_a_pause(cast: Cast, smtp: Mailbox, settings: Settings) -> None:
    _addresses(cast)
    settings.EMAIL_PORT = free_port()  # nobody listens there
    assert weekly.send_due(DUE) == 0
    report = WeeklyReport.objects.get(school=cast.a)
    assert report.state == ReportState.FAILED and report.send_attempts == 1
    assert "alice@northfield.example" in report.send_problem
    settings.EMAIL_PORT = smtp.port
    assert weekly.send_due(DUE + dt.timedelta(seconds=30)) == 0  # within the pause: not tried
    assert not smtp.received
    assert weekly.send_due(DUE + dt.timedelta(minutes=1)) == 1
    report.refresh_from_db()
    assert report.state == ReportState.SENT and report.send_attempts == 2 and not report.send_problem
    assert len(smtp.received) == 3


def test_without_an_address_the_report_is_made_and_the_problem_said(cast: Cast, smtp: Mailbox) -> None:
    assert weekly.send_due(DUE) == 0
    report = WeeklyReport.objects.get(school=cast.a)
    assert report.state == ReportState.FAILED
    assert "no e-mail address" in report.send_problem


def test_without_e_mail_set_up_the_report_is_made_and_kept_unsent(cast: Cast, settings: Settings) -> None:
    settings.EMAIL_SET_UP = False
    _addresses(cast)
    assert weekly.send_due(DUE) == 0
    report = WeeklyReport.objects.get(school=cast.a)
    assert report.state == ReportState.MADE and report.send_attempts == 0
    assert "e-mail is not set up" in report.send_problem


def test_a_report_made_before_its_week_ended_is_made_again_before_it_is_sent(
    cast: Cast, smtp: Mailbox
) -> None:
    _addresses(cast)
    early = weekly.make_report(cast.a, WEEK, now=dt.datetime(2026, 11, 24, 9, tzinfo=LONDON))
    assert early.figures["complete"] is False
    make_week(cast.a)
    assert weekly.send_due(DUE) == 1
    report = WeeklyReport.objects.get(pk=early.pk)
    assert report.figures["complete"] is True
    assert weekly.read(report, PUPILS, PUPILS).summary.rows[0] == ("Alerts", 4)


def test_two_workers_never_send_the_same_attempt(cast: Cast) -> None:
    report = weekly.make_report(cast.a, WEEK, now=DUE)
    mine = WeeklyReport.objects.get(pk=report.pk)
    theirs = WeeklyReport.objects.get(pk=report.pk)
    assert weekly._claim(mine, DUE)
    assert not weekly._claim(theirs, DUE)
