"""The worker's republish after an expiry: what ended leaves the file, as "Schoolgate (expiry)", with
the reason in words; a round with nothing due reads no file and asks one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from schoolgate.policyfile.sections import split_requests
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.filterrequests.choices import Audience
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy import actions, expiry
from schoolgate.web.policy.choices import MemberKind
from schoolgate.web.policy.models import GroupMember, PolicyVersion
from tests.web.factories import Cast
from tests.web.policy.helpers import Paths, small_policy
from tests.web.policy.requests import GAME, grant

HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Each test starts with nothing remembered (the cache lives for the worker's process)."""
    expiry._due.clear()
    yield
    expiry._due.clear()


def publish(cast: Cast) -> PolicyVersion:
    draft = actions.check_draft(cast.a)
    return actions.do_publish(cast.a, actor=cast.nina, reason="start", expected_sha256=draft.rendered.sha256)


def test_a_visitor_and_a_grant_leave_the_file_when_they_end(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    now = timezone.now()
    with acting_as(cast.nina):
        guest = Person.objects.create(
            school=cast.a,
            kind=PersonKind.VISITOR,
            first_name="Vic",
            last_name="Visitor",
            expires_at=now + HOUR,
        )
        NetworkIdentity.objects.create(school=cast.a, person=guest, kind=IdentityKind.USERNAME, value="vic")
        GroupMember.objects.create(school=cast.a, group=rows.visitors, kind=MemberKind.PERSON, person=guest)
    grant(cast, Audience.PERSON, person=rows.amelia, made_at=now, expires=now + 2 * HOUR)
    first = publish(cast)
    assert 'users = ["vic"]' in first.text and "request-1" in first.text
    assert expiry.tidy(now) == 0  # nothing due yet

    assert expiry.tidy(now + HOUR) == 1
    second = PolicyVersion.objects.get(school=cast.a, number=2)
    assert (second.published_by, second.publisher) == (None, "Schoolgate (expiry)")
    assert second.reason.startswith('Expired: access of 1 user name in group "visitors" (ended ')
    assert 'users = ["vic"]' not in second.text and "request-1" in second.text
    assert paths.snapshot(cast.a).read_text() == second.text

    assert expiry.tidy(now + 2 * HOUR) == 1
    third = PolicyVersion.objects.get(school=cast.a, number=3)
    assert third.reason.startswith('Expired: access of 1 user name in group "request-1" (ended ')
    assert f'; grant "request 1: {GAME} for one person" (ended ' in third.reason
    assert split_requests(third.text)[1] == ""  # no grant left: no requests section
    assert split_requests(third.text)[0].rstrip("\n") == split_requests(second.text)[0].rstrip("\n")


def test_a_round_with_nothing_due_reads_no_file_and_asks_one_query(
    cast: Cast,
    paths: Paths,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    rows = small_policy(cast)
    now = timezone.now()
    grant(cast, Audience.PERSON, person=rows.amelia, made_at=now, expires=now + HOUR)
    publish(cast)
    assert expiry.tidy(now) == 0  # works out the next expiry once, reading the file

    def no_reading(*args: object, **kwargs: object) -> str:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_text", no_reading)
    with django_assert_num_queries(1):
        assert expiry.tidy(now + HOUR / 2) == 0


def test_the_editors_draft_is_never_published_by_the_worker(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    now = timezone.now()
    grant(cast, Audience.PERSON, person=rows.amelia, made_at=now, expires=now + HOUR)
    publish(cast)
    with acting_as(cast.nina):
        rows.rules[0].name = "half-finished edit"
        rows.rules[0].save()
    assert expiry.tidy(now + HOUR) == 1
    assert "half-finished" not in PolicyVersion.objects.get(school=cast.a, number=2).text


def test_one_schools_failure_does_not_stop_the_others_and_is_tried_again_later(
    cast: Cast, paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    rows = small_policy(cast)
    now = timezone.now()
    grant(cast, Audience.PERSON, person=rows.amelia, made_at=now, expires=now + HOUR)
    publish(cast)
    # Southgate's running file is not laid out as Schoolgate writes it: its ended entry cannot be taken out.
    broken = 'identities = [{group = "default", users = ["x"], expires = 2020-01-01T00:00:00Z}]\n'
    paths.snapshot(cast.b).write_text(broken)
    PolicyVersion.objects.create(
        school=cast.b, number=1, text=broken, sha256=actions.sha256(broken), published_by_name="hand",
        published_at=now, reason="by hand",
    )  # fmt: skip
    assert expiry.tidy(now + HOUR) == 1  # Northfield, despite Southgate
    assert "could not republish what expired" in caplog.text
    assert PolicyVersion.objects.filter(school=cast.b).count() == 1
    caplog.clear()
    assert expiry.tidy(now + HOUR + expiry.RETRY_AFTER / 2) == 0 and caplog.text == ""  # not yet again
    assert expiry.tidy(now + HOUR + expiry.RETRY_AFTER) == 0 and "could not republish" in caplog.text


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        ("", None, None),
        ("not toml [", None, None),
        ('[[rules]]\nname = "r"\nexpires = 2026-12-18T15:30:00Z\n', None, "2026-12-18T15:30:00+00:00"),
        (
            '[school]\ntimezone = "Europe/London"\n'
            '[[identities]]\ngroup = "v"\nexpires = 2026-07-01T12:00:00\n'
            "[[grants]]\nrequest = 1\nexpires = 2026-07-01T12:30:00Z\n",
            None,
            "2026-07-01T11:00:00+00:00",  # a local time, read in the school's zone (summer: UTC+1)
        ),
        (
            "[[rules]]\nexpires = 2026-01-01T00:00:00Z\n[[grants]]\nexpires = 2026-02-01T00:00:00Z\n",
            "2026-01-01T00:00:00+00:00",
            "2026-02-01T00:00:00+00:00",
        ),
    ],
)
def test_next_expiry(text: str, after: str | None, expected: str | None) -> None:
    found = expiry.next_expiry(text, dt.datetime.fromisoformat(after) if after else None)
    assert (found.astimezone(dt.UTC).isoformat() if found else None) == expected
