"""Telling staff of requests by e-mail, through a real SMTP server: those who may decide once a request
waits, the requester once it is decided; never the site, the pupil or the reason; tried again after a
failure, and nothing old or not needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django import Settings

from schoolgate.web.filterrequests import actions, notify
from schoolgate.web.filterrequests.choices import Approvers, Audience, RequestKind, RequestSource
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.people.models import ClassGroup
from tests.web.conftest import Mailbox, free_port
from tests.web.factories import Cast

pytestmark = pytest.mark.django_db

SITE = "coolmathgames.com"
WHY = "Fractions lesson on Thursday"


@pytest.fixture(autouse=True)
def school(cast: Cast, settings: Settings, tmp_path: Path) -> Iterator[Cast]:
    """Nothing published (the decision is unknown: the e-mails do not depend on it); staff with
    addresses."""
    settings.POLICY_PATH = tmp_path / "policy.toml"
    settings.INDEX_PATH = tmp_path / "lists.sgidx"
    for name in ("olu", "nina", "tom", "alice", "hana"):
        user = getattr(cast, name)
        user.email = f"{name}@northfield.example"
        user.save()
    notify.forget()
    yield cast
    notify.forget()


def ask(cast: Cast, kind: RequestKind = RequestKind.UNBLOCK, **fields: object) -> FilterRequest:
    six_b = ClassGroup.objects.get_or_create(school=cast.a, name="6B")[0]
    return actions.do_ask(
        cast.a,
        actor=cast.tom,
        kind=kind,
        source=RequestSource.REQUEST_PAGE,
        url=f"https://www.{SITE}/fractions",
        audience=Audience.CLASS,
        class_group=six_b,
        reason=WHY,
        **fields,  # type: ignore[arg-type]
    )


def says_nothing_of_it(box: Mailbox) -> None:
    for _, message in box.received:
        text = box.text(message) + str(message["Subject"])
        assert SITE not in text and "6B" not in text and WHY not in text and "Fractions" not in text


def test_those_who_decide_are_told_once_of_a_waiting_request_and_the_requester_once_of_the_decision(
    cast: Cast, smtp: Mailbox
) -> None:
    request = ask(cast)
    now = timezone.now()
    assert notify.send_due(now) == 1
    assert sorted(r for rcpt, _ in smtp.received for r in rcpt) == [
        "nina@northfield.example",
        "olu@northfield.example",
    ]
    assert smtp.link("olu@northfield.example") == f"http://testserver/requests/{request.number}/"
    assert "waiting for a decision" in str(smtp.to("nina@northfield.example")[0]["Subject"])
    assert notify.send_due(now + dt.timedelta(seconds=1)) == 0  # once
    actions.do_refuse(request, actor=cast.olu, reason="Use the maths site the school pays for")
    assert notify.send_due(now + dt.timedelta(seconds=2)) == 1
    [mail] = smtp.to("tom@northfield.example")
    assert str(mail["Subject"]) == f"Your request {request.number} at Northfield Primary has been decided"
    assert smtp.link("tom@northfield.example") == f"http://testserver/requests/{request.number}/"
    assert "maths site" not in smtp.text(mail)
    assert notify.send_due(now + dt.timedelta(seconds=3)) == 0
    says_nothing_of_it(smtp)
    assert len(smtp.received) == 3


def test_only_those_the_school_chose_for_the_kind_are_told(cast: Cast, smtp: Mailbox) -> None:
    row = actions.settings_for(cast.a)
    row.change_approvers = Approvers.COORDINATOR
    actions.do_save_settings(row, actor=cast.olu)
    ask(cast, RequestKind.CHANGE)
    assert notify.send_due(timezone.now()) == 1
    assert [rcpt for rcpt, _ in smtp.received] == [["olu@northfield.example"]]


def test_a_message_that_could_not_be_sent_is_tried_again_later(
    cast: Cast, smtp: Mailbox, settings: Settings
) -> None:
    request = ask(cast)
    settings.EMAIL_PORT = free_port()  # nothing listens there
    now = timezone.now()
    assert notify.send_due(now) == 0
    assert FilterRequest.objects.get(pk=request.pk).deciders_told_at is None
    settings.EMAIL_PORT = smtp.port
    assert notify.send_due(now + dt.timedelta(minutes=1)) == 0  # not every round
    assert not smtp.received
    assert notify.send_due(now + notify.RETRY_EVERY) == 1
    assert FilterRequest.objects.get(pk=request.pk).deciders_told_at is not None


def test_nothing_is_sent_when_e_mail_is_not_set_up_nor_for_what_needs_no_telling(
    cast: Cast, smtp: Mailbox, settings: Settings
) -> None:
    settings.EMAIL_SET_UP = False
    request = ask(cast)
    assert notify.send_due(timezone.now()) == 0
    settings.EMAIL_SET_UP = True
    # Older than a week: the server's e-mail was set up late; it does not send the school's history.
    assert notify.send_due(timezone.now() + notify.RECENT + dt.timedelta(minutes=1)) == 0
    assert FilterRequest.objects.get(pk=request.pk).deciders_told_at is None
    # A withdrawn request tells nobody (a teacher's own lesson unblock neither: see its test).
    actions.do_withdraw(request, actor=cast.tom)
    assert notify.send_due(timezone.now()) == 0
    assert not smtp.received


def test_a_pupils_request_tells_those_who_decide_and_no_requester_by_e_mail(
    cast: Cast, smtp: Mailbox
) -> None:
    request = actions.do_ask(
        cast.a,
        actor=None,
        kind=RequestKind.REVIEW,
        source=RequestSource.BLOCK_PAGE,
        url=SITE,
        audience=Audience.PERSON,
        asked_by_name="ks2-amelia",
        reason=WHY,
    )
    assert notify.send_due(timezone.now()) == 1
    actions.do_refuse(request, actor=cast.nina, reason="Not in school")
    assert notify.send_due(timezone.now()) == 0
    assert len(smtp.received) == 2 and not smtp.to("tom@northfield.example")
    says_nothing_of_it(smtp)


def test_many_waiting_requests_make_one_e_mail_each_and_no_more_for_a_quarter_of_an_hour(
    cast: Cast, smtp: Mailbox
) -> None:
    """A flood of requests (reports anyone on the network can send) is never a flood of e-mail."""
    first = [ask(cast) for _ in range(5)]
    now = timezone.now()
    assert notify.send_due(now) == 5
    assert sorted(r for rcpt, _ in smtp.received for r in rcpt) == [
        "nina@northfield.example",
        "olu@northfield.example",
    ]
    [mail] = smtp.to("olu@northfield.example")
    assert str(mail["Subject"]) == "5 requests at Northfield Primary are waiting for a decision"
    assert ", ".join(str(r.number) for r in first) in smtp.text(mail)
    more = [ask(cast) for _ in range(3)]
    assert notify.send_due(now + dt.timedelta(minutes=5)) == 0  # held back
    assert len(smtp.received) == 2
    assert notify.send_due(now + notify.WAITING_EVERY) == 3  # together, once the time has passed
    [_, later] = smtp.to("olu@northfield.example")
    assert str(later["Subject"]) == "3 requests at Northfield Primary are waiting for a decision"
    assert all(FilterRequest.objects.get(pk=r.pk).deciders_told_at for r in more)
    says_nothing_of_it(smtp)
