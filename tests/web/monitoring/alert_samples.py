"""Objects for the alert pages whose addresses need one (tests/web/sitemap.py SAMPLES): a new high
alert about a pupil of `school`, from a flagged search, which the DSL team deals with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from schoolgate.web.monitoring.choices import AlertState
from schoolgate.web.monitoring.models import Alert
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.monitoring.factories import search


def pupil_alert(school: Any, *, person: Person | None = None, **fields: Any) -> Alert:
    """A new alert about a pupil of `school` (made with its flagged search), a minute old."""
    if person is None:
        person = Person.objects.filter(school=school, kind=PersonKind.PUPIL).first() or Person.objects.create(
            school=school, kind=PersonKind.PUPIL, first_name="Sample", last_name="Pupil"
        )
    at = timezone.now() - dt.timedelta(minutes=1)
    match = {"phrase": "kill myself", "area": "suicide", "severity": "high", "why": "the phrase, whole"}
    event = search(
        school, "how to kill myself", person=person, at=at, flag="high", flag_area="suicide", matches=[match]
    )
    values: dict[str, Any] = {
        "kind": "phrase", "severity": "high", "area": "suicide", "title": "Search flagged: suicide",
        "explanation": 'Searched "how to kill myself" on google', "person": person, "who": event.user_name,
        "subject": event.subject, "ip": event.ip, "device": "LAPTOP-12", "first_at": at, "last_at": at,
        "event_count": 1,
    }  # fmt: skip
    values.update(fields)
    alert = Alert.objects.create(school=school, **values)
    event.alert = alert
    event.save(update_fields=["alert"])
    return alert


def _alert(cast: Cast, school: Any) -> dict[str, Any]:
    found = Alert.objects.filter(school=school, state=AlertState.NEW, subject="pupil").first()
    return {"pk": (found or pupil_alert(school)).pk}


ALERT_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "monitoring:alert": _alert,
    "monitoring:alert-acknowledge": _alert,
    "monitoring:alert-dismiss": _alert,
    "monitoring:alert-incident": _alert,
}
