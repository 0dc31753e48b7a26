"""cli/selftest.py: `schoolgate selftest [--school SLUG] [--json]`. In-process through `main` against the
test database for what it prints and its exit status; as a real process for a server whose database is
not set up (one line, exit status 2). The checks themselves are tests/web/selftest/."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pytest_django import Settings

from schoolgate.cli import main
from schoolgate.web.selftest.choices import RunState, Trigger
from schoolgate.web.selftest.models import SelfTestRun, SelfTestSettings
from tests.school import SCHOOLGATE
from tests.web.factories import Cast, make_cast


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


def test_it_says_when_no_school_has_its_self_test_set_up(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["selftest"]) == 2
    assert capsys.readouterr().err == (
        "schoolgate: no school has its self-test set up: choose its proxy and resolver first\n"
    )
    assert main(["selftest", "--school", "nowhere"]) == 2
    assert "no school 'nowhere'" in capsys.readouterr().err


def test_a_run_that_cannot_check_anything_is_kept_and_exits_1(
    cast: Cast, capsys: pytest.CaptureFixture[str], settings: Settings, tmp_path: Path
) -> None:
    settings.POLICY_PATH = tmp_path / "policy.toml"  # nothing published there
    SelfTestSettings.objects.create(school=cast.a, resolver="127.0.0.1:9")
    assert main(["selftest", "--school", "northfield", "--json"]) == 1
    [printed] = json.loads(capsys.readouterr().out)
    assert printed["school"] == "northfield"
    assert printed["state"] == RunState.INCOMPLETE
    assert "nothing has been published" in printed["problem"]
    run = SelfTestRun.objects.get(school=cast.a)
    assert (run.trigger, run.state, run.requested_by) == (Trigger.COMMAND, RunState.INCOMPLETE, None)
    assert main(["selftest", "--school", "northfield"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Northfield Primary: could not check everything (0 of 0 checks as expected)\n")


def test_a_server_whose_database_is_not_set_up_is_told_in_one_line(tmp_path: Path) -> None:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("SCHOOLGATE_", "DJANGO_"))
    }
    env |= {"SCHOOLGATE_DATA": str(tmp_path), "SCHOOLGATE_SECRET_KEY": "k" * 60}
    done = subprocess.run([*SCHOOLGATE, "selftest"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("schoolgate: the database is not set up")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
