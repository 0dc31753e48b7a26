"""`schoolgate web manage selftest [--school SLUG] [--json]` (and `schoolgate selftest`, which runs
this): run the filtering self-test now, as the server's operator, for one school or every school whose
self-test is set up; the run is kept like any other. Exit status 0 when every run passed, 1 when one
did not (its alert raised as the worker's would be), 2 for a mistake in what was asked."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from schoolgate.web.accounts.management.commands._operator import operator
from schoolgate.web.accounts.management.commands._operator import school as find_school
from schoolgate.web.selftest.actions import do_request_run
from schoolgate.web.selftest.choices import Outcome, RunState, Trigger
from schoolgate.web.selftest.models import SelfTestRun, SelfTestSettings
from schoolgate.web.selftest.runner import run_now
from schoolgate.web.tenancy.management.commands.create_school import database_ready
from schoolgate.web.tenancy.models import School


def add_selftest_arguments(parser: Any) -> None:
    parser.add_argument("--school", help="the school's short name (slug); default: every school set up")
    parser.add_argument("--json", action="store_true", help="print each run's results as JSON")


def run_for(school: School) -> SelfTestRun:
    """A new run for `school`, worked through now; or the one already waiting or running, finished."""
    waiting = SelfTestRun.objects.filter(school=school, state__in=(RunState.QUEUED, RunState.RUNNING)).first()
    if waiting is None:
        try:
            waiting = do_request_run(school, actor=operator("selftest"), trigger=Trigger.COMMAND)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
    return run_now(waiting)


def as_json(run: SelfTestRun) -> dict[str, Any]:
    return {
        "school": run.school.slug,
        "run": run.pk,
        "state": run.state,
        "policy_sha256": run.policy_sha256,
        "policy_version": run.policy_version.number if run.policy_version else None,
        "problem": run.problem,
        "results": [
            {
                "group": r.group,
                "gateway": r.gateway,
                "check": r.label,
                "target": r.target,
                "expected": r.expected,
                "actual": r.actual,
                "outcome": r.outcome,
            }
            for r in run.results.all()
        ],
    }


def as_text(run: SelfTestRun) -> list[str]:
    results = list(run.results.all())
    passed = sum(r.outcome == Outcome.PASSED for r in results)
    state = run.get_state_display().lower()
    lines = [f"{run.school.name}: {state} ({passed} of {len(results)} checks as expected)"]
    for r in results:
        if r.outcome != Outcome.PASSED:
            mark = "NOT AS EXPECTED" if r.outcome == Outcome.FAILED else "not checked"
            lines.append(
                f"  {mark}: {r.group}, {r.get_gateway_display().lower()}, {r.label}: {r.target}: "
                f"expected {r.expected}, {r.actual}"
            )
    if run.problem:
        lines.append(f"  problems: {run.problem}")
    return lines


class Command(BaseCommand):
    help = "Run the filtering self-test now through the school's own proxy and resolver; keep the run."

    def add_arguments(self, parser: CommandParser) -> None:
        add_selftest_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        database_ready()
        if options.get("school"):
            schools = [find_school(options["school"])]
        else:
            ids = SelfTestSettings.objects.values_list("school_id", flat=True)
            schools = list(School.objects.filter(pk__in=list(ids)).order_by("slug"))
            if not schools:
                raise CommandError("no school has its self-test set up: choose its proxy and resolver first")
        runs = [run_for(school) for school in schools]
        if options.get("json"):
            self.stdout.write(json.dumps([as_json(run) for run in runs], indent=2))
        else:
            for run in runs:
                for line in as_text(run):
                    self.stdout.write(line)
        if any(run.state != RunState.PASSED for run in runs):
            raise SystemExit(1)
