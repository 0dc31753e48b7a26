"""`schoolgate worker` as a real process against a real database (SQLite here; PostgreSQL in the
PostgreSQL pass, tests/postgresql.py), under a steady stream of events from the gateways' own writer:
killed with SIGKILL again and again, the database taken away for a few seconds (the issue's "a minute"
is a few seconds here, to keep the suite short: the worker's back-off is the same), SIGTERM. Every
event must end in the database exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit, urlunsplit

import pytest

from schoolgate.activity.spool import SpoolWriter, read_spool
from tests.web.monitoring.spool import Line, allowed, blocked

SCHOOLGATE = [sys.executable, "-m", "schoolgate.cli"]
SLUG = "northfield-primary"  # what `school create` makes of "Northfield Primary"
POSTGRESQL = os.environ.get("SCHOOLGATE_DATABASE", "sqlite").startswith("postgres")

pytestmark = pytest.mark.timeout(240)

COUNT = """
import json, sys
from schoolgate.web.commands import setup
setup()
from django.db.models import Sum
from schoolgate.web.monitoring.models import ActivityEvent, HourlyVisit, SpoolFile
names, site = json.loads(sys.argv[1]), sys.argv[2]
rows = list(
    ActivityEvent.objects.filter(spool_file__name__in=names).values_list("spool_file__name", "offset")
)
visits = HourlyVisit.objects.filter(site=site).aggregate(n=Sum("requests"))["n"] or 0
files = list(SpoolFile.objects.filter(name__in=names).values_list("name", "events", "skipped", "removed_at"))
print(json.dumps({"rows": rows, "visits": visits,
                  "files": [[n, e, s, r is not None] for n, e, s, r in files]}))
"""


def _new_database() -> str | None:
    """None on SQLite (the data directory holds it); on PostgreSQL, a new database of the run's server."""
    if not POSTGRESQL:
        return None
    import psycopg

    url = urlsplit(os.environ["SCHOOLGATE_DATABASE"])
    name = f"sg_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(url._replace(path=f"/{name}"))


class Stored(TypedDict):
    """What the database holds of some spool files: each row's (file, offset), the allowed requests
    counted for a site, and each file's (name, events, skipped, removed)."""

    rows: list[list[Any]]
    visits: int
    files: list[list[Any]]


