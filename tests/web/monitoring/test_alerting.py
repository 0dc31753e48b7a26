"""Raising alerts from stored events (monitoring.alerting): kinds, grouping across batches, what an
alert records, and that a batch that raises nothing costs one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from schoolgate.web.monitoring import alerting
from schoolgate.web.monitoring.choices import AlertState, Subject
from schoolgate.web.monitoring.models import ActivityEvent, Alert
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast, person
from tests.web.monitoring.factories import event, search

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    alerting.forget()  # the process's memory of recent blocks
    yield
    alerting.forget()


Batch = Callable[..., int]


@pytest.fixture
def batch(cast: Cast, django_capture_on_commit_callbacks: Any) -> Batch:
    """One batch of rows considered in its own transaction, committed (the test's own transaction never
    commits: the batch's on-commit callbacks are run as a committed batch's would be)."""

    def consider(rows: list[ActivityEvent], now: dt.datetime = NOW) -> int:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return alerting.consider(cast.a, rows, now)

    return consider


@pytest.fixture
def amelia(cast: Cast) -> Person:
    return person(cast.a, first_name="Amelia", last_name="Hughes")


def flagged(
    cast: Cast, who: Person, at: dt.datetime, flag: str = "high", area: str = "suicide"
) -> ActivityEvent:
    match = {"phrase": "kill myself", "area": area, "severity": flag, "why": "the phrase, whole"}
    return search(
        cast.a,
        "how to kill myself",
        person=who,
        at=at,
        flag=flag,
        flag_area=area,
        matches=[match],
        device="LAPTOP-7",
    )


def test_a_flagged_search_raises_a_phrase_alert_about_its_person(
    batch: Batch, cast: Cast, amelia: Person
) -> None:
    row = flagged(cast, amelia, NOW - dt.timedelta(seconds=30))
    assert batch([row]) == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.area, alert.state) == ("phrase", "high", "suicide", "new")
    assert alert.person == amelia and alert.subject == Subject.PUPIL and alert.who == "amelia"
    assert (alert.ip, alert.device, alert.event_count) == ("10.0.0.5", "LAPTOP-7", 1)
    assert alert.first_at == row.at == alert.last_at and alert.created_at == NOW
    assert "how to kill myself" in alert.explanation and "the phrase, whole" in alert.explanation
    row.refresh_from_db()
    assert row.alert == alert


def test_related_events_in_later_batches_join_the_open_alert(
    batch: Batch, cast: Cast, amelia: Person
) -> None:
    batch([flagged(cast, amelia, NOW - dt.timedelta(minutes=9), flag="medium")])
    later = [flagged(cast, amelia, NOW - dt.timedelta(minutes=m)) for m in (2, 1)]
    assert batch(later) == 0
    alert = Alert.objects.get()
    assert alert.event_count == 3 and alert.severity == "high"
    assert alert.last_at == later[-1].at
    assert set(ActivityEvent.objects.filter(alert=alert).values_list("pk", flat=True)) == {
        r.pk for r in ActivityEvent.objects.all()
    }


@pytest.mark.parametrize(
    ("label", "change", "minutes_later"),
    [
        ("more than ten minutes later", {}, 11),
        ("the first was acknowledged", {"state": AlertState.ACKNOWLEDGED}, 1),
        ("the first was dismissed", {"state": AlertState.DISMISSED, "dismiss_reason": "x"}, 1),
    ],
)
def test_a_new_alert_when_the_old_one_is_not_open(
    batch: Batch, cast: Cast, amelia: Person, label: str, change: dict[str, Any], minutes_later: int
) -> None:
    start = NOW - dt.timedelta(minutes=20)
    batch([flagged(cast, amelia, start)])
    Alert.objects.update(**change)
    batch([flagged(cast, amelia, start + dt.timedelta(minutes=minutes_later))])
    assert Alert.objects.count() == 2


def test_another_person_another_alert(batch: Batch, cast: Cast, amelia: Person) -> None:
    ben = person(cast.a, first_name="Ben", last_name="Okafor")
    batch([flagged(cast, amelia, NOW), flagged(cast, ben, NOW)])
    assert sorted(Alert.objects.values_list("who", flat=True)) == ["amelia", "ben"]


def test_an_attempt_on_a_locked_list_never_names_the_address(
    batch: Batch, cast: Cast, amelia: Person
) -> None:
    row = event(cast.a, person=amelia, at=NOW, locked=True, reason="locked-list", category="child-abuse",
                source="iwf", site="evidence.example", url="https://evidence.example/secret")  # fmt: skip
    batch([row])
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity) == ("locked", "high")
    for text in (alert.title, alert.explanation):
        assert "evidence.example" not in text and "secret" not in text


@pytest.mark.parametrize(
    ("fields", "kind", "severity"),
    [
        (
            {"category": "circumvention", "source": "ut1/vpn", "site": "hola-vpn.com"},
            "circumvention",
            "medium",
        ),
        ({"category": "gambling", "alert_level": "medium", "site": "bet.example"}, "category", "medium"),
    ],
)
def test_kinds_from_the_decision(
    batch: Batch, cast: Cast, amelia: Person, fields: dict[str, Any], kind: str, severity: str
) -> None:
    batch([event(cast.a, person=amelia, at=NOW, blocked=True, reason="rule", **fields)])
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity) == (kind, severity)


def test_repeated_blocks_are_counted_across_committed_batches(
    batch: Batch, cast: Cast, amelia: Person
) -> None:
    start = NOW - dt.timedelta(minutes=3)
    first = [event(cast.a, person=amelia, at=start + dt.timedelta(seconds=i)) for i in range(15)]
    batch(first)
    assert not Alert.objects.exists()
    second = [event(cast.a, person=amelia, at=start + dt.timedelta(seconds=60 + i)) for i in range(5)]
    batch(second)
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.event_count) == ("repeated", "medium", 5)


def test_blocks_of_a_batch_rolled_back_are_not_counted(batch: Batch, cast: Cast, amelia: Person) -> None:
    start = NOW - dt.timedelta(minutes=3)
    rows = [event(cast.a, person=amelia, at=start + dt.timedelta(seconds=i)) for i in range(15)]
    with pytest.raises(RuntimeError), transaction.atomic():
        alerting.consider(cast.a, rows, NOW)
        raise RuntimeError("the batch fails")
    more = [event(cast.a, person=amelia, at=start + dt.timedelta(seconds=60 + i)) for i in range(5)]
    batch(more)
    assert not Alert.objects.exists()


def test_staff_alerts_are_about_staff(batch: Batch, cast: Cast) -> None:
    teacher = person(cast.a, kind=PersonKind.STAFF, first_name="Tom", last_name="Reid")
    batch([flagged(cast, teacher, NOW)])
    assert Alert.objects.get().subject == Subject.STAFF


def test_unidentified_users_are_alerted_by_address(batch: Batch, cast: Cast) -> None:
    row = search(
        cast.a, "how to kill myself", at=NOW, flag="high", flag_area="suicide", user_name="", ip="10.9.8.7"
    )
    batch([row])
    alert = Alert.objects.get()
    assert (alert.who, alert.subject, alert.person) == ("10.9.8.7", Subject.UNKNOWN, None)


def test_a_batch_that_raises_nothing_costs_one_query(
    cast: Cast, amelia: Person, django_assert_num_queries: Any
) -> None:
    rows = [
        event(cast.a, person=amelia, at=NOW - dt.timedelta(minutes=30) + dt.timedelta(seconds=i))
        for i in range(5)
    ]
    rows += [search(cast.a, "volcanoes", person=amelia, at=NOW)]
    with django_assert_num_queries(1):
        assert alerting.consider(cast.a, rows, NOW) == 0
    assert not ActivityEvent.objects.filter(alert__isnull=False).exists()


def test_a_batch_of_allowed_searches_costs_nothing(
    cast: Cast, amelia: Person, django_assert_num_queries: Any
) -> None:
    rows = [search(cast.a, "volcanoes", person=amelia, at=NOW)]
    with django_assert_num_queries(0):
        assert alerting.consider(cast.a, rows, NOW) == 0
