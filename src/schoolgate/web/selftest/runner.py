"""Working through a self-test run: prepare its plan from the settings and the running policy, ask each
probe of its gateway, keep each answer, and finish with an alert when something is not as expected.

A run goes in steps so that the worker can do a few probes a round and keep reading the activity spool
(`advance(run, budget=...)`); `schoolgate selftest` does a whole run at once (`budget=None`). Each answer
is stored as it comes, with the run's count of answers moved on in the same statement only if no other
worker moved it first, so two workers never answer the same probe twice and a worker killed mid-run
leaves a run that the next round takes up where it stopped.

A run that cannot check something (no settings, nothing published, a gateway that does not answer, a
group with no test identity for a gateway) finishes "incomplete" and raises the alert too: a check that
could not be made is missing evidence, which the network manager must mend and the DSL must know of.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.load import PolicyFile, parse_policy
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.monitoring.choices import AlertKind, AlertState, Severity, Subject
from schoolgate.web.monitoring.models import Alert
from schoolgate.web.policy.actions import running_text, sha256, snapshot_path
from schoolgate.web.policy.models import PolicyVersion
from schoolgate.web.selftest.choices import Gateway, Outcome, RunState
from schoolgate.web.selftest.models import SelfTestResult, SelfTestRun, SelfTestSettings, TestIdentity
from schoolgate.web.selftest.probes import (
    Endpoint,
    Probe,
    expectation_words,
    is_reserved_name,
    judge_dns,
    judge_proxy,
    outcome_of_run,
    parse_endpoint,
    plan,
)
from schoolgate.web.selftest.transport import ask_dns, ask_proxy

log = logging.getLogger(__name__)

__all__ = ["ACTOR", "advance", "prepare", "run_now"]

ACTOR = "Schoolgate (self-test)"
PROXY_TIMEOUT = 8.0
DNS_TIMEOUT = 3.0
# The most lines of a locked list read to see whether it is a stand-in (reserved names only).
STAND_IN_LINES = 200
EXPLANATION_LINES = 30


@dataclass(frozen=True)
class _Gateways:
    proxy: Endpoint | None
    resolver: Endpoint | None
    block_page: str


def _stand_in_entries(policy_file: PolicyFile) -> list[str]:
    """The entries of the locked lists that are stand-ins: every entry a reserved name. A real list's
    entries are never asked for (they are what the list exists to keep anyone from reaching)."""
    out: list[str] = []
    for declaration in policy_file.lists.values():
        if not declaration.locked or not declaration.installed:
            continue
        path = Path(declaration.path)
        if path.is_dir():
            path = path / "domains"
        try:
            with path.open(encoding="utf-8", errors="replace") as lines:
                entries: list[str] = []
                for number, line in enumerate(lines):
                    if number >= STAND_IN_LINES:
                        entries = []  # longer than any stand-in: a real list
                        break
                    entry = line.split("#", 1)[0].strip()
                    if not entry:
                        continue
                    if not is_reserved_name(entry.split("/", 1)[0]):
                        entries = []
                        break
                    entries.append(entry)
        except OSError:
            continue
        out += entries
    return out


def _endpoint(text: str, default_port: int, what: str, notes: list[str]) -> Endpoint | None:
    if not text.strip():
        return None
    try:
        return parse_endpoint(text, default_port)
    except ValueError as error:
        notes.append(f"the {what} address cannot be used: {error}")
        return None


def prepare(run: SelfTestRun, now: dt.datetime) -> None:
    """Make the run's plan and record what it runs with: the settings, the test identities (never a
    password), the running policy's version and sha256. Problems that stop a check are kept in
    `problem`, each in words."""
    school = run.school
    notes: list[str] = []
    probes: list[Probe] = []
    configuration: dict[str, Any] = {}
    chosen = SelfTestSettings.objects.filter(school=school).first()
    text = running_text(school)
    if chosen is None:
        notes.append("the self-test is not set up: choose the proxy, the resolver and the test identities")
    elif text is None:
        notes.append("nothing has been published, so there is no filtering to check")
    else:
        run.policy_sha256 = sha256(text)
        run.policy_version = (
            PolicyVersion.objects.filter(school=school, sha256=run.policy_sha256).order_by("-number").first()
        )
        path = snapshot_path(school)
        try:
            policy_file = parse_policy(text, str(path), path.parent)
        except PolicyFileError as error:
            notes.append(f"the running policy cannot be read: {error}")
        else:
            probes, configuration = _plan(chosen, policy_file, notes)
    run.plan = [p.as_dict() for p in probes]
    run.configuration = {**configuration, "notes": notes}
    run.problem = "; ".join(notes)
    run.state = RunState.RUNNING
    run.started_at = now
    run.save(
        update_fields=[
            "plan",
            "configuration",
            "problem",
            "state",
            "started_at",
            "policy_sha256",
            "policy_version",
        ]
    )


def _plan(
    chosen: SelfTestSettings, policy_file: PolicyFile, notes: list[str]
) -> tuple[list[Probe], dict[str, Any]]:
    policy = policy_file.policy
    proxy = _endpoint(chosen.proxy, 3128, "proxy", notes)
    resolver = _endpoint(chosen.resolver, 53, "resolver", notes)
    if proxy is None and resolver is None and not notes:
        notes.append("neither the proxy nor the resolver is given: there is nothing to check through")
    curriculum: list[str] = []
    if chosen.curriculum:
        sites = policy.sites.get(chosen.curriculum)
        if sites is None:
            notes.append(f'the curriculum site list "{chosen.curriculum}" is not in the running policy')
        else:
            curriculum = sorted(sites.domains)
    locked = _stand_in_entries(policy_file)
    locked += [line.strip() for line in chosen.locked_test_addresses.splitlines() if line.strip()]
    if not locked:
        notes.append(
            "no locked list test entries: the real lists are installed, so enter the test addresses the "
            "IWF and the police give their members"
        )
    identities = list(TestIdentity.objects.filter(school=chosen.school).select_related("group"))
    if not identities:
        notes.append("no group has a test identity: add one for each group to check")
    probes: list[Probe] = []
    described = []
    for identity in identities:
        name = identity.group.name
        if name not in policy.groups:
            notes.append(f'the group "{name}" is not in the running policy (publish it first)')
            continue
        by_proxy = proxy is not None and bool(identity.user_name or identity.address)
        by_dns = resolver is not None and bool(identity.address)
        if resolver is not None and not identity.address:
            notes.append(f'"{name}" has no test address, so it is not checked through DNS')
        probes += plan(
            name, identity.profile, youtube=identity.youtube, locked=locked, curriculum=curriculum,
            proxy=by_proxy, dns=by_dns,
        )  # fmt: skip
        described.append(
            {
                "group": name,
                "profile": identity.profile,
                "youtube": identity.youtube,
                "user_name": identity.user_name,
                "address": identity.address or "",
            }
        )
    configuration = {
        "proxy": str(proxy) if proxy else "",
        "resolver": str(resolver) if resolver else "",
        "block_page": policy.block_page,
        "curriculum": chosen.curriculum,
        "curriculum_sites": curriculum,
        "locked_entries": len(locked),
        "identities": described,
    }
    return probes, configuration


def _gateways(run: SelfTestRun) -> _Gateways:
    config = run.configuration
    proxy = parse_endpoint(config["proxy"], 3128) if config.get("proxy") else None
    resolver = parse_endpoint(config["resolver"], 53) if config.get("resolver") else None
    return _Gateways(proxy, resolver, str(config.get("block_page", "")))


def _ask(probe: Probe, gateways: _Gateways, identity: TestIdentity | None) -> tuple[str, str]:
    if identity is None:
        return Outcome.ERROR.value, f'the group "{probe.group}" no longer has a test identity'
    source = identity.address or ""
    if probe.gateway == Gateway.PROXY:
        if gateways.proxy is None:
            return Outcome.ERROR.value, "no proxy to ask"
        answer = ask_proxy(
            gateways.proxy, probe.target, user=identity.user_name, password=identity.password,
            source=source, timeout=PROXY_TIMEOUT,
        )  # fmt: skip
        if answer.status == 407 and not identity.user_name:
            return Outcome.ERROR.value, (
                "the proxy asked for a login: give the group a test user name, or a test address the "
                "policy puts in the group"
            )
        return judge_proxy(probe, answer, gateways.block_page)
    if gateways.resolver is None:
        return Outcome.ERROR.value, "no resolver to ask"
    dns_answer = ask_dns(gateways.resolver, probe.target, source=source, timeout=DNS_TIMEOUT)
    return judge_dns(probe, dns_answer, gateways.block_page)


def advance(run: SelfTestRun, *, budget: float | None, clock: Any = timezone.now) -> bool:
    """Ask the run's next probes until `budget` seconds are spent (None: all of them); finish it when
    every probe has an answer. Returns whether the run is finished."""
    if run.state == RunState.QUEUED:
        prepare(run, clock())
    started = time.monotonic()
    probes = [Probe.from_dict(p) for p in run.plan]
    identities = {
        i.group.name: i for i in TestIdentity.objects.filter(school_id=run.school_id).select_related("group")
    }
    gateways = _gateways(run)
    first = run.done
    while run.done < len(probes):
        # At least one probe a call, however small the budget: every round moves the run on.
        if budget is not None and run.done > first and time.monotonic() - started > budget:
            return False
        position = run.done
        probe = probes[position]
        outcome, actual = _ask(probe, gateways, identities.get(probe.group))
        with transaction.atomic():
            moved = SelfTestRun.objects.filter(pk=run.pk, done=position).update(done=F("done") + 1)
            if not moved:
                return False  # another worker answered it: it carries on with the run
            SelfTestResult.objects.create(
                run=run, position=position, group=probe.group, gateway=probe.gateway, key=probe.key,
                label=probe.label, target=probe.target[:500], expected=expectation_words(probe.expect)[:200],
                actual=actual[:300], outcome=outcome, at=clock(),
            )  # fmt: skip
        run.done = position + 1
    finish(run, clock())
    return True


def finish(run: SelfTestRun, now: dt.datetime) -> None:
    """The run's outcome from its answers and problems; an alert when it did not pass."""
    outcomes = list(run.results.values_list("outcome", flat=True))
    state = outcome_of_run(outcomes)
    if run.problem and state == RunState.PASSED:
        state = RunState.INCOMPLETE
    with transaction.atomic():
        run.state = state
        run.finished_at = now
        if state != RunState.PASSED:
            run.alert = _alert(run, now)
        run.save(update_fields=["state", "finished_at", "alert"])


