"""The monitoring pages with thirty days of a 1,500-pupil school in the database, and its size on disk.

    .venv/bin/python bench/monitoring_pages.py [--days 30] [--requests-per-day 3000000] [--json FILE]
    .venv/bin/python tests/postgresql.py .venv/bin/python bench/monitoring_pages.py   # on PostgreSQL

The school is the demo's secondary school (1,500 pupils, 150 staff, 60 classes); its rows are those
bench/monitoring_data.py writes: the blocked requests, the searches and what a risk phrase flagged of
about 3 million requests a school day, one row each, and the allowed rest counted per person, site and
hour. Each page is requested by the DSL through Django's own request handling (the test client in this
process), after three warm-up requests: the alert inbox, the activity log searched by person and by
term, a pupil's timeline, and last week's monitoring report. Goal: p95 under 300 ms for each, on SQLite
and on PostgreSQL. The database's size is measured after the rows are in (SQLite: the file; PostgreSQL:
the monitoring tables with their indexes), and given per school day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
GOAL_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30, help="days of activity (default 30)")
    parser.add_argument("--requests-per-day", type=int, default=3_000_000, help="a school day's requests")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if args.days < 8 or args.requests < 1 or args.requests_per_day < 1000:
        sys.exit("monitoring_pages: --days at least 8 (a whole week for the report), --requests at least 1")
    work = Path(tempfile.mkdtemp(prefix="sgmonbench-"))
    os.environ.update(
        SCHOOLGATE_DATA=str(work), SCHOOLGATE_HTTPS="0", SCHOOLGATE_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="schoolgate.web.settings",
    )  # fmt: skip
    os.environ.setdefault("SCHOOLGATE_DATABASE", "sqlite")  # tests/postgresql.py sets PostgreSQL's
    if os.environ["SCHOOLGATE_DATABASE"].startswith("postgresql"):
        create_database(os.environ["SCHOOLGATE_DATABASE"])
    for name in ("SCHOOLGATE_POLICY", "SCHOOLGATE_INDEX", "SCHOOLGATE_LISTS", "SCHOOLGATE_LISTS_ROOT"):
        os.environ.pop(name, None)
    try:
        figures = measure(args.days, args.requests_per_day, args.requests)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"all figures: {args.json}")


def create_database(url: str) -> None:
    """The throw-away cluster of tests/postgresql.py has no database of the URL's name yet (the tests
    make their own): make it, through the cluster's `postgres` database."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def database_bytes() -> tuple[str, int]:
    """The database's size on disk: the SQLite file (with its WAL), or PostgreSQL's monitoring tables."""
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        name = Path(connection.settings_dict["NAME"])
        size = sum(p.stat().st_size for p in (name, Path(f"{name}-wal")) if p.exists())
        return "sqlite", size
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname LIKE 'monitoring\\_%%' "
            "AND c.relkind IN ('r', 'p')"
        )
        (size,) = cursor.fetchone()
    return "postgresql", int(size)


def measure(days: int, requests_per_day: int, requests: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    from schoolgate.web.secretkey import ensure_key

    ensure_key()
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from monitoring_data import fill
    from schoolgate.web.demo import DEMO_PASSWORD, load_demo
    from schoolgate.web.monitoring.models import ActivityEvent
    from schoolgate.web.monitoring.weekly import make_report

    call_command("migrate", interactive=False, verbosity=0)
    demo = load_demo(pupils=1500, classes=60, staff=150, secondary=True)
    school = demo.school
    started = time.perf_counter()
    vendor, before = database_bytes()
    filled = fill(school, days=days, requests_per_day=requests_per_day)
    fill_s = time.perf_counter() - started
    vendor, after = database_bytes()
    school_days = sum(1 for d in range(days, 0, -1) if (timezone.now() - dt.timedelta(days=d)).weekday() < 5)
    per_day = (after - before) / max(1, school_days)
    print(
        f"== {vendor}: {filled.events:,} events, {filled.visits:,} hourly counts, {filled.alerts} alerts "
        f"over {days} days in {fill_s:.0f} s; {(after - before) / 1e6:,.0f} MB, "
        f"{per_day / 1e6:,.1f} MB per school day ({school_days} school days)"
    )
    today = timezone.localdate()
    last_monday = today - dt.timedelta(days=today.weekday() + 7)
    started = time.perf_counter()
    report = make_report(school, last_monday)
    report_s = time.perf_counter() - started
    print(f"== last week's report made in {report_s:.2f} s")

    from schoolgate.web.accounts.models import User

    user = User.objects.get(username="s.ahmed")
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.post("/login/", {"username": "s.ahmed", "password": DEMO_PASSWORD})
    code = str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6)
    if client.post("/login/code/", {"code": code}).status_code != 302:
        sys.exit("monitoring_pages: the DSL could not log in")
    busiest = (
        ActivityEvent.objects.filter(school=school, person__isnull=False, subject="pupil")
        .order_by("-at")
        .values_list("person_id", "user_name")
        .first()
    )
    assert busiest is not None
    person_id, user_name = busiest
    # The activity log searches at most 31 days: the whole month the bench holds.
    month = f"from={today - dt.timedelta(days=days)}&to={today}"
    pages = [
        ("alert inbox", reverse("monitoring:alerts")),
        ("activity: by person, 30 days", reverse("monitoring:activity") + f"?who={user_name}&{month}"),
        ("activity: by term, 30 days", reverse("monitoring:activity") + f"?term=volcano&{month}"),
        ("a pupil's timeline", reverse("monitoring:timeline", kwargs={"pk": person_id})),
        ("last week's report", reverse("monitoring:report", kwargs={"pk": report.pk})),
    ]
    results = []
    for label, url in pages:
        for _ in range(3):
            warm = client.get(url)
            if warm.status_code != 200:
                sys.exit(f"monitoring_pages: {label} ({url}) answered {warm.status_code}")
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                sys.exit(f"monitoring_pages: {label} ({url}) answered {response.status_code}")
        row = {"label": label, "url": url, "median_ms": statistics.median(times), "p95_ms": p95(times)}
        results.append(row | {"max_ms": max(times)})
    print(f"\n{'page (' + vendor + ')':32s} {'median':>8s} {'p95':>8s} {'slowest':>8s}")
    for r in results:
        print(f"{r['label']:32s} {r['median_ms']:6.1f}ms {r['p95_ms']:6.1f}ms {r['max_ms']:6.1f}ms")
    worst = max(results, key=lambda r: r["p95_ms"])
    met = worst["p95_ms"] < GOAL_MS
    print(
        f"goal: p95 under {GOAL_MS:.0f} ms on every page: slowest {worst['p95_ms']:.1f} ms "
        f"({worst['label']}), {'met' if met else 'NOT met'}"
    )
    return {
        "database": vendor,
        "days": days,
        "requests_per_day": requests_per_day,
        "events": filled.events,
        "hourly_counts": filled.visits,
        "alerts": filled.alerts,
        "fill_s": fill_s,
        "bytes": after - before,
        "bytes_per_school_day": per_day,
        "report_make_s": report_s,
        "pages": results,
        "goal_ms": GOAL_MS,
        "goal_met": met,
    }


if __name__ == "__main__":
    main()
