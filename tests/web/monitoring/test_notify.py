"""Telling people of alerts (monitoring.notify), through a real SMTP server (aiosmtpd) and a real
HTTP server for the webhook: who is told of what, what a message says (nothing of whom or what),
retrying a failure, and one digest a day."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pytest_django import Settings

from schoolgate.web.monitoring import notify
from schoolgate.web.monitoring.choices import Subject
from schoolgate.web.monitoring.models import Alert, MonitoringSettings
from schoolgate.web.people.choices import PersonKind
from tests.web.conftest import Mailbox, free_port
from tests.web.factories import Cast, person
from tests.web.monitoring.alert_samples import pupil_alert

LONDON = ZoneInfo("Europe/London")
# What a message must never carry: the pupil's name and user name, the term, the site, the address.
SECRETS = ("Amelia", "Hughes", "amelia", "kill", "google", "10.0.0.5", "LAPTOP")


@pytest.fixture(autouse=True)
def _addresses(cast: Cast) -> None:
    for name, user in cast.users.items():
        user.email = f"{name}@northfield.example"
        user.save(update_fields=["email"])
    notify.forget()


@pytest.fixture
def amelia(cast: Cast) -> Any:
    return person(cast.a, first_name="Amelia", last_name="Hughes")


def told(box: Mailbox) -> list[str]:
    return sorted(a for rcpt, _ in box.received for a in rcpt)


def _clean(box: Mailbox) -> None:
    for _, message in box.received:
        text = f"{message['Subject']}\n{box.text(message)}"
        for secret in SECRETS:
            assert secret not in text, (secret, text)


def test_a_high_pupil_alert_goes_to_the_dsl_and_deputies_only(cast: Cast, smtp: Mailbox, amelia: Any) -> None:
    alert = pupil_alert(cast.a, person=amelia)
    assert notify.send_due(timezone.now()) == 1
    assert told(smtp) == ["alice@northfield.example", "dara@northfield.example"]
    _clean(smtp)
    assert smtp.link("alice@northfield.example") == f"http://testserver/monitoring/alerts/{alert.pk}/"
    message = smtp.to("alice@northfield.example")[0]
    assert message["Subject"] == "High alert at Northfield Primary"
    alert.refresh_from_db()
    assert alert.notified_at is not None and alert.notify_attempts == 1 and alert.notify_problem == ""
    assert notify.send_due(timezone.now()) == 0  # told once
    assert len(smtp.received) == 2


@pytest.mark.parametrize(
    ("subject", "kind", "expected"),
    [
        (Subject.STAFF, PersonKind.STAFF, ["hana@northfield.example"]),
        (Subject.HEADTEACHER, PersonKind.STAFF, ["cleo@northfield.example"]),
        (Subject.UNKNOWN, None, ["alice@northfield.example", "dara@northfield.example"]),
    ],
)
def test_recipients_follow_whom_the_alert_is_about(
    cast: Cast, smtp: Mailbox, subject: str, kind: PersonKind | None, expected: list[str]
) -> None:
    about = person(cast.a, kind=kind, first_name="Amelia", last_name="Hughes") if kind else None
    pupil_alert(cast.a, person=about, subject=subject) if about else _unidentified(cast)
    notify.send_due(timezone.now())
    assert told(smtp) == expected
    _clean(smtp)


def _unidentified(cast: Cast) -> Alert:
    alert = pupil_alert(cast.a)
    Alert.objects.filter(pk=alert.pk).update(person=None, subject=Subject.UNKNOWN, who="10.0.0.5")
    return alert


def test_the_person_an_alert_is_about_is_never_told(cast: Cast, smtp: Mailbox) -> None:
    head = person(cast.a, kind=PersonKind.STAFF, first_name="Hana", last_name="Example", user=cast.hana)
    pupil_alert(cast.a, person=head, subject=Subject.STAFF)  # as if the headteacher were "staff"
    notify.send_due(timezone.now())
    assert told(smtp) == []


def test_extra_recipients_for_pupil_alerts_only(cast: Cast, smtp: Mailbox, amelia: Any) -> None:
    MonitoringSettings.objects.create(
        school=cast.a, extra_recipients="safeguarding@la.example\nnot an address\n"
    )
    pupil_alert(cast.a, person=amelia)
    teacher = person(cast.a, kind=PersonKind.STAFF, first_name="Tom", last_name="Reid")
    pupil_alert(cast.a, person=teacher, subject=Subject.STAFF)
    notify.send_due(timezone.now())
    assert told(smtp) == [
        "alice@northfield.example",
        "dara@northfield.example",
        "hana@northfield.example",
        "safeguarding@la.example",
    ]


def test_medium_and_low_alerts_are_not_sent_at_once(cast: Cast, smtp: Mailbox, amelia: Any) -> None:
    pupil_alert(cast.a, person=amelia, severity="medium")
    pupil_alert(cast.a, person=amelia, severity="low")
    now = dt.datetime.combine(timezone.localdate(), dt.time(8), LONDON)  # before the digest hour
    assert notify.send_due(now) == 0
    assert smtp.received == []


def test_a_failure_is_kept_shown_and_retried_later(
    cast: Cast, smtp: Mailbox, amelia: Any, settings: Settings
) -> None:
    alert = pupil_alert(cast.a, person=amelia)
    settings.EMAIL_PORT = free_port()  # nothing listens there
    assert notify.send_due(timezone.now()) == 0
    alert.refresh_from_db()
    assert alert.notified_at is None and alert.notify_attempts == 1
    assert alert.notify_problem.startswith("e-mail could not be sent to 2 of 2")
    assert notify.send_due(timezone.now()) == 0  # not due again yet
    alert.refresh_from_db()
    assert alert.notify_attempts == 1
    settings.EMAIL_PORT = smtp.port
    later = alert.created_at + dt.timedelta(seconds=notify.RETRY_DELAYS[1] + 1)
    assert notify.send_due(later) == 1
    alert.refresh_from_db()
    assert alert.notified_at == later and alert.notify_attempts == 2 and alert.notify_problem == ""
    assert told(smtp) == ["alice@northfield.example", "dara@northfield.example"]


def test_retries_wait_longer_each_time_and_never_stop(cast: Cast, amelia: Any) -> None:
    alert = pupil_alert(cast.a, person=amelia)
    waits = []
    for attempts in range(12):
        alert.notify_attempts = attempts
        waits.append((notify.due_at(alert) - alert.created_at).total_seconds())
    assert waits == sorted(waits) and waits[0] == 0
    assert waits[-1] - waits[-2] == notify.RETRY_EVERY


def test_nobody_with_an_address_is_a_problem_shown(cast: Cast, smtp: Mailbox, amelia: Any) -> None:
    for user in (cast.alice, cast.dara):
        user.email = ""
        user.save(update_fields=["email"])
    alert = pupil_alert(cast.a, person=amelia)
    notify.send_due(timezone.now())
    alert.refresh_from_db()
    assert alert.notified_at is None
    assert "nobody who deals with it has an e-mail address" in alert.notify_problem


def _day(hour: int, days: int = 0) -> dt.datetime:
    return dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(hour), LONDON)


def test_one_digest_a_day_of_medium_alerts(cast: Cast, smtp: Mailbox, amelia: Any) -> None:
    for _ in range(2):
        pupil_alert(cast.a, person=amelia, severity="medium", created_at=_day(9))
    assert notify.send_due(_day(15)) == 0  # before the school's digest hour (16:00)
    assert notify.send_due(_day(16)) == 1
    assert told(smtp) == ["alice@northfield.example", "dara@northfield.example"]
    _clean(smtp)
    message = smtp.to("alice@northfield.example")[0]
    assert message["Subject"] == "2 medium alerts today at Northfield Primary"
    assert "http://testserver/monitoring/alerts/?state=new&severity=medium" in smtp.text(message)
    # Another medium alert the same day waits for tomorrow's digest.
    pupil_alert(cast.a, person=amelia, severity="medium", created_at=_day(17))
    assert notify.send_due(_day(18)) == 0
    assert notify.send_due(_day(16, days=1)) == 1
    assert smtp.to("alice@northfield.example")[-1]["Subject"] == "1 medium alert today at Northfield Primary"


def test_the_digest_hour_is_the_schools(cast: Cast, smtp: Mailbox, amelia: Any) -> None:
    MonitoringSettings.objects.create(school=cast.a, digest_hour=12)
    pupil_alert(cast.a, person=amelia, severity="medium", created_at=_day(9))
    assert notify.send_due(_day(11)) == 0
    assert notify.send_due(_day(12)) == 1


class _Hook:
    """A webhook on 127.0.0.1: what it received; answers `status` (and `Location` for a redirect)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                hook.received.append(json.loads(self.rfile.read(length)))
                self.send_response(hook.status)
                if 300 <= hook.status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{hook.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook(settings: Settings) -> Iterator[_Hook]:
    settings.MONITORING_WEBHOOK_HTTP_LOOPBACK = True
    server = _Hook()
    yield server
    server.close()


def test_the_webhook_gets_the_same_content_free_words(
    cast: Cast, smtp: Mailbox, amelia: Any, hook: _Hook
) -> None:
    MonitoringSettings.objects.create(school=cast.a, webhook_url=hook.url)
    alert = pupil_alert(cast.a, person=amelia)
    notify.send_due(timezone.now())
    assert len(hook.received) == 1
    text = hook.received[0]["text"]
    assert set(hook.received[0]) == {"text"}
    assert f"http://testserver/monitoring/alerts/{alert.pk}/" in text and "High alert" in text
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("subject", [Subject.STAFF, Subject.HEADTEACHER])
def test_an_alert_about_staff_is_not_posted_to_the_dsl_teams_webhook(
    cast: Cast, smtp: Mailbox, hook: _Hook, subject: Subject
) -> None:
    MonitoringSettings.objects.create(school=cast.a, webhook_url=hook.url)
    teacher = person(cast.a, kind=PersonKind.STAFF, first_name="Tom", last_name="Reid")
    alert = pupil_alert(cast.a, person=teacher, subject=subject)
    notify.send_due(timezone.now())
    assert hook.received == []
    alert.refresh_from_db()
    assert alert.notified_at is not None and told(smtp)  # e-mailed to whom it is for


@pytest.mark.parametrize("status", [302, 500])
def test_a_webhook_that_redirects_or_fails_is_a_problem_shown(
    cast: Cast, smtp: Mailbox, amelia: Any, hook: _Hook, status: int
) -> None:
    hook.status = status
    MonitoringSettings.objects.create(school=cast.a, webhook_url=hook.url)
    alert = pupil_alert(cast.a, person=amelia)
    notify.send_due(timezone.now())
    assert len(hook.received) == 1  # the redirect was not followed
    alert.refresh_from_db()
    assert alert.notified_at is not None  # the e-mails went
    assert f"webhook: the webhook answered {status}" in alert.notify_problem


def test_plain_http_webhooks_are_refused(cast: Cast, smtp: Mailbox, amelia: Any, settings: Settings) -> None:
    settings.MONITORING_WEBHOOK_HTTP_LOOPBACK = False
    assert not notify.webhook_allowed("http://127.0.0.1:9/hook")
    assert not notify.webhook_allowed("http://hooks.example/x")
    assert not notify.webhook_allowed("ftp://hooks.example/x")
    assert notify.webhook_allowed("https://example.webhook.office.com/webhookb2/x")
    MonitoringSettings.objects.create(school=cast.a, webhook_url="http://hooks.example/x")
    alert = pupil_alert(cast.a, person=amelia)
    notify.send_due(timezone.now())
    alert.refresh_from_db()
    assert "must start with https://" in alert.notify_problem


def test_after_very_many_tries_it_is_still_tried_every_quarter_hour(
    cast: Cast, smtp: Mailbox, amelia: Any, settings: Settings
) -> None:
    alert = pupil_alert(cast.a, person=amelia)
    Alert.objects.filter(pk=alert.pk).update(notify_attempts=notify.ATTEMPTS_MAX)
    settings.EMAIL_PORT = free_port()  # the mail server is still down
    now = timezone.now() + dt.timedelta(days=400)
    assert notify.send_due(now) == 0
    alert.refresh_from_db()
    assert alert.notify_attempts == notify.ATTEMPTS_MAX and "could not be sent" in alert.notify_problem
    settings.EMAIL_PORT = smtp.port
    assert notify.send_due(now + dt.timedelta(seconds=1)) == 0  # not every round
    assert smtp.received == []
    assert notify.send_due(now + dt.timedelta(seconds=notify.RETRY_EVERY)) == 1
    assert told(smtp) == ["alice@northfield.example", "dara@northfield.example"]


def test_without_the_servers_address_the_mail_says_where_to_look(
    cast: Cast, smtp: Mailbox, amelia: Any, settings: Settings
) -> None:
    settings.SITE_URL = ""  # SCHOOLGATE_URL not set: a bare path would be no link in a mail
    alert = pupil_alert(cast.a, person=amelia)
    assert notify.send_due(timezone.now()) == 1
    body = smtp.text(smtp.to("alice@northfield.example")[0])
    assert f"Open it: in Schoolgate, Alerts (/monitoring/alerts/{alert.pk}/)" in body
