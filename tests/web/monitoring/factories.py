"""Makers of the monitoring's stored rows, for any monitoring test: activity events, hourly visits,
review requests, as the ingester would have stored them (one spool file per school).

    pupil = person(cast.a, first_name="Amelia")
    event(cast.a, person=pupil, term="how to kill myself", flag="high", flag_area="suicide")
    visit(cast.a, person=pupil, site="bbc.co.uk")
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from schoolgate.web.monitoring.access import subject_of
from schoolgate.web.monitoring.choices import Subject
from schoolgate.web.monitoring.models import ActivityEvent, HourlyVisit, ReviewRequest, SpoolFile
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School

_offsets = itertools.count(1)


@pytest.fixture(autouse=True)
def midday() -> Iterator[Any]:
    """Today at noon in London, the clock running: "a minute ago" and "this hour" are today whenever
    the tests run (a test module turns it on by importing it)."""
    noon = dt.datetime.combine(dt.date.today(), dt.time(12), tzinfo=ZoneInfo("Europe/London"))
    with time_machine.travel(noon, tick=True) as traveller:
        yield traveller


def spool(school: School) -> SpoolFile:
    """The school's one spool file of these tests (every row needs the file it came from)."""
    return SpoolFile.objects.get_or_create(
        school=school,
        host=f"gw-{school.slug}",
        name="events-squid-test.jsonl",
        defaults={"kind": "events", "gateway": "squid"},
    )[0]


def _who(person: Person | None, fields: dict[str, Any]) -> None:
    if "subject" not in fields:
        fields["subject"] = subject_of(person) if person is not None else Subject.UNKNOWN


def event(
    school: School, *, person: Person | None = None, at: dt.datetime | None = None, **fields: Any
) -> ActivityEvent:
    """One stored event (by default: a blocked request of `person`, a minute ago)."""
    _who(person, fields)
    fields.setdefault("url", "https://" + fields.get("site", "blocked.example") + "/")
    fields.setdefault("site", "blocked.example")
    fields.setdefault("blocked", not fields.get("term"))
    fields.setdefault("user_name", person.first_name.lower() if person is not None else "")
    fields.setdefault("ip", "10.0.0.5")
    fields.setdefault("gateway", "squid")
    return ActivityEvent.objects.create(
        school=school,
        at=at or timezone.now() - dt.timedelta(minutes=1),
        spool_file=spool(school),
        offset=next(_offsets),
        person=person,
        **fields,
    )


def search(school: School, term: str, *, person: Person | None = None, **fields: Any) -> ActivityEvent:
    """A search of `term` on Google, allowed."""
    fields.setdefault("site", "www.google.com")
    fields.setdefault("url", f"https://www.google.com/search?q={term.replace(' ', '+')}")
    return event(school, person=person, term=term, engine="google", blocked=False, **fields)


def visit(
    school: School, *, person: Person | None = None, hour: dt.datetime | None = None, **fields: Any
) -> HourlyVisit:
    """An hour's allowed visits of `person` to a site (by default this hour, 3 requests)."""
    _who(person, fields)
    start = (hour or timezone.now()).replace(minute=0, second=0, microsecond=0)
    fields.setdefault("who", person.first_name.lower() if person is not None else "10.0.0.5")
    fields.setdefault("site", "www.bbc.co.uk")
    fields.setdefault("requests", 3)
    return HourlyVisit.objects.create(school=school, hour=start, person=person, **fields)


def review(school: School, *, person: Person | None = None, **fields: Any) -> ReviewRequest:
    """A pupil's review request from the block page (new)."""
    fields.setdefault("site", "games.example")
    fields.setdefault("url", "https://games.example/play")
    fields.setdefault("who", person.first_name.lower() if person is not None else "10.0.0.5")
    fields.setdefault("message", "I need this for my homework")
    fields.setdefault("category", "games")
    return ReviewRequest.objects.create(
        school=school,
        received_at=fields.pop("received_at", timezone.now() - dt.timedelta(minutes=5)),
        spool_file=spool(school),
        offset=next(_offsets),
        person=person,
        **fields,
    )
