"""The demo's days online (`schoolgate web demo-day`, which `make run` runs): after it, on a fresh data
directory, the DSL has alerts (the pupil's "how to kill myself" among them, new), the activity log has
the days' searches and blocks, and last week's monitoring report is made and says what was done about
each alert. Run as `make run` runs it: the real commands, the real Squid helper and worker."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schoolgate.web.monitoring.demo_day import Request, school_days

SCHOOLGATE = [sys.executable, "-m", "schoolgate.cli"]

FIGURES = """
import json
from schoolgate.web.commands import setup
setup()
from schoolgate.web.monitoring.models import ActivityEvent, Alert, ReviewRequest, WeeklyReport
report = WeeklyReport.objects.get()
print(json.dumps({
    "alerts": [[a.kind, a.severity, a.area, a.state, a.first_at.date().isoformat(), a.incident_id is not None]
               for a in Alert.objects.order_by("first_at")],
    "terms": sorted(set(ActivityEvent.objects.filter(superseded=False).exclude(flag="")
                        .values_list("term", flat=True))),
    "searches": ActivityEvent.objects.exclude(term="").count(),
    "blocked": ActivityEvent.objects.filter(blocked=True).count(),
    "reviews": ReviewRequest.objects.count(),
    "week": report.week_start.isoformat(),
    "figures": report.figures,
}))
"""


def test_the_school_days_are_the_last_one_and_the_week_before() -> None:
    sunday = dt.date(2026, 12, 6)
    assert school_days(sunday) == [dt.date(2026, 11, d) for d in (23, 24, 25, 26, 27)] + [
        dt.date(2026, 12, 4)
    ]
    monday = dt.date(2026, 12, 7)  # the last school day is then in the week before
    assert school_days(monday) == [dt.date(2026, 11, 30) + dt.timedelta(days=i) for i in range(5)]


def test_a_request_is_a_helper_line_as_squid_writes_it() -> None:
    at = dt.datetime(2026, 12, 4, 11, 47, tzinfo=dt.UTC)
    pupil = Request(
        at, "https://www.google.com/search?q=how+to", "aisha.turner402", "10.10.30.17", "laptop-007"
    )
    assert pupil.helper_line() == (
        "https://www.google.com/search?q=how+to 10.10.30.17/laptop-007 aisha.turner402 GET "
        "myip=10.10.0.1 myport=3128"
    )
    tablet = Request(at, "https://www.topmarks.co.uk/", "", "10.10.1.20", "")
    assert tablet.helper_line().split(" ")[1:3] == ["10.10.1.20/-", "-"]


def _run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [*SCHOOLGATE, *argv], env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.sqlite_only("the demo runs on SQLite; the worker's PostgreSQL path has its own tests")
def test_after_the_demo_the_dsl_has_alerts_the_activity_log_and_last_weeks_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(
        SCHOOLGATE_DATA=str(tmp_path),
        SCHOOLGATE_HTTPS="0",
        SCHOOLGATE_SECRET_KEY="demo-day-tests-" + "k" * 50,
        SCHOOLGATE_POLICY=str(tmp_path / "policy.toml"),
        SCHOOLGATE_INDEX=str(tmp_path / "lists.sgidx"),
    )
    _run(env, "web", "demo")
    _run(env, "lists", "compile", "--quiet")
    said = _run(env, "web", "demo-day")
    assert "through the Squid helper" in said and "last week's monitoring report" in said
    assert "already there" in _run(env, "web", "demo-day")  # a second run changes nothing

    done = subprocess.run(
        [sys.executable, "-c", FIGURES], env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert {"how to kill myself", "ana tips to not eat"} <= set(found["terms"])
    assert found["searches"] > 100 and found["blocked"] > 50 and found["reviews"] == 2
    last_day = max(a[4] for a in found["alerts"])
    # The last school day's risk phrase is new, for the DSL to triage; last week's were dealt with.
    assert ["phrase", "high", "suicide", "new", last_day, False] in found["alerts"]
    assert any(a[0] == "category" and a[3] == "new" and a[4] == last_day for a in found["alerts"])
    earlier = [a for a in found["alerts"] if a[4] != last_day]
    assert {a[3] for a in earlier} == {"incident", "acknowledged", "dismissed"}
    assert any(a[5] for a in earlier)  # the incident made from the self-harm search
    figures = found["figures"]
    assert dt.date.fromisoformat(found["week"]).weekday() == 0
    assert {a["state"] for a in figures["alerts"]} >= {"incident", "acknowledged", "dismissed"}
    assert "ana tips to not eat" in [t["term"] for t in figures["terms"]]
    assert figures["circumvention"] and figures["blocked"]
    assert sum(d["events"] for d in figures["health"]["days"]) > 100


def test_a_database_not_set_up_is_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(SCHOOLGATE_DATA=str(tmp_path), SCHOOLGATE_HTTPS="0", SCHOOLGATE_SECRET_KEY="demo-" + "k" * 50)
    done = subprocess.run(
        [*SCHOOLGATE, "web", "demo-day"], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith("schoolgate web demo-day: the database is not set up"), done.stderr
    assert "Traceback" not in done.stderr