@dataclass
class Machine:
    data: Path
    env: dict[str, str]
    database: str | None

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SCHOOLGATE, *argv], env=self.env, capture_output=True, text=True, check=False, timeout=180
        )

    def start(self, spool: Path, log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            return subprocess.Popen(
                [*SCHOOLGATE, "worker", "--spool", str(spool), "--school", SLUG, "--keep-spool",
                 "--interval", "0.05", "--batch", "40"],
                env=self.env, stdout=subprocess.DEVNULL, stderr=out,
            )  # fmt: skip

    def stored(self, names: list[str], site: str) -> Stored:
        done = subprocess.run(
            [sys.executable, "-c", COUNT, json.dumps(names), site],
            env=self.env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        found: Stored = json.loads(done.stdout)
        return found


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Machine:
    data = tmp_path_factory.mktemp("worker")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(
        SCHOOLGATE_DATA=str(data),
        SCHOOLGATE_HTTPS="0",
        SCHOOLGATE_SECRET_KEY="worker-tests-" + "k" * 50,
        SCHOOLGATE_POLICY=str(data / "policy.toml"),
    )
    database = _new_database()
    if database is not None:
        env["SCHOOLGATE_DATABASE"] = database
    found = Machine(data, env, database)
    done = found.run("web", "manage", "migrate", "-v0")
    assert done.returncode == 0, done.stderr
    done = found.run("school", "create", "Northfield Primary", "--urn", "123456", "--head", "Hana Head")
    assert done.returncode == 0, done.stderr
    return found


class Stream:
    """A gateway writing a steady stream of events (one blocked in four, the rest allowed, each URL
    its own) from a thread, rotating its files small so that the worker meets many renames."""

    def __init__(self, spool: Path, site: str) -> None:
        self.writer = SpoolWriter(spool, "squid", max_bytes=8_192)
        self.site = site
        self.written = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        while not self.stopped.is_set():
            lines, decisions = [], []
            for _ in range(8):
                n = self.written
                self.written += 1
                if n % 4 == 0:
                    lines.append(Line(f"https://bet365.com/{n}", f"pupil{n % 7}", "10.0.0.5"))
                    decisions.append(blocked())
                else:
                    lines.append(Line(f"https://{self.site}/{n}", f"pupil{n % 7}", "10.0.0.5"))
                    decisions.append(allowed(self.site))
            assert self.writer.record(time.time(), lines, decisions)
            time.sleep(0.01)

    def __enter__(self) -> Stream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        self.writer.close()


def _wait_for(path: Path, text: str, process: subprocess.Popen[bytes], count: int = 1) -> None:
    while path.read_text(errors="replace").count(text) < count:
        assert process.poll() is None, path.read_text(errors="replace")
        time.sleep(0.02)


def _check_all_stored(machine: Machine, spool: Path, site: str, written: int) -> None:
    """Every event written is in the database exactly once: each blocked one a row (the set of
    (file, offset) is the set in the files, no more, no less), the allowed ones in the counts."""
    archive = spool / "archive"
    files = sorted(archive.iterdir())
    assert not [p for p in spool.iterdir() if p.is_file()], "a file left unread in the spool"
    expected: set[tuple[str, int]] = set()
    allowed_count = 0
    for path in files:
        for found in read_spool(path):
            if found.record["verdict"] == "block":
                expected.add((path.name, found.offset))
            else:
                allowed_count += 1
    assert len(expected) + allowed_count == written
    stored = machine.stored([p.name for p in files], site)
    rows = [(str(name), int(offset)) for name, offset in stored["rows"]]
    assert len(rows) == len(set(rows)), "an event stored twice"
    assert set(rows) == expected
    assert stored["visits"] == allowed_count
    for name, _, skipped, removed in stored["files"]:
        assert (skipped, removed) == (0, True), name
    assert sum(f[1] for f in stored["files"]) == written


def test_kill_9_at_random_points_loses_and_repeats_nothing(machine: Machine, tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    spool = tmp_path / "spool"
    log = tmp_path / "worker.log"
    log.touch()
    with Stream(spool, "kill9.example") as stream:
        for kill in range(1, 7):
            process = machine.start(spool, log)
            _wait_for(log, "reading the spool", process, kill)
            time.sleep(chance.uniform(0.0, 0.6))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL, f"seed {seed}"
    done = machine.run("worker", "--once", "--spool", str(spool), "--school", SLUG, "--keep-spool")
    assert done.returncode == 0, done.stderr
    _check_all_stored(machine, spool, "kill9.example", stream.written)


def _take_the_database_away(machine: Machine) -> Iterator[None]:
    """While the generator is suspended the database cannot be reached: the SQLite file moved away,
    or the PostgreSQL database closed to connections and its sessions ended."""
    if machine.database is None:
        path = machine.data / "schoolgate.sqlite3"
        away = path.with_name("away.sqlite3")
        os.replace(path, away)
        yield
        os.replace(away, path)  # over the empty file a connection may have made meanwhile
        return
    import psycopg

    url = urlsplit(machine.database)
    name = url.path.strip("/")
    with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        yield
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def test_the_database_down_for_a_while_loses_nothing_and_the_worker_catches_up(
    machine: Machine, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    log = tmp_path / "worker.log"
    log.touch()
    with Stream(spool, "down.example") as stream:
        process = machine.start(spool, log)
        try:
            _wait_for(log, "reading the spool", process)
            time.sleep(0.5)
            away = _take_the_database_away(machine)
            next(away)
            _wait_for(log, "the database cannot be reached", process)
            time.sleep(1.5)  # the gateway writes on; the worker waits, 1 s then 2 s
            next(away, None)
            _wait_for(log, "the database can be reached again", process)
            time.sleep(0.5)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, log.read_text()
    said = log.read_text()
    assert said.count("the database cannot be reached") == 1, said  # said once, not every try
    done = machine.run("worker", "--once", "--spool", str(spool), "--school", SLUG, "--keep-spool")
    assert done.returncode == 0, done.stderr
    _check_all_stored(machine, spool, "down.example", stream.written)


def test_sigterm_ends_the_worker_with_status_0_and_its_heartbeat_is_recorded(
    machine: Machine, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    log = tmp_path / "worker.log"
    log.touch()
    process = machine.start(spool, log)
    _wait_for(log, "reading the spool", process)
    process.send_signal(signal.SIGHUP)
    _wait_for(log, "SIGHUP", process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    if machine.database is None:
        with sqlite3.connect(machine.data / "schoolgate.sqlite3") as conn:
            pids = [row[0] for row in conn.execute("SELECT pid FROM monitoring_workerstatus")]
        assert process.pid in pids


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--spool", "/tmp/x"], "give each --spool DIR with the --school SLUG whose spool it is"),
        (
            ["--spool", "/tmp/x", "--school", "nowhere"],
            "--school 'nowhere': there is no school of that short name",
        ),
        (["--interval", "0"], "--interval 0.0: give a number of seconds above 0, up to 3600"),
        (["--interval", "inf"], "--interval inf: give a number of seconds above 0, up to 3600"),
        (["--interval", "nan"], "--interval nan: give a number of seconds above 0, up to 3600"),
        (["--batch", "0"], "--batch 0: give a number of lines, 1 or more"),
    ],
)
def test_a_wrong_option_is_one_clear_line(machine: Machine, argv: list[str], said: str) -> None:
    done = machine.run("worker", "--once", *argv)
    assert done.returncode == 2
    assert done.stderr == f"schoolgate: {said}\n"


def test_a_database_not_set_up_is_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(
        SCHOOLGATE_DATA=str(tmp_path), SCHOOLGATE_HTTPS="0", SCHOOLGATE_SECRET_KEY="worker-" + "k" * 50
    )
    done = subprocess.run(
        [*SCHOOLGATE, "worker", "--once"], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith("schoolgate: the database is not set up"), done.stderr
    assert len(done.stderr.splitlines()) == 1


# ----------------------------------------------------------------------------- one round, in process


@pytest.mark.django_db
def test_a_round_reads_sends_applies_retention_once_a_day_and_says_it_is_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schoolgate.web.monitoring import notify, retention, weekly
    from schoolgate.web.monitoring import worker as loop
    from schoolgate.web.monitoring.models import ActivityEvent, WorkerStatus
    from schoolgate.web.tenancy.models import School
    from tests.web.monitoring.spool import T0, write

    School.objects.create(name="Northfield Primary", slug="northfield")
    spool = tmp_path / "spool"
    write(spool, [(T0, Line("https://bet365.com/", "amelia"), blocked())])
    calls: list[str] = []

    def step(name: str) -> Callable[[object], int]:
        def called(now: object) -> int:
            calls.append(name)
            return 0

        return called

    def weekly_fails(now: object) -> int:
        raise RuntimeError("the mail server said no")

    monkeypatch.setattr(notify, "send_due", step("notify"))
    monkeypatch.setattr(weekly, "send_due", weekly_fails)
    monkeypatch.setattr(retention, "apply", step("retention"))
    said: list[str] = []
    worker = loop.Worker([(str(spool), "northfield")], say=said.append)
    assert worker.run(once=True) == 0
    assert ActivityEvent.objects.count() == 1
    status = WorkerStatus.objects.get()
    assert status.pid == os.getpid() and status.lag_seconds == 0
    assert status.problem == "sending weekly reports: the mail server said no"  # the others carried on
    worker.run(once=True)
    assert calls == ["notify", "retention", "notify"]  # retention once a day
    assert said == []


@pytest.mark.django_db
def test_sighup_reads_the_schools_again_and_keeps_the_spools_if_one_is_gone(tmp_path: Path) -> None:
    from schoolgate.web.monitoring import worker as loop
    from schoolgate.web.tenancy.models import School

    school = School.objects.create(name="Northfield Primary", slug="northfield")
    said: list[str] = []
    worker = loop.Worker([(str(tmp_path / "a"), "northfield")], say=said.append)
    worker.run(once=True)
    worker.given = [(str(tmp_path / "b"), "northfield")]
    worker.reload = True
    worker.run(once=True)
    assert [s.directory for s in worker._ingesting().spools] == [tmp_path / "b"]
    School.objects.filter(pk=school.pk).update(slug="renamed")
    worker.reload = True
    worker.run(once=True)
    assert [s.directory for s in worker._ingesting().spools] == [tmp_path / "b"]
    assert said[-1].endswith("there is no school of that short name: the spool directories stay as they were")


@pytest.mark.django_db
def test_retention_that_fails_is_tried_once_a_day_and_said_until_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schoolgate.web.monitoring import retention
    from schoolgate.web.monitoring import worker as loop
    from schoolgate.web.monitoring.models import WorkerStatus
    from schoolgate.web.tenancy.models import School

    School.objects.create(name="Northfield Primary", slug="northfield")
    tries: list[object] = []

    def fails(now: object) -> int:
        tries.append(now)
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention, "apply", fails)
    worker = loop.Worker([(str(tmp_path), "northfield")], say=lambda text: None)
    for _ in range(3):
        worker.run(once=True)
        assert WorkerStatus.objects.get().problem == "applying retention: disk full"
    assert len(tries) == 1
