"""A small, known week of monitoring records for the weekly report's tests: events, alerts and review
requests at Northfield in the week of Monday 23 November 2026, and a few outside it that must not count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from schoolgate.web.monitoring.choices import AlertKind, AlertState, Severity, Subject
from schoolgate.web.monitoring.models import ActivityEvent, Alert, ReviewRequest, SpoolFile
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School

LONDON = ZoneInfo("Europe/London")
WEEK = dt.date(2026, 11, 23)  # a Monday
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
PUPIL_TERM = "how to kill myself"
STAFF_TERM = "cheap vodka delivery"


@dataclass
class Week:
    school: School
    pupil: Person
    teacher: Person
    spool: SpoolFile


def _event(
    week: Week, offset: int, at: dt.datetime, person: Person | None = None, **fields: object
) -> ActivityEvent:
    person = person or week.pupil
    fields.setdefault("subject", Subject.PUPIL if person == week.pupil else Subject.STAFF)
    fields.setdefault("url", "https://example.org/")
    return ActivityEvent.objects.create(
        school=week.school, at=at, spool_file=week.spool, offset=offset, gateway="squid", person=person,
        user_name="amelia.hughes" if person == week.pupil else "r.patel", ip="10.0.0.5", **fields,
    )  # fmt: skip


def _alert(week: Week, at: dt.datetime, person: Person | None = None, **fields: object) -> Alert:
    person = person or week.pupil
    fields.setdefault("subject", Subject.PUPIL if person == week.pupil else Subject.STAFF)
    return Alert.objects.create(
        school=week.school, person=person, who="amelia.hughes", first_at=at, last_at=at, event_count=1,
        title="An alert", **fields,
    )  # fmt: skip


def make_week(school: School) -> Week:
    """Pupil: 3 gambling blocks, 1 VPN block, 1 locked-list attempt, 2 searches of which 1 flagged
    high (suicide) plus its superseded keystroke trail, 1 flagged low search (gambling); alerts: 1 high
    suicide (incident opened), 1 medium circumvention (acknowledged), 1 low gambling (dismissed),
    1 medium category (new). Staff: 1 flagged medium search (drugs) and its alert (new). Two review
    requests (gambling). Outside the week: one of each, which must not be counted."""
    pupil = Person.objects.create(
        school=school, kind=PersonKind.PUPIL, first_name="Amelia", last_name="Hughes"
    )
    teacher = Person.objects.create(
        school=school, kind=PersonKind.STAFF, first_name="Ravi", last_name="Patel"
    )
    spool = SpoolFile.objects.create(
        school=school, host="gw1", name="events-squid-gw1-1-1-a-1.jsonl", kind="events", gateway="squid",
        events=12, skipped=1, problem="1 line was not JSON",
        first_seen_at=MONDAY_10, finished_at=MONDAY_10 + dt.timedelta(hours=8),
    )  # fmt: skip
    week = Week(school, pupil, teacher, spool)
    at = MONDAY_10
    n = iter(range(1000))
    for i in range(3):
        _event(
            week, next(n), at + dt.timedelta(minutes=i), blocked=True, category="gambling", site="bet365.com"
        )
    _event(week, next(n), at, blocked=True, category="circumvention", site="nordvpn.com")
    _event(week, next(n), at, blocked=True, locked=True, category="child-abuse", site="iwf-test.example")
    for trail in ("how", "how to k"):
        _event(week, next(n), at, term=trail, engine="google", superseded=True)
    _event(
        week, next(n), at + dt.timedelta(days=2), term=PUPIL_TERM, engine="google", flag=Severity.HIGH,
        flag_area="suicide",
    )  # fmt: skip
    _event(week, next(n), at, term="volcanoes for kids", engine="google")
    _event(week, next(n), at, term="poker", engine="google", flag=Severity.LOW, flag_area="gambling")
    _event(
        week, next(n), at + dt.timedelta(days=6, hours=13), person=teacher, term=STAFF_TERM, engine="google",
        flag=Severity.MEDIUM, flag_area="drugs",
    )  # fmt: skip
    # Outside the week (the Sunday before, the Monday after): never counted.
    for outside in (at - dt.timedelta(days=1, hours=1), at + dt.timedelta(days=7)):
        _event(week, next(n), outside, blocked=True, category="gambling", term="outside", flag=Severity.HIGH,
               flag_area="suicide")  # fmt: skip
        _alert(week, outside, kind=AlertKind.PHRASE, severity=Severity.HIGH, area="suicide")
    _alert(week, at, kind=AlertKind.PHRASE, severity=Severity.HIGH, area="suicide", state=AlertState.INCIDENT)
    _alert(week, at, kind=AlertKind.CIRCUMVENTION, severity=Severity.MEDIUM, state=AlertState.ACKNOWLEDGED)
    _alert(
        week, at, kind=AlertKind.PHRASE, severity=Severity.LOW, area="gambling", state=AlertState.DISMISSED,
        dismiss_reason="A maths lesson on probability",
    )  # fmt: skip
    _alert(week, at, kind=AlertKind.CATEGORY, severity=Severity.MEDIUM, area="gambling")
    _alert(week, at, person=teacher, kind=AlertKind.PHRASE, severity=Severity.MEDIUM, area="drugs")
    for i in range(2):
        ReviewRequest.objects.create(
            school=school, received_at=at + dt.timedelta(hours=i), spool_file=spool, offset=500 + i,
            url="https://bet365.com/", site="bet365.com", who="amelia.hughes", category="gambling",
            message="For a maths lesson",
        )  # fmt: skip
    return week
