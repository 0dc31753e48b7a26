"""What the requests' tests decide against: Northfield's small policy (tests/web/policy/helpers.py),
its lists beside it; unpublished (`rows`) or published with its lists compiled (`running`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_django import Settings

from schoolgate.web.people.models import ClassGroup
from schoolgate.web.policy import actions as policy_actions
from tests.web.factories import Cast
from tests.web.policy.helpers import EXAMPLE_LISTS, Northfield, compile_index, small_policy


@pytest.fixture
def rows(cast: Cast, settings: Settings, tmp_path: Path) -> Northfield:
    """Northfield's small policy, not published yet, with the locked lists' stand-ins beside it."""
    root = tmp_path / "var"
    (root / "lists").mkdir(parents=True)
    for source in EXAMPLE_LISTS.glob("*.txt"):
        shutil.copy(source, root / "lists" / source.name)
    settings.POLICY_PATH = root / "policy.toml"
    settings.INDEX_PATH = root / "lists.sgidx"
    return small_policy(cast)


@pytest.fixture
def running(cast: Cast, rows: Northfield, settings: Settings) -> Northfield:
    """The small policy published and its lists compiled: what requests are decided by."""
    draft = policy_actions.check_draft(cast.a)
    policy_actions.do_publish(cast.a, actor=cast.nina, reason="start", expected_sha256=draft.rendered.sha256)
    compile_index(policy_actions.snapshot_path(cast.a), settings.INDEX_PATH)
    return rows


def class6b(cast: Cast) -> ClassGroup:
    return ClassGroup.objects.get(school=cast.a, name="6B")
