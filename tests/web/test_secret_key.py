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
    [
        ["web", "manage", "help"],
        ["web", "manage", "help", "migrate"],
        ["web", "manage", "migrate", "--help"],
        ["web", "manage", "--help"],
    ],
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


def _make_key(data: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from schoolgate.web.secretkey import ensure_key

    monkeypatch.delenv("SCHOOLGATE_SECRET_KEY", raising=False)
    monkeypatch.setenv("SCHOOLGATE_DATA", str(data))
    return ensure_key()


def test_the_key_is_made_private_whole_and_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = os.umask(0)  # a umask that would leave a file made and then chmod-ed readable meanwhile
    try:
        key = _make_key(tmp_path, monkeypatch)
    finally:
        os.umask(old)
    path = tmp_path / "secret-key"
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_text() == key + "\n"
    assert len(key) >= 50 and [p.name for p in tmp_path.iterdir()] == ["secret-key"]  # no temporary left
    assert _make_key(tmp_path, monkeypatch) == key


def test_a_key_made_meanwhile_by_another_process_is_the_one_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is taken only by a whole key: the process that loses the race reads the winner's."""
    from schoolgate.web import secretkey

    winner = "w" * 60
    real_link = os.link

    def link_after_the_other(source: str, target: str) -> None:
        Path(target).write_text(winner + "\n")  # the other process linked its key first
        real_link(source, target)

    monkeypatch.setattr(secretkey.os, "link", link_after_the_other)
    assert _make_key(tmp_path, monkeypatch) == winner
    assert [p.name for p in tmp_path.iterdir()] == ["secret-key"]


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"", "empty: a disk that filled"), (b"short\n", "too short"), (b"\xff" * 40, "not text")],
)
def test_a_key_file_that_is_no_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, why: str
) -> None:
    from schoolgate.web.secretkey import SecretKeyError

    (tmp_path / "secret-key").write_bytes(content)
    with pytest.raises(SecretKeyError, match="is not a key"):
        _make_key(tmp_path, monkeypatch)


def test_a_symbolic_link_at_the_key_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from schoolgate.web.secretkey import SecretKeyError

    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("k" * 60 + "\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret-key").symlink_to(elsewhere)
    with pytest.raises(SecretKeyError, match="symbolic link"):
        _make_key(data, monkeypatch)
    (data / "secret-key").unlink()
    (data / "secret-key").symlink_to(tmp_path / "missing")  # dangling: never written through either
    with pytest.raises(SecretKeyError, match="symbolic link"):
        _make_key(data, monkeypatch)
    assert not (tmp_path / "missing").exists()


def test_a_key_file_that_is_a_pipe_is_refused_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schoolgate.web.secretkey import SecretKeyError

    os.mkfifo(tmp_path / "secret-key")
    with pytest.raises(SecretKeyError, match="is not a file"):
        _make_key(tmp_path, monkeypatch)


def test_a_bad_key_file_is_one_clear_line_from_the_command(tmp_path: Path) -> None:
    (tmp_path / "secret-key").write_text("\n")
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "web", "manage", "diffsettings"],
        cwd=tmp_path, env=_env(SCHOOLGATE_DATA=str(tmp_path)), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert "is not a key" in done.stderr
