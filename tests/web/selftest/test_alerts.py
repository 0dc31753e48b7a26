"""A run that did not pass and the self-test's alert: merged into the open alert only when it went
wrong in the very same way, else a new alert (told as new), so a daily "could not check everything"
left open never hides a later failure. No gateways: runs are made with their results and finished."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from schoolgate.web.monitoring.choices import AlertKind, AlertState
from schoolgate.web.monitoring.models import Alert
from schoolgate.web.selftest import runner
from schoolgate.web.selftest.choices import Gateway, Outcome, RunState, Trigger
from schoolgate.web.selftest.models import SelfTestResult, SelfTestRun
from tests.web.factories import Cast

UTC = dt.UTC
DAY = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def _finished(cast: Cast, day: int, *answers: tuple[str, str, str], problem: str = "") -> SelfTestRun:
    """A run of day `day` whose checks (key, outcome, actual) are on the pupils' proxy, finished."""
    now = DAY + dt.timedelta(days=day)
    run = SelfTestRun.objects.create(
        school=cast.a, trigger=Trigger.SCHEDULE, requested_at=now, started_at=now, problem=problem,
        state=RunState.RUNNING, done=len(answers),
    )  # fmt: skip
    for position, (key, outcome, actual) in enumerate(answers):
        SelfTestResult.objects.create(
            run=run, position=position, group="pupils", gateway=Gateway.PROXY, key=key, label=key.title(),
            target=f"http://{key}.example/", expected="blocked", actual=actual, outcome=outcome, at=now,
        )  # fmt: skip
    runner.finish(run, now)
    run.refresh_from_db()
    return run


NOT_MADE = ("search", Outcome.ERROR, "the proxy did not answer")


def test_the_same_failure_again_brings_the_open_alert_up_to_date(cast: Cast) -> None:
    first = _finished(cast, 0, ("gambling", Outcome.FAILED, "let through (200)"))
    second = _finished(cast, 1, ("gambling", Outcome.FAILED, "let through (302)"))
    assert first.alert is not None and second.alert == first.alert
    alert = Alert.objects.get(pk=first.alert.pk)
    assert (alert.event_count, alert.last_at) == (2, DAY + dt.timedelta(days=1))
    assert "let through (302)" in alert.explanation and "(200)" not in alert.explanation


def test_a_failure_after_an_open_incomplete_alert_is_a_new_alert_told_again(cast: Cast) -> None:
    incomplete = _finished(cast, 0, NOT_MADE)
    assert incomplete.state == RunState.INCOMPLETE and incomplete.alert is not None
    Alert.objects.filter(pk=incomplete.alert.pk).update(notified_at=timezone.now())  # told already
    # Weeks of the same "could not check everything": one alert.
    for day in range(1, 4):
        assert _finished(cast, day, NOT_MADE).alert == incomplete.alert
    failed = _finished(cast, 20, NOT_MADE, ("gambling", Outcome.FAILED, "let through (200)"))
    assert failed.state == RunState.FAILED and failed.alert not in (None, incomplete.alert)
    assert failed.alert is not None
    new = Alert.objects.get(pk=failed.alert.pk)
    assert (new.state, new.notified_at, new.event_count) == (AlertState.NEW, None, 1)
    assert new.title == "Filtering self-test: 1 check not as expected"
    assert "Gambling (http://gambling.example/)" in new.explanation
    old = Alert.objects.get(pk=incomplete.alert.pk)
    assert (old.event_count, old.title) == (4, "Filtering self-test could not check everything")


def test_any_other_set_of_checks_or_problems_is_a_new_alert(cast: Cast) -> None:
    alerts = [
        _finished(cast, 0, ("gambling", Outcome.FAILED, "let through")).alert,
        _finished(cast, 1, ("gambling", Outcome.FAILED, "let through"), NOT_MADE).alert,
        _finished(cast, 2, NOT_MADE).alert,  # fewer checks wrong is news too
        _finished(cast, 3, NOT_MADE, problem="no test identity for staff").alert,
        _finished(cast, 4, ("gambling", Outcome.ERROR, "the proxy did not answer")).alert,
    ]
    assert len({a.pk for a in alerts if a is not None}) == 5
    assert Alert.objects.filter(school=cast.a, kind=AlertKind.SELFTEST, state=AlertState.NEW).count() == 5
    # Back to the last one's way of going wrong: merged into it, the newest open alert.
    assert _finished(cast, 5, ("gambling", Outcome.ERROR, "no answer")).alert == alerts[-1]


def test_an_alert_no_longer_new_is_left_alone(cast: Cast) -> None:
    first = _finished(cast, 0, NOT_MADE)
    assert first.alert is not None
    Alert.objects.filter(pk=first.alert.pk).update(state=AlertState.ACKNOWLEDGED)
    again = _finished(cast, 1, NOT_MADE)
    assert again.alert not in (None, first.alert)
