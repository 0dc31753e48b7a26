"""Ingest speed: events per second from spool files into SQLite and into PostgreSQL.

    .venv/bin/python bench/ingest.py [--events 500000] [--database sqlite|postgresql|both] [--json FILE]

The spool files are made by the gateways' own writer (`SpoolWriter`, its C loop) for a school of 1,500
pupils (each known to the filter by a user name), 150 staff and 300 sites: about 85% of requests
allowed, 10% blocked, 5% searches on Google, YouTube and Bing (some with a risk phrase, a few of them
high), as a school day's traffic looks. Each database gets a school of its own (a fresh SQLite file,
a throw-away PostgreSQL cluster made like tests/postgresql.py does) and the worker's ingester reads
every file in one round, alert rules included; the time is that round's, from the first line read to
the last commit. Goals: at least 50,000 events/s on SQLite and 100,000/s on PostgreSQL on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"sqlite": 50_000, "postgresql": 100_000}
PUPILS, STAFF, SITES = 1500, 150, 300
SEARCHES = [
    "volcano facts", "how to draw a cat", "times tables games", "roman empire homework", "minecraft update",
    "bbc bitesize maths", "spanish verbs", "football scores", "how do plants grow", "world war 2 timeline",
    "fortnite skins free", "how to kill a process in linux", "bomb calorimeter", "scunthorpe united",
]  # fmt: skip
RISKY = ["how to kill myself", "i want to die", "how to buy a knife", "kms", "where to buy weed"]
ENGINES = ["https://www.google.com/search?q={}", "https://www.youtube.com/results?search_query={}",
           "https://www.bing.com/search?q={}"]  # fmt: skip


class Line(NamedTuple):
    url: str
    user: str | None
    client_ip: str | None
    device: str | None = None
    method: str | None = "GET"


def make_spool(directory: Path, events: int, seed: int = 1) -> None:
    """`events` events of a school day, written by the gateways' writer in batches of 20."""
    sys.path.insert(0, str(ROOT / "src"))
    from schoolgate.activity.spool import SpoolWriter
    from schoolgate.engine.decide import Decision, Reason
    from schoolgate.engine.policy import Action

    chance = random.Random(seed)
    sites = [f"site{n}.example" for n in range(SITES)]
    users = [f"pupil{n}" for n in range(PUPILS)] + [f"staff{n}" for n in range(STAFF)]
    allowed = {s: Decision(Action.ALLOW, Reason.GROUP_DEFAULT, "pupils", host=s) for s in sites}
    search_hosts = {"www.google.com", "www.youtube.com", "www.bing.com"}
    allowed.update({h: Decision(Action.ALLOW, Reason.GROUP_DEFAULT, "pupils", host=h) for h in search_hosts})
    blocked = [
        Decision(Action.BLOCK, Reason.RULE, "pupils", category=c, source=f"ut1/{c}", rule=n, host=f"{c}.org")
        for n, c in enumerate(["games", "social_networks", "gambling", "adult", "vpn"], 1)
    ]
    favourites = [chance.sample(sites, 8) for _ in users]
    weights = [40, 40, 15, 4, 1]  # games and social networks blocked most, a VPN now and then
    writer = SpoolWriter(directory, "squid")
    when = time.time() - 6 * 3600
    written = 0
    while written < events:
        lines, decisions = [], []
        n = chance.randrange(len(users))
        user, ip = users[n], f"10.{n // 250}.{n % 250}.10"
        roll = chance.random()
        # Steps drawn so that events come out ~85% allowed, 10% blocked, 5% searches: a page is a
        # burst of 17.5 requests on average, a block or a search one.
        if roll < 0.245:
            # A page: the document and its parts, a burst of requests to one site.
            site = chance.choice(favourites[n])
            for _ in range(chance.randint(5, 30)):
                lines.append(Line(f"https://{site}/page/{chance.randrange(1000)}", user, ip))
                decisions.append(allowed[site])
        elif roll < 0.748:
            decision = chance.choices(blocked, weights)[0]
            lines.append(Line(f"https://{decision.host}/", user, ip))
            decisions.append(decision)
        else:
            term = chance.choice(RISKY if chance.random() < 0.05 else SEARCHES)
            url = chance.choice(ENGINES).format(term.replace(" ", "+"))
            lines.append(Line(url, user, ip))
            decisions.append(allowed[url.split("/")[2]])
        lines, decisions = lines[: events - written], decisions[: events - written]
        when += 0.01
        writer.record(when, lines, decisions)
        written += len(lines)
    writer.close()


