"""The secret key: made once, in the data directory, by the commands that need it; never in the folder
a command happens to run in, and never by asking for help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schoolgate.web.secretkey import needs_key


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCHOOLGATE_", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(extra)
    return env


@pytest.mark.parametrize(
    "argv",
    [["web", "manage", "help"], ["web", "manage", "help", "migrate"], ["web", "manage", "migrate", "--help"]],
)
def test_asking_for_help_from_another_folder_writes_nothing_there(tmp_path: Path, argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", *argv],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "migrate" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_command_that_needs_the_key_makes_it_in_the_data_directory_only(tmp_path: Path) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "web", "manage", "diffsettings"],
        cwd=elsewhere, env=_env(SCHOOLGATE_DATA=str(data)), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(elsewhere.iterdir()) == []
    key = data / "secret-key"
    assert key.stat().st_mode & 0o077 == 0
    first = key.read_text()
    assert f"SECRET_KEY = '{first.strip()}'" in done.stdout
    subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "web", "manage", "diffsettings"],
        cwd=elsewhere, env=_env(SCHOOLGATE_DATA=str(data)), capture_output=True, check=True,
    )  # fmt: skip
    assert key.read_text() == first  # made once, then read


def test_a_key_given_in_the_environment_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "web", "manage", "diffsettings"],
        cwd=tmp_path,
        env=_env(SCHOOLGATE_DATA=str(tmp_path / "data"), SCHOOLGATE_SECRET_KEY="given-" + "x" * 50),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "data").is_dir() and not (tmp_path / "data" / "secret-key").exists()
    assert "SECRET_KEY = 'given-" in done.stdout


def test_a_data_directory_that_cannot_be_written_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "web", "manage", "diffsettings"],
        cwd=tmp_path, env=_env(SCHOOLGATE_DATA=str(blocker / "data")), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "cannot make the data directory" in done.stderr and "SCHOOLGATE_DATA" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("argv", "needed"),
    [([], False), (["help"], False), (["version"], False), (["check", "-h"], False), (["migrate"], True)],
)
def test_which_management_commands_need_the_key(argv: list[str], needed: bool) -> None:
    assert needs_key(argv) is needed
