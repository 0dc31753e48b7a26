"""The reminder: the home panel when the next review is near, overdue or never signed; the e-mail to
the review's writers, once per due date, through a real SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone
from pytest_django import Settings

from schoolgate.web.accounts.models import User
from schoolgate.web.annualreview import actions, reminders
from schoolgate.web.annualreview.models import ReminderSent, Review
from tests.web.annualreview.make import answer_all, sign_all
from tests.web.conftest import Mailbox
from tests.web.factories import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    reminders.forget()
    yield
    reminders.forget()


def _signed_days_ago(cast: Cast, days: int) -> Review:
    answer_all(cast)
    review = sign_all(cast)
    Review.objects.filter(pk=review.pk).update(signed_at=timezone.now() - dt.timedelta(days=days))
    return review


def test_the_panel_is_for_writers_and_signers_when_the_review_is_near(cast: Cast) -> None:
    now = timezone.now()
    never = reminders.panel(cast.olu, cast.a, now)
    assert never is not None and never.due.day is None
    for who in (cast.hana, cast.gina, cast.alice, cast.nina):
        assert reminders.panel(who, cast.a, now) is not None
    for who in (cast.tom, cast.omar, cast.greta, cast.sami):
        assert reminders.panel(who, cast.a, now) is None
    _signed_days_ago(cast, 10)
    assert reminders.panel(cast.olu, cast.a, now) is None  # due in about 355 days
    actions.do_set_next_due(cast.a, actor=cast.olu, day=timezone.localdate(now) + dt.timedelta(days=20))
    near = reminders.panel(cast.olu, cast.a, now)
    assert near is not None and near.days_left == 20 and not near.overdue


def test_the_writers_are_e_mailed_once_when_the_review_comes_due(cast: Cast, smtp: Mailbox) -> None:
    for name in ("olu", "hana", "alice", "tom", "gina"):
        User.objects.filter(pk=cast.users[name].pk).update(email=f"{name}@northfield.example")
    now = timezone.now()
    assert reminders.send_due(now) == 0  # never signed, no date chosen: the home page says so
    _signed_days_ago(cast, 300)  # due in about 65 days
    reminders.forget()
    assert reminders.send_due(now) == 0 and not smtp.received
    reminders.forget()
    later = now + dt.timedelta(days=40)
    assert reminders.send_due(later) == 1
    assert reminders.send_due(later) is None  # looked already today
    got = {address for rcpt, _ in smtp.received for address in rcpt}
    assert got == {"olu@northfield.example", "hana@northfield.example", "alice@northfield.example"}
    message = smtp.to("olu@northfield.example")[0]
    assert "annual review of filtering and monitoring is due" in str(message["Subject"])
    assert "http://testserver/review/" in smtp.text(message)
    reminders.forget()
    assert reminders.send_due(later + dt.timedelta(days=1)) == 0  # once per due date
    assert ReminderSent.objects.filter(school=cast.a).count() == 1
    assert len(smtp.received) == 3


def test_a_reminder_that_could_not_be_sent_is_tried_again(
    cast: Cast, smtp: Mailbox, settings: Settings
) -> None:
    User.objects.filter(pk=cast.olu.pk).update(email="olu@northfield.example")
    _signed_days_ago(cast, 350)
    smtp_port = smtp.port
    settings.EMAIL_PORT = 9  # nothing listens: the mail server does not take it
    reminders.forget()
    assert reminders.send_due(timezone.now()) == 0
    assert not ReminderSent.objects.exists()
    settings.EMAIL_PORT = smtp_port
    reminders.forget()
    assert reminders.send_due(timezone.now()) == 1