def child(spool: Path) -> dict[str, Any]:
    """In a process of its own, with SCHOOLGATE_DATA and SCHOOLGATE_DATABASE set: a fresh database, a
    school of PUPILS pupils and STAFF staff with their user names, the spool read in one round."""
    sys.path.insert(0, str(ROOT / "src"))
    url = os.environ.get("SCHOOLGATE_DATABASE", "sqlite")
    if url.startswith("postgres"):
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS schoolgate")
            conn.execute("CREATE DATABASE schoolgate")
    from schoolgate.web.secretkey import ensure_key

    ensure_key()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from schoolgate.web.monitoring.ingest import Ingester, spools
    from schoolgate.web.monitoring.models import ActivityEvent, Alert, HourlyVisit
    from schoolgate.web.people.choices import IdentityKind, PersonKind
    from schoolgate.web.people.models import NetworkIdentity, Person
    from schoolgate.web.tenancy.models import School

    call_command("migrate", interactive=False, verbosity=0)
    school = School.objects.create(name="Bench Academy", slug="bench")
    pupils = [
        Person(school=school, kind=PersonKind.PUPIL, first_name="Pupil", last_name=str(n))
        for n in range(PUPILS)
    ]
    staff = [
        Person(school=school, kind=PersonKind.STAFF, first_name="Staff", last_name=str(n))
        for n in range(STAFF)
    ]
    people = Person.objects.bulk_create(pupils + staff)
    names = [f"pupil{n}" for n in range(PUPILS)] + [f"staff{n}" for n in range(STAFF)]
    NetworkIdentity.objects.bulk_create(
        NetworkIdentity(school=school, kind=IdentityKind.USERNAME, value=name, person=person)
        for name, person in zip(names, people, strict=True)
    )
    target = Path(settings.SPOOL_DIR)
    shutil.copytree(spool, target)
    size = sum(p.stat().st_size for p in target.iterdir())
    ingester = Ingester(spools())
    started, cpu = time.perf_counter(), time.process_time()
    done = ingester.round()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "database": connection.vendor,
        "events": done.events,
        "skipped": done.skipped,
        "seconds": round(seconds, 3),
        "events_per_s": round(done.events / seconds),
        # The worker's own processor time: on a machine busy with other work, what it would do alone.
        "cpu_s": round(cpu, 3),
        "events_per_cpu_s": round(done.events / cpu),
        "spool_mb": round(size / 1e6, 1),
        "rows": ActivityEvent.objects.count(),
        "hourly_counts": HourlyVisit.objects.count(),
        "alerts": Alert.objects.count(),
        "goal_per_s": GOALS["postgresql" if connection.vendor == "postgresql" else "sqlite"],
    }


def run_child(spool: Path, database: str) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="sgingest-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(
        SCHOOLGATE_DATA=str(work), SCHOOLGATE_HTTPS="0", DJANGO_SETTINGS_MODULE="schoolgate.web.settings",
        PYTHONPATH=str(ROOT / "src"),
    )  # fmt: skip
    out = work / "figures.json"
    command = [sys.executable, __file__, "--child", str(spool), "--json", str(out)]
    if database == "postgresql":
        command = [sys.executable, str(ROOT / "tests" / "postgresql.py"), *command]
        if os.geteuid() == 0:
            os.chmod(work, 0o777)  # the cluster's server runs as postgres; the child as us
    try:
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0:
            sys.exit(f"ingest bench: the {database} run failed (the reason is above)")
        found: dict[str, Any] = json.loads(out.read_text())
        return found
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=500_000, help="events in the spool (default 500,000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        figures: Any = child(args.child)
    else:
        if args.events < 1:
            sys.exit("ingest bench: --events at least 1")
        spool = Path(tempfile.mkdtemp(prefix="sgingest-spool-"))
        try:
            started = time.perf_counter()
            make_spool(spool, args.events)
            print(
                f"== {args.events:,} events written by SpoolWriter in {time.perf_counter() - started:.1f} s"
            )
            figures = {}
            for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
                found = run_child(spool, database)
                figures[database] = found
                print(
                    f"== ingest into {database}: {found['events']:,} events in {found['seconds']:.2f} s = "
                    f"{found['events_per_s']:,} events/s (goal {found['goal_per_s']:,}); "
                    f"{found['events_per_cpu_s']:,} per second of the worker's processor time; "
                    f"{found['rows']:,} rows, {found['hourly_counts']:,} hourly counts, "
                    f"{found['alerts']:,} alerts",
                    flush=True,
                )
        finally:
            shutil.rmtree(spool, ignore_errors=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
