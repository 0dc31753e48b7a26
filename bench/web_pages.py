"""Page timings of the web application with a realistic school: 1,500 pupils (each with a parent),
150 staff, 60 classes and a filtering policy of 40 rules, on SQLite (a file, as `make run` uses).

    .venv/bin/python bench/web_pages.py [--requests 60] [--json FILE]

Each page is requested by a logged-in member of staff (the DSL, or the network manager for the policy
pages) through Django's own request handling, middleware, sessions and templates included (the test
client, in this process: no network between), after three warm-up requests; the figures are the
median, the 95th percentile and the slowest of the timed requests, and the SQL queries one request
makes. Goal: p95 under 200 ms for every page.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 200.0
# A secondary school's log over two school years (the demo spreads them over the last 600 days).
INCIDENTS = 600


@dataclass
class PageResult:
    label: str
    url: str
    user: str
    statuses: list[int]
    times_ms: list[float]
    queries: int

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


class QueryCounter:
    """Counts the SQL statements run inside `connection.execute_wrapper(counter)`."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page (default 60)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if args.requests < 1:
        sys.exit("web_pages: --requests at least 1")
    work = Path(tempfile.mkdtemp(prefix="sgwebbench-"))
    os.environ.update(
        SCHOOLGATE_DATA=str(work), SCHOOLGATE_HTTPS="0", SCHOOLGATE_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="schoolgate.web.settings", SCHOOLGATE_DATABASE="sqlite",
    )  # fmt: skip
    for name in ("SCHOOLGATE_POLICY", "SCHOOLGATE_INDEX", "SCHOOLGATE_LISTS", "SCHOOLGATE_LISTS_ROOT"):
        os.environ.pop(name, None)  # run_all's own, for the helper's bench: this school's are its data's
    try:
        figures = measure(args.requests)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"all figures: {args.json}")


