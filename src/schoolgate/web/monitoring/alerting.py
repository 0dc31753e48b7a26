"""Raising alerts from the events the ingester has just stored.

`consider(school, events, now)` runs inside the ingester's batch transaction, with the rows just
inserted (their ids set). It hands plain records to the pure rules (`schoolgate.monitoring.alerts`),
then creates the new `Alert`s, brings the ones joined up to date, and points each event at its alert.
The ingester must reach 50,000 events a second, and most events raise nothing, so the database is asked
once per batch (the open alerts of the people in it), written once per alert touched, never once per
event; a batch that raises nothing and joins nothing writes nothing.

The worker's alerts are written as the ingester writes events, in bulk and outside the audit trail:
what an alert is made of is its events, kept with it. What people then do with an alert (acknowledge,
dismiss, make an incident: `actions`) is audited.

Repeated blocks are counted across batches from a memory of each person's recent block times, kept by
the process and added to only once a batch's transaction has committed (a batch rolled back and read
again is not counted twice). A worker that restarts forgets at most one window (five minutes) of blocks:
a repetition spanning the restart may be seen late or not at all, which the weekly report's block
counts still show.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F

from schoolgate.monitoring.alerts import DEFAULT_RULES, Event, Join, OpenAlert, Raise, Rules, decide
from schoolgate.web.monitoring.choices import AlertState
from schoolgate.web.monitoring.models import ActivityEvent, Alert

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

__all__ = ["consider", "forget", "plain"]

# Alerts that events may still join: new ones. One acknowledged (or dismissed, or made an incident) has
# been looked at; what happens after it is a new alert, so that nobody misses it.
JOINABLE = (AlertState.NEW,)


class _Blocks:
    """Per school and person, the times of their blocks in the last repetition window (seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[int, dict[str, list[float]]] = defaultdict(dict)

    def before(
        self, school_id: int, whos: Iterable[str], start: float, window: float
    ) -> dict[str, list[float]]:
        with self._lock:
            known = self._times.get(school_id, {})
            return {
                w: [t for t in known.get(w, ()) if start - window <= t < start] for w in whos if w in known
            }

    def add(self, school_id: int, times: dict[str, list[float]], window: float) -> None:
        with self._lock:
            known = self._times[school_id]
            latest = max((t for ts in times.values() for t in ts), default=0.0)
            for who, new in times.items():
                known[who] = sorted([*known.get(who, ()), *new])
            for who in list(known):
                kept = [t for t in known[who] if t >= latest - window]
                if kept:
                    known[who] = kept
                else:
                    del known[who]

    def clear(self) -> None:
        with self._lock:
            self._times.clear()


_BLOCKS = _Blocks()


def forget() -> None:
    """Forget every remembered block (a test starting afresh; a worker's database switched)."""
    _BLOCKS.clear()


_IDS_PER_UPDATE = 500  # events pointed at their alert per UPDATE (SQLite's limit of parameters)
_OPEN_FIELDS = ("pk", "who", "kind", "area", "severity", "first_at", "last_at")


def _who(event: ActivityEvent) -> str:
    return event.user_name or event.ip


def _why(matches: object) -> str:
    """The phrase matches' explanations, as one sentence (the ingester stores a list of dicts)."""
    if not isinstance(matches, list):
        return ""
    said = []
    for match in matches[:5]:
        if isinstance(match, dict):
            why = match.get("why") or match.get("phrase")
            if isinstance(why, str) and why:
                said.append(why)
    return "; ".join(said)


def plain(event: ActivityEvent) -> Event:
    """What the rules need of a stored event."""
    flagged = bool(event.flag)
    return Event(
        at=event.at.timestamp(),
        who=_who(event),
        blocked=event.blocked,
        reason=event.reason,
        category=event.category,
        source=event.source,
        alert_level=event.alert_level or None,
        locked=event.locked,
        flag=event.flag or None,
        flag_area=event.flag_area,
        term=event.term if flagged else "",
        why=_why(event.matches) if flagged else "",
        site="" if event.locked else event.site,
        engine=event.engine,
    )


def _interesting(event: ActivityEvent) -> bool:
    return event.blocked or bool(event.flag) or bool(event.alert_level) or event.locked


def _aware(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def consider(
    school: School, events: Sequence[ActivityEvent], now: dt.datetime, rules: Rules = DEFAULT_RULES
) -> int:
    """Raise or join alerts for `events` (stored rows of `school`, ids set), inside the caller's
    transaction. Returns how many alerts were raised."""
    rows = [e for e in events if _interesting(e)]
    if not rows:
        return 0
    records = [plain(e) for e in rows]
    whos = {r.who for r in records}
    start = min(r.at for r in records)
    earlier = _BLOCKS.before(school.pk, whos, start, rules.repeat_window)
    window = dt.timedelta(seconds=rules.group_window)
    # The school's new alerts of the last minutes are few: read them all (by the inbox's index) and keep
    # those of the batch's people, rather than send the database a list of every user name in the batch.
    recent = Alert.objects.filter(school=school, state__in=JOINABLE, last_at__gte=_aware(start) - window)
    # As tuples, not models: a busy afternoon has hundreds of them, read again for every batch.
    open_rows = {row[0]: row for row in recent.values_list(*_OPEN_FIELDS) if row[1] in whos}
    open_alerts = [
        OpenAlert(pk, who, kind, area, severity, first_at.timestamp(), last_at.timestamp())
        for pk, who, kind, area, severity, first_at, last_at in open_rows.values()
    ]
    decisions = decide(records, open_alerts, rules, earlier)
    blocks: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if record.blocked:
            blocks[record.who].append(record.at)
    if blocks:
        school_id = school.pk
        transaction.on_commit(lambda: _BLOCKS.add(school_id, dict(blocks), rules.repeat_window))
    if not decisions:
        return 0
    raises = [d for d in decisions if isinstance(d, Raise)]
    made = Alert.objects.bulk_create([_new(school, d, [rows[i] for i in d.events], now) for d in raises])
    # Every event of the batch in an alert is pointed at it: one UPDATE per alert (a batch touches a
    # few), not bulk_update's CASE over every event, which costs more than storing the events did.
    pointed: dict[int, tuple[int, ...]] = {}  # alert id -> its events (indices into `rows`)
    for alert, raised in zip(made, raises, strict=True):
        pointed[alert.pk] = raised.events
    for join in decisions:
        if isinstance(join, Join):
            _, _, _, _, _, first_at, last_at = open_rows[join.key]
            _join(join, first_at, last_at, [rows[i] for i in join.events])
            pointed[join.key] = join.events
    for alert_id, members in pointed.items():
        ids = []
        for i in members:
            rows[i].alert_id = alert_id
            ids.append(rows[i].pk)
        for at in range(0, len(ids), _IDS_PER_UPDATE):
            ActivityEvent.objects.filter(pk__in=ids[at : at + _IDS_PER_UPDATE]).update(alert=alert_id)
    return len(made)


def _new(school: School, decision: Raise, members: list[ActivityEvent], now: dt.datetime) -> Alert:
    first = members[0]
    return Alert(
        school=school,
        kind=decision.kind,
        severity=decision.severity,
        area=decision.area[:16],
        title=decision.title[:200],
        explanation=decision.explanation,
        person_id=first.person_id,
        who=decision.who[:150],
        subject=first.subject,
        ip=first.ip,
        device=first.device,
        first_at=min(e.at for e in members),
        last_at=max(e.at for e in members),
        event_count=len(members),
        created_at=now,
    )


def _join(decision: Join, first_at: dt.datetime, last_at: dt.datetime, members: list[ActivityEvent]) -> None:
    """Bring the open alert `decision.key` (its events from `first_at` to `last_at`) up to date with
    the events that join it."""
    Alert.objects.filter(pk=decision.key).update(
        severity=decision.severity,
        last_at=max(last_at, _aware(decision.last_at)),
        first_at=min([first_at, *(e.at for e in members)]),
        event_count=F("event_count") + len(members),
    )
