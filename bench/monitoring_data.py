"""Thirty days of a 1,500-pupil school's monitoring rows, for the page bench (bench/monitoring_pages.py).

A school day of a secondary school of 1,500 pupils is about 3 million requests through the proxy. Of
them the database keeps, one row each, what the ingester keeps: the blocked requests (about 5 %), the
searches (about 3 %) and what a risk phrase flagged; the allowed rest is counted per person, site and
hour (`HourlyVisit`). Weekends are quiet (a few pupils at home on school laptops). Alerts come from the
flagged searches and the locked-list attempts, a few a day, most of them handled.

The rows are written with plain `INSERT`s in batches (`executemany`), not through the ingester: this
is the data the pages read, made as fast as the database takes it; the ingester's own speed is
bench/ingest.py's figure.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# Shares of a day's requests kept as rows.
BLOCKED_SHARE = 0.05
SEARCH_SHARE = 0.03
SITES = 4000
TERMS = (
    "volcano facts", "times tables", "photosynthesis", "roman britain", "fractions year 6",
    "minecraft", "how to draw a cat", "fortnite skins", "football scores", "bbc bitesize maths",
    "the great fire of london", "spelling test", "rainforest animals", "tudors", "solar system",
    "how to make slime", "world cup 2026", "taylor swift", "recipes for pancakes", "french verbs",
    "macbeth summary", "pythagoras", "periodic table", "climate change", "coding for kids",
)  # fmt: skip
# What the flagged searches were, by area and severity, as the phrase library would mark them.
FLAGGED = (
    ("how to kill myself", "suicide", "high"),
    ("ways to self harm", "self_harm", "high"),
    ("ana tips", "self_harm", "high"),
    ("buy a knife online", "weapons", "medium"),
    ("how to make a bomb", "violence", "high"),
    ("weed prices", "drugs", "medium"),
    ("free bets no deposit", "gambling", "low"),
    ("send nudes", "grooming", "high"),
)
CATEGORIES_BLOCKED = ("gambling", "adult", "games", "social_networks", "vpn", "proxy", "violence", "drugs")


@dataclass
class Filled:
    days: int
    requests_per_day: int
    events: int
    visits: int
    alerts: int


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = 5000) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(
    school: Any,
    *,
    days: int = 30,
    requests_per_day: int = 3_000_000,
    end: dt.datetime | None = None,
    seed: int = 15,
    say: Any = print,
) -> Filled:
    """Write `days` days of the school's monitoring rows ending at `end` (default: now)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from schoolgate.web.monitoring.access import subject_of
    from schoolgate.web.monitoring.models import ActivityEvent, Alert, HourlyVisit, SpoolFile
    from schoolgate.web.people.models import NetworkIdentity

    rng = random.Random(seed)
    end = end or timezone.now()
    people = [
        (i.value, i.person_id, subject_of(i.person))
        for i in NetworkIdentity.objects.filter(school=school, kind="username", person__isnull=False)
        .select_related("person")
        .order_by("pk")
    ]
    pupils = [p for p in people if p[2] == "pupil"]
    sites = [f"site{n}.example.org" for n in range(SITES)]
    # Zipf: a few sites take most requests (cumulative weights, summed once)
    weights = list(itertools.accumulate(1.0 / (n + 1) for n in range(SITES)))
    event_table = ActivityEvent._meta.db_table
    visit_table = HourlyVisit._meta.db_table
    event_cols = (
        "school_id", "at", "spool_file_id", "offset", "gateway", "user_name", "person_id", "subject", "ip",
        "device", "method", "url", "site", "blocked", "reason", "group", "category", "source", "rule",
        "alert_level", "locked", "engine", "term", "superseded", "flag", "flag_area", "matches", "alert_id",
    )  # fmt: skip
    visit_cols = (
        "school_id", "hour", "who", "person_id", "subject", "ip", "device", "site", "group", "category",
        "requests",
    )  # fmt: skip
    q = connection.ops.quote_name
    insert_event = (
        f"INSERT INTO {q(event_table)} ({', '.join(q(c) for c in event_cols)}) "
        f"VALUES ({', '.join(['%s'] * len(event_cols))})"
    )
    insert_visit = (
        f"INSERT INTO {q(visit_table)} ({', '.join(q(c) for c in visit_cols)}) "
        f"VALUES ({', '.join(['%s'] * len(visit_cols))})"
    )
    events = visits = alerts = 0
    for day in range(days, 0, -1):
        date = (end - dt.timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        weekend = date.weekday() >= 5
        requests = requests_per_day // (40 if weekend else 1)
        active = pupils[: max(1, len(pupils) // (20 if weekend else 1))]
        spool = SpoolFile.objects.create(
            school=school, host="gateway1", name=f"events-squid-gateway1-1-{int(date.timestamp())}-0-1.jsonl",
            kind="events", gateway="squid", finished_at=date, removed_at=date,
        )  # fmt: skip
        kept = int(requests * (BLOCKED_SHARE + SEARCH_SHARE))
        rows = _day_events(rng, school.pk, spool.pk, date, active, kept, sites, weights)
        with transaction.atomic(), connection.cursor() as cursor:
            for batch in _chunks(rows):
                cursor.executemany(insert_event, batch)
                events += len(batch)
        # Allowed traffic, counted: each active pupil visits some sites each school hour.
        per_hour = max(1, (requests - kept) // max(1, len(active) * 7))
        with transaction.atomic(), connection.cursor() as cursor:
            for batch in _chunks(_day_visits(rng, school.pk, date, active, per_hour, sites, weights)):
                cursor.executemany(insert_visit, batch)
                visits += len(batch)
        # The day's alerts: one per flagged search, most handled.
        flagged = list(
            ActivityEvent.objects.filter(school=school, spool_file=spool)
            .exclude(flag="")
            .values_list("pk", "at", "user_name", "person_id", "subject", "flag", "flag_area")
        )
        with transaction.atomic():
            for pk, at, user, person, subject, flag, area in flagged:
                alert = Alert.objects.create(
                    school=school, kind="phrase", severity=flag, area=area, title=f"A {area} search",
                    explanation="", person_id=person, who=user, subject=subject, first_at=at, last_at=at,
                    event_count=1, created_at=at, notified_at=at,
                    state="new" if day <= 2 else rng.choice(("acknowledged", "dismissed", "incident")),
                )  # fmt: skip
                ActivityEvent.objects.filter(pk=pk).update(alert=alert)
                alerts += 1
        say(
            f"   day {days - day + 1:2d}/{days}: {events:,} events, {visits:,} hourly counts, {alerts} alerts"
        )
    return Filled(days, requests_per_day, events, visits, alerts)


def _day_events(
    rng: random.Random,
    school: int,
    spool: int,
    date: dt.datetime,
    active: Sequence[tuple[str, int, str]],
    kept: int,
    sites: list[str],
    weights: list[float],
) -> Iterator[tuple[Any, ...]]:
    """One day's rows of `ActivityEvent`: blocked requests and searches, a few searches flagged."""
    searches = SEARCH_SHARE / (BLOCKED_SHARE + SEARCH_SHARE)
    for n in range(kept):
        user, person, subject = active[rng.randrange(len(active))]
        at = date + dt.timedelta(seconds=8 * 3600 + rng.random() * 7.5 * 3600)
        flag = flag_area = term = engine = ""
        matches = "[]"
        if rng.random() < searches:
            engine = "google"
            if rng.random() < 0.0005:
                term, flag_area, flag = FLAGGED[rng.randrange(len(FLAGGED))]
                matches = json.dumps([{"phrase": term, "area": flag_area, "severity": flag}])
            else:
                term = TERMS[rng.randrange(len(TERMS))]
            site, blocked, category = "www.google.co.uk", False, "search"
            url = "https://www.google.co.uk/search?q=" + term.replace(" ", "+")
        else:
            listed = rng.random() < 0.5
            site = rng.choices(sites, cum_weights=weights)[0] if listed else f"blocked{n % 500}.example"
            blocked, category = True, CATEGORIES_BLOCKED[n % len(CATEGORIES_BLOCKED)]
            url = f"https://{site}/page/{n % 97}"
        ip = f"10.1.{n % 250}.{n % 200}"
        reason = "rule" if blocked else "group-default"
        yield (
            school, at, spool, n * 300, "squid", user, person, subject, ip, "", "GET", url, site, blocked,
            reason, "pupils", category, f"ut1/{category}", 4 if blocked else None, "", False, engine, term,
            False, flag, flag_area, matches, None,
        )  # fmt: skip


def _day_visits(
    rng: random.Random,
    school: int,
    date: dt.datetime,
    active: Sequence[tuple[str, int, str]],
    per_hour: int,
    sites: list[str],
    weights: list[float],
) -> Iterator[tuple[Any, ...]]:
    """One day's rows of `HourlyVisit`: each active pupil's sites, each school hour."""
    for user, person, subject in active:
        for hour in range(8, 15):
            chosen = set(rng.choices(sites, cum_weights=weights, k=12))
            for site in chosen:
                hour_at = date + dt.timedelta(hours=hour)
                count = max(1, per_hour // len(chosen))
                yield (school, hour_at, user, person, subject, "", "", site, "pupils", "", count)