def measure(requests: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    from schoolgate.web.secretkey import ensure_key

    ensure_key()  # in the bench's own data directory, as `web serve` makes it
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from schoolgate.web.demo import DEMO_PASSWORD, load_demo, load_demo_incidents, load_demo_policy
    from schoolgate.web.people.choices import PersonKind
    from schoolgate.web.people.models import Person

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    demo = load_demo(pupils=1500, classes=60, staff=150, secondary=True)
    school = demo.school
    load_demo_policy(school, extra_rules=28)  # 12 rules of its own, 28 lessons' unblocks: 40
    from django.conf import settings

    from schoolgate.cli import main as schoolgate
    from schoolgate.web.policy.actions import snapshot_path

    index = str(settings.INDEX_PATH)
    if schoolgate(["lists", "compile", "--policy", str(snapshot_path(school)), "--index", index, "--quiet"]):
        sys.exit("web_pages: the demo policy's lists did not compile")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    incidents = load_demo_incidents(school, count=INCIDENTS)
    incidents_s = time.perf_counter() - started
    print(
        f"== the online safety log: {incidents:,} incidents made through the actions in {incidents_s:.1f} s"
    )
    people = Person.objects.filter(school=school).count()
    print(
        f"== the school: {people:,} people loaded in {load_s:.1f} s "
        f"(SQLite file, {connection.settings_dict['NAME']})"
    )

    def client_for(username: str) -> Client:
        from schoolgate.web.accounts.models import User

        user = User.objects.get(username=username)
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        client = Client()
        client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        code = str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6)
        response = client.post("/login/code/", {"code": code})
        if response.status_code != 302:
            sys.exit(f"web_pages: {username} could not log in ({response.status_code})")
        return client

    dsl, manager = client_for("s.ahmed"), client_for("d.kowalski")
    pupil = Person.objects.filter(school=school, kind=PersonKind.PUPIL).order_by("pk")[700]
    pages: list[tuple[str, Client, str, str]] = [
        ("home", dsl, "s.ahmed", reverse("core:home")),
        ("people: everyone, page 1", dsl, "s.ahmed", reverse("people:list")),
        ("people: pupils, page 20", dsl, "s.ahmed", reverse("people:list") + "?kind=pupil&page=20"),
        ("people: search", dsl, "s.ahmed", reverse("people:list") + "?q=smith"),
        ("a pupil", dsl, "s.ahmed", reverse("people:detail", kwargs={"pk": pupil.pk})),
        ("audit trail, page 1", dsl, "s.ahmed", reverse("audit:list")),
        ("audit trail, page 100", dsl, "s.ahmed", reverse("audit:list") + "?page=100"),
    ]
    from schoolgate.web.policy.models import FilterGroup, Rule

    rules = Rule.objects.filter(school=school).count()
    print(f"== the policy: {rules} rules")
    group = FilterGroup.objects.get(school=school, name="pupils")
    rule = Rule.objects.filter(school=school).order_by("position")[20]
    test = reverse("policy:test") + "?url=https%3A%2F%2Fwww.bet365.com%2F&user=amelia.hughes"
    pages += [
        ("policy: overview", manager, "d.kowalski", reverse("policy:overview")),
        ("policy: rules (40)", manager, "d.kowalski", reverse("policy:rules")),
        ("policy: a rule", manager, "d.kowalski", reverse("policy:rule", kwargs={"pk": rule.pk})),
        ("policy: groups", manager, "d.kowalski", reverse("policy:groups")),
        ("policy: the pupils group", manager, "d.kowalski", reverse("policy:group", kwargs={"pk": group.pk})),
        ("policy: publish (check, diff)", manager, "d.kowalski", reverse("policy:publish")),
        ("policy: versions", manager, "d.kowalski", reverse("policy:versions")),
        ("test a URL: a decision", manager, "d.kowalski", test),
        ("people: import", manager, "d.kowalski", reverse("people:import")),
        ("staff logins", manager, "d.kowalski", reverse("accounts:staff")),
    ]
    from django.db.models import Count

    from schoolgate.web.incidents.models import Incident, Involvement

    busiest = (
        Involvement.objects.filter(school=school, person__kind=PersonKind.PUPIL)
        .values("person_id").annotate(n=Count("incident_id")).order_by("-n", "person_id").first()
    )  # fmt: skip
    assert busiest is not None
    closed = Incident.objects.filter(school=school, status="closed").order_by("-pk").first()
    assert closed is not None
    pages += [
        ("log: open incidents", dsl, "s.ahmed", reverse("incidents:list")),
        ("log: all, page 5", dsl, "s.ahmed", reverse("incidents:list") + "?show=all&page=5"),
        ("log: an incident", dsl, "s.ahmed", reverse("incidents:detail", kwargs={"ref": closed.reference})),
        ("log: report a concern", dsl, "s.ahmed", reverse("incidents:report")),
        (
            f"log: chronology ({busiest['n']} incidents)", dsl, "s.ahmed",
            reverse("incidents:chronology", kwargs={"pk": busiest["person_id"]}),
        ),
        ("log: sanctions matrix", dsl, "s.ahmed", reverse("sanctions:matrix")),
        ("governors' report", dsl, "s.ahmed", reverse("reports:governors")),
        ("governors' report: PDF", dsl, "s.ahmed", reverse("reports:governors-pdf")),
    ]  # fmt: skip
    results = []
    for label, client, user, url in pages:
        for _ in range(3):
            warm = client.get(url)
            if warm.status_code != 200:
                sys.exit(f"web_pages: {label} ({url}) answered {warm.status_code}")
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(url)
        times, statuses = [], []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            statuses.append(response.status_code)
        results.append(PageResult(label, url, user, statuses, times, counter.count))
    print(f"\n{'page':32s} {'median':>8s} {'p95':>8s} {'slowest':>8s} {'queries':>8s}")
    for r in results:
        median, slowest = statistics.median(r.times_ms), max(r.times_ms)
        print(f"{r.label:32s} {median:6.1f}ms {r.p95:6.1f}ms {slowest:6.1f}ms {r.queries:>8d}")
    worst = max(results, key=lambda r: r.p95)
    met = worst.p95 < GOAL_MS and all(s == 200 for r in results for s in r.statuses)
    verdict = "met" if met else "NOT met"
    print(
        f"goal: p95 under {GOAL_MS:.0f} ms on every page: "
        f"slowest {worst.p95:.1f} ms ({worst.label}), {verdict}"
    )
    return {
        "people": people,
        "load_s": load_s,
        "incidents": incidents,
        "incidents_load_s": incidents_s,
        "requests_per_page": requests,
        "pages": [
            {
                "label": r.label,
                "url": r.url,
                "user": r.user,
                "median_ms": statistics.median(r.times_ms),
                "p95_ms": r.p95,
                "max_ms": max(r.times_ms),
                "queries": r.queries,
            }
            for r in results
        ],
        "goal_ms": GOAL_MS,
        "goal_met": met,
    }


if __name__ == "__main__":
    main()