def _alert(run: SelfTestRun, now: dt.datetime) -> Alert:
    """A high alert for a run that did not pass, to the DSL as high alerts go and to those who run the
    self-test (monitoring.notify). While an earlier self-test alert is still new and its run went
    wrong in the very same way (the same checks failed or not made, the same problems), that one is
    brought up to date instead, so a failure repeated by each run is one alert in the inbox, not one a
    run. Anything else is a new alert, told as new: an alert is told once, so a new failure merged into
    an old open one (a week-old "could not check everything") would reach nobody."""
    failed = list(run.results.filter(outcome=Outcome.FAILED).order_by("position"))
    errors = run.results.filter(outcome=Outcome.ERROR).count()
    if failed:
        plural = "s" if len(failed) != 1 else ""
        title = f"Filtering self-test: {len(failed)} check{plural} not as expected"
    else:
        title = "Filtering self-test could not check everything"
    lines = []
    for result in failed[:EXPLANATION_LINES]:
        # A locked list's test address is never written into an alert (as no locked URL ever is).
        what = result.label if result.key == "locked" else f"{result.label} ({result.target})"
        lines.append(
            f"- {result.group}, {result.get_gateway_display().lower()}: {what}: "
            f"expected {result.expected}, {result.actual}"
        )
    if len(failed) > EXPLANATION_LINES:
        lines.append(f"- and {len(failed) - EXPLANATION_LINES} more")
    if errors:
        lines.append(f"{errors} check{'s' if errors != 1 else ''} could not be made.")
    if run.problem:
        lines.append(f"Problems: {run.problem}.")
    explanation = "\n".join(lines)
    existing = (
        Alert.objects.filter(school_id=run.school_id, kind=AlertKind.SELFTEST, state=AlertState.NEW)
        .order_by("-created_at")
        .first()
    )
    if existing is not None and _went_wrong(existing) == _what_went_wrong(run):
        Alert.objects.filter(pk=existing.pk).update(
            title=title[:200], explanation=explanation, last_at=now, event_count=F("event_count") + 1
        )
        existing.refresh_from_db()
        return existing
    with acting_as(ACTOR, "the filtering self-test did not pass"):
        return Alert.objects.create(
            school_id=run.school_id, kind=AlertKind.SELFTEST, severity=Severity.HIGH, title=title[:200],
            explanation=explanation, who="filtering self-test", subject=Subject.OTHER,
            first_at=now, last_at=now, event_count=1, created_at=now,
        )  # fmt: skip


def _what_went_wrong(run: SelfTestRun) -> tuple[frozenset[tuple[str, ...]], str]:
    """What makes two runs' alerts one: each check that failed or could not be made (with how), and
    the run's problems."""
    checks = frozenset(
        (r.outcome, r.group, r.gateway, r.key, r.target) for r in run.results.exclude(outcome=Outcome.PASSED)
    )
    return checks, run.problem


def _went_wrong(alert: Alert) -> tuple[frozenset[tuple[str, ...]], str] | None:
    """What went wrong in the latest run that raised or updated `alert` (None when no run did)."""
    last = SelfTestRun.objects.filter(alert=alert).order_by("-finished_at", "-pk").first()
    return None if last is None else _what_went_wrong(last)


def run_now(run: SelfTestRun) -> SelfTestRun:
    """The whole run at once (`schoolgate selftest`)."""
    advance(run, budget=None)
    run.refresh_from_db()
    return run
