"""Sample records for the self-test's pages whose addresses need one, for tests/web/sitemap.py's SAMPLES
(the permission matrix and the accessibility checks walk every page). Each call makes a fresh record of
`school`, since some pages change or remove the one they are given."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from django.utils import timezone

from schoolgate.web.policy.models import FilterGroup
from schoolgate.web.selftest.choices import Gateway, Outcome, Profile, RunState, Trigger
from schoolgate.web.selftest.models import SelfTestResult, SelfTestRun, TestIdentity
from tests.web.factories import Cast

_numbers = count(1)


def _run(cast: Cast, school: Any) -> dict[str, Any]:
    now = timezone.now()
    run = SelfTestRun.objects.create(
        school=school, trigger=Trigger.SCHEDULE, requested_at=now, started_at=now, finished_at=now,
        state=RunState.FAILED, policy_sha256="0" * 64,
        plan=[{"group": "pupils", "gateway": "dns", "key": "gambling", "label": "Gambling",
               "target": "bet365.com", "expect": "blocked"}],
        done=1, configuration={"proxy": "", "resolver": "10.0.0.2:53", "identities": []},
    )  # fmt: skip
    SelfTestResult.objects.create(
        run=run, position=0, group="pupils", gateway=Gateway.DNS, key="gambling", label="Gambling",
        target="bet365.com", expected="blocked", actual="resolved to 192.0.2.1", outcome=Outcome.FAILED,
        at=now,
    )  # fmt: skip
    return {"pk": run.pk}


def _identity(cast: Cast, school: Any) -> dict[str, Any]:
    group = FilterGroup.objects.create(school=school, name=f"sample-{next(_numbers)}")
    identity = TestIdentity.objects.create(
        school=school, group=group, profile=Profile.PUPILS, user_name="test-pupil", password="secret"
    )
    return {"pk": identity.pk}


SELFTEST_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "selftest:run": _run,
    "selftest:identity": _identity,
    "selftest:identity-delete": _identity,
}
