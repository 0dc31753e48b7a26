"""The weekly reports' pages: the register for governors and the content for the DSL team and the
headteacher, read receipts, the charts, the PDF, making this week's report now, and the settings."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import Settings

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.monitoring import weekly
from schoolgate.web.monitoring.models import MonitoringSettings, WeeklyReport, WeeklyReportRead
from tests.web.factories import Cast
from tests.web.monitoring.report_data import LONDON, PUPIL_TERM, STAFF_TERM, WEEK, make_week
from tests.web.pages import logged_in, text
from tests.web.reports.make import pdf_text
from tests.web.viewtests import StaffObjectPageTests, StaffPageTests

MADE = dt.datetime(2026, 11, 30, 7, 0, tzinfo=LONDON)


class TestRegister(StaffPageTests):
    url_name = "monitoring:reports"


class TestReportPage(StaffObjectPageTests):
    url_name = "monitoring:report"


class TestSettingsPage(StaffPageTests):
    url_name = "monitoring:settings"


def _report(cast: Cast) -> WeeklyReport:
    make_week(cast.a)
    return weekly.make_report(cast.a, WEEK, now=MADE)


def test_the_dsl_reads_the_report_with_its_terms_and_the_reading_is_kept(cast: Cast) -> None:
    report = _report(cast)
    client = logged_in(cast.alice)
    page = text(client.get(reverse("monitoring:report", kwargs={"pk": report.pk})))
    assert "Weekly monitoring report" in page
    assert PUPIL_TERM in page and STAFF_TERM not in page
    assert "Alerts by area and severity" in page and "Top blocked categories" in page
    first = WeeklyReportRead.objects.get(report=report, user=cast.alice)
    client.get(reverse("monitoring:report", kwargs={"pk": report.pk}))
    assert WeeklyReportRead.objects.get(report=report, user=cast.alice).read_at == first.read_at
    register = text(logged_in(cast.greta).get(reverse("monitoring:reports")))
    assert "Week of 23 November 2026" in register
    assert str(cast.alice) in register  # who read it
    assert PUPIL_TERM not in register


def test_the_staff_figures_and_terms_are_for_the_headteacher(cast: Cast) -> None:
    report = _report(cast)
    page = text(logged_in(cast.hana).get(reverse("monitoring:report", kwargs={"pk": report.pk})))
    assert STAFF_TERM in page
    page = text(logged_in(cast.dara).get(reverse("monitoring:report", kwargs={"pk": report.pk})))
    assert PUPIL_TERM in page and STAFF_TERM not in page


def test_the_coordinator_sees_the_counts_but_not_the_terms(cast: Cast) -> None:
    report = _report(cast)
    page = text(logged_in(cast.olu).get(reverse("monitoring:report", kwargs={"pk": report.pk})))
    assert "Alerts by area and severity" in page
    assert PUPIL_TERM not in page and "The flagged searches" not in page


def test_governors_see_the_register_only(cast: Cast) -> None:
    report = _report(cast)
    client = logged_in(cast.greta)
    register = client.get(reverse("monitoring:reports"))
    assert register.status_code == 200
    assert reverse("monitoring:report", kwargs={"pk": report.pk}) not in register.content.decode()
    for name in ("monitoring:report", "monitoring:report-pdf"):
        assert client.get(reverse(name, kwargs={"pk": report.pk})).status_code == 403
    assert not WeeklyReportRead.objects.filter(user=cast.greta).exists()


def test_governors_find_the_register_from_their_report(cast: Cast) -> None:
    page = logged_in(cast.greta).get(reverse("reports:governors")).content.decode()
    assert f'href="{reverse("monitoring:reports")}"' in page


def test_every_chart_on_the_page_has_a_bar_for_each_count(cast: Cast) -> None:
    report = _report(cast)
    html = logged_in(cast.alice).get(reverse("monitoring:report", kwargs={"pk": report.pk})).content.decode()
    charts = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(charts) >= 5
    for chart in charts:
        bars = re.findall(r'<rect class="bar"[^>]* width="(\d+)"[^>]* data-value="(\d+)"', chart)
        assert bars, chart[:200]
        for width, value in bars:
            assert (int(width) > 0) == (int(value) > 0), chart[:200]
        assert any(int(v) > 0 for _, v in bars)


def test_the_pdf_is_a_pdf_with_the_figures(cast: Cast) -> None:
    report = _report(cast)
    response = logged_in(cast.alice).get(reverse("monitoring:report-pdf", kwargs={"pk": report.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    words = " ".join(pdf_text(response.content).split())
    assert "Weekly monitoring report" in words
    assert "Alerts by area and severity" in words and "Suicide" in words
    assert PUPIL_TERM in words and STAFF_TERM not in words
    assert "Attempts on a locked list (illegal content) 1" in words


def test_the_pdf_holds_cells_taller_than_a_page(cast: Cast) -> None:
    """A gateway host keeps up to five problems of up to 500 characters, in a narrow column: a row
    taller than a page is split across pages, not an error."""
    problem = "line at byte 1234: " + "the record could not be read " * 16
    report = _report(cast)
    report.figures["health"]["hosts"] = [
        {"host": "gw1", "files": 1, "events": 1, "skipped": 5, "problems": [problem[:500]] * 5}
    ]
    report.save(update_fields=["figures"])
    response = logged_in(cast.alice).get(reverse("monitoring:report-pdf", kwargs={"pk": report.pk}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "Gateway records read" in " ".join(pdf_text(response.content).split())


def test_the_dsl_makes_this_weeks_report_now_without_sending_it(cast: Cast) -> None:
    client = logged_in(cast.alice)
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, tzinfo=LONDON)):
        response = client.post(reverse("monitoring:report-make"))
    report = WeeklyReport.objects.get(school=cast.a)
    assert response.status_code == 302 and response["Location"] == reverse(
        "monitoring:report", kwargs={"pk": report.pk}
    )
    assert report.week_start == dt.date(2026, 11, 30)
    assert report.sent_at is None and not report.sent_to and report.figures["complete"] is False
    assert logged_in(cast.dara).post(reverse("monitoring:report-make")).status_code == 403


def test_the_settings_are_checked_and_the_change_audited(cast: Cast) -> None:
    client = logged_in(cast.alice)
    url = reverse("monitoring:settings")
    good = {
        "report_weekday": "4",
        "report_hour": "15",
        "digest_hour": "16",
        "webhook_url": "https://example.webhook.office.com/abc",
        "extra_recipients": "head@northfield.example\n\nsafe@northfield.example",
        "allowed_days": "90",
        "events_days": "400",
    }
    bad = {
        **good,
        "webhook_url": "http://example.org/hook",
        "extra_recipients": "head@northfield.example\nnot an address",
        "allowed_days": "5",
        "events_days": "10",
        "report_hour": "24",
    }
    response = client.post(url, bad)
    assert response.status_code == 400
    page = text(response)
    assert "Give an https:// address" in page
    assert "Not an e-mail address: “not an address”" in page
    assert "greater than or equal to 7" in page and "greater than or equal to 30" in page
    assert not MonitoringSettings.objects.filter(school=cast.a, report_weekday=4).exists()
    assert client.post(url, {**good, "allowed_days": "401"}).status_code == 400
    response = client.post(url, good)
    assert response.status_code == 302
    saved = MonitoringSettings.objects.get(school=cast.a)
    assert (saved.report_weekday, saved.report_hour) == (4, 15)
    assert saved.extra_recipients == "head@northfield.example\nsafe@northfield.example"
    entry = AuditEntry.objects.filter(object_type="monitoring.monitoringsettings").order_by("-id").first()
    assert entry is not None and entry.actor == cast.alice
    assert entry.after is not None and entry.after.get("report_weekday") == 4
    register = text(client.get(reverse("monitoring:reports")))
    assert "Friday at 15:00" in register


def test_the_register_asks_the_same_number_of_queries_however_many_reports(cast: Cast) -> None:
    client = logged_in(cast.greta)
    client.get(reverse("monitoring:reports"))  # the first makes the school's settings, once
    counts = []
    for weeks in (2, 12):
        for n in range(weeks):
            report = weekly.make_report(cast.a, WEEK - dt.timedelta(weeks=n), now=MADE)
            for reader in (cast.alice, cast.dara):
                WeeklyReportRead.objects.get_or_create(report=report, user=reader)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("monitoring:reports")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_register_says_what_became_of_each_sending(cast: Cast, settings: Settings) -> None:
    settings.EMAIL_SET_UP = False
    weekly.send_due(MADE)
    client = logged_in(cast.greta)
    register = text(client.get(reverse("monitoring:reports")))
    assert "Week of 23 November 2026" in register
    assert "Not sent" in register and "e-mail is not set up on this server" in register
    report = WeeklyReport.objects.get(school=cast.a)
    WeeklyReport.objects.filter(pk=report.pk).update(
        state="failed", send_attempts=2, send_problem="alice@northfield.example: it could not be sent"
    )
    register = text(client.get(reverse("monitoring:reports")))
    assert "Sending failed" in register and "tried 2 times; tried again by itself" in register
