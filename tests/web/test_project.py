"""The project as a whole: the database the run asked for, migrations in step with the models, and
production settings that Django's deployment check passes without a warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection


def test_it_runs_on_the_database_the_run_asked_for(db: None) -> None:
    wanted = (
        "postgresql" if os.environ.get("SCHOOLGATE_DATABASE", "sqlite").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == wanted


def test_the_migrations_match_the_models(db: None) -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_production_settings_pass_the_deployment_check(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCHOOLGATE_", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(SCHOOLGATE_DATA=str(tmp_path), SCHOOLGATE_ALLOWED_HOSTS="schoolgate.northfield.sch.uk")
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "web", "manage", "check", "--deploy",
         "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0  # made once, readable by its owner only


@pytest.mark.parametrize("value", ["mysql://x/y", "postgresql://h"])
def test_a_bad_database_setting_is_a_clear_error(tmp_path: Path, value: str) -> None:
    env = dict(os.environ, SCHOOLGATE_DATA=str(tmp_path), SCHOOLGATE_DATABASE=value)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "web", "manage", "check"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "SCHOOLGATE_DATABASE" in done.stderr and "use sqlite or postgresql" in done.stderr
    assert "Traceback" not in done.stderr
