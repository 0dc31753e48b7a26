"""`schoolgate squid passwd`: the password file that Squid's own basic_ncsa_auth checks logins against."""

from __future__ import annotations

import io
import os
import stat
import subprocess
from pathlib import Path

import pytest

from schoolgate.cli import main
from schoolgate.gateways.squid.config import BASIC_AUTH_PROGRAM
from schoolgate.gateways.squid.passwords import PasswordError, remove_user, set_password, users


def squid_checks(path: Path, user: str, password: str) -> bool:
    """Ask Squid's basic_ncsa_auth, as Squid does."""
    result = subprocess.run(
        [BASIC_AUTH_PROGRAM, str(path)],
        input=f"{user} {password}\n",
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout.startswith("OK")


def test_squid_accepts_the_right_password_and_no_other(tmp_path: Path) -> None:
    path = tmp_path / "passwords"
    assert set_password(path, "amelia", "correct horse")
    assert set_password(path, "mr.patel", "battery staple")
    assert squid_checks(path, "amelia", "correct%20horse")  # Squid passes it URL-escaped
    assert not squid_checks(path, "amelia", "battery%20staple")
    assert squid_checks(path, "mr.patel", "battery%20staple")


def test_changing_and_removing(tmp_path: Path) -> None:
    path = tmp_path / "passwords"
    set_password(path, "amelia", "first")
    assert not set_password(path, "amelia", "second")  # changed, not added
    assert users(path) == ["amelia"]
    assert squid_checks(path, "amelia", "second")
    assert not squid_checks(path, "amelia", "first")
    set_password(path, "noah", "x1")
    remove_user(path, "amelia")
    assert users(path) == ["noah"]
    with pytest.raises(PasswordError, match="not in"):
        remove_user(path, "amelia")


def test_a_new_file_is_private_and_an_old_one_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "passwords"
    set_password(path, "amelia", "pw")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    os.chmod(path, 0o600)
    set_password(path, "noah", "pw")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["passwords"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("user", "password", "message"),
    [
        ("amelia jones", "pw", "user name"),
        ("a:b", "pw", "user name"),
        ("", "pw", "user name"),
        ("amelia", "", "empty"),
        ("amelia", "x" * 73, "72 bytes"),
    ],
)
def test_bad_names_and_passwords_are_refused(tmp_path: Path, user: str, password: str, message: str) -> None:
    with pytest.raises(PasswordError, match=message):
        set_password(tmp_path / "passwords", user, password)
    assert not (tmp_path / "passwords").exists()


def test_a_damaged_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "passwords"
    path.write_text("amelia:$2b$10$abc\nnot a line\n")
    with pytest.raises(PasswordError, match="passwords:2"):
        users(path)


def test_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "passwords"
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert main(["squid", "passwd", str(path), "amelia"]) == 0
    assert "added amelia" in capsys.readouterr().err
    assert squid_checks(path, "amelia", "s3cret")
    assert main(["squid", "passwd", str(path), "--list"]) == 0
    assert capsys.readouterr().out == "amelia\n"
    assert main(["squid", "passwd", str(path), "amelia", "--delete"]) == 0
    assert users(path) == []
    assert main(["squid", "passwd", str(path), "amelia", "--delete"]) == 2
    assert "not in" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    assert main(["squid", "passwd", str(path), "bad name"]) == 2
    assert "Traceback" not in capsys.readouterr().err
