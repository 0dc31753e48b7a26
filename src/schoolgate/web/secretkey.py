"""Django's secret key: from `SCHOOLGATE_SECRET_KEY`, else the file `secret-key` in the data directory.

The file is made (once, mode 600) only by the commands that need a lasting key: `schoolgate web
serve` and the WSGI application (sessions, and the links in e-mails, are signed with it), and the
management commands other than `help` and `version`. Reading the settings never writes anything, so
`schoolgate web manage help`, `schoolgate audit verify` or `schoolgate --help` run from any folder
leave no key behind there. Kept apart from `settings.py` so that the commands can make the key before
Django reads the settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE = "secret-key"


class SecretKeyError(ImproperlyConfigured):
    """The key cannot be read or made; the message says where and why."""


def data_dir() -> Path:
    """The data directory, as the settings read it (`SCHOOLGATE_DATA`, else `var` in the folder the
    command runs in)."""
    return Path(os.environ.get("SCHOOLGATE_DATA", "var")).resolve()


def given_key() -> str:
    """The key the environment gives, or the one kept in the data directory; "" if neither (nothing is
    made here)."""
    given = os.environ.get("SCHOOLGATE_SECRET_KEY", "").strip()
    if given:
        return given
    try:
        return (data_dir() / KEY_FILE).read_text().strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise SecretKeyError(
            f"cannot read the secret key {data_dir() / KEY_FILE}: {exc.strerror} (set SCHOOLGATE_DATA to "
            "Schoolgate's data directory, or give the key in SCHOOLGATE_SECRET_KEY)"
        ) from None


def ensure_key() -> str:
    """The key, made once in the data directory (mode 600) if the environment gives none and there is
    none yet. Two processes starting at once agree: the file is created exclusively, and the one that
    loses reads the winner's. Makes the data directory too (the commands that call this put the
    SQLite database there next), whether or not the environment gives the key."""
    directory = data_dir()
    path = directory / KEY_FILE
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SecretKeyError(
            f"cannot make the data directory {directory}: {exc.strerror} (set SCHOOLGATE_DATA to a "
            "directory Schoolgate may write)"
        ) from None
    key = given_key()
    if key:
        return key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process
        return path.read_text().strip()
    except OSError as exc:
        raise SecretKeyError(
            f"cannot make the secret key {path}: {exc.strerror} (set SCHOOLGATE_DATA to a directory "
            "Schoolgate may write, or give the key in SCHOOLGATE_SECRET_KEY)"
        ) from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


# `schoolgate web manage` commands that only describe Django's commands: they need no key.
_KEYLESS = frozenset({"help", "version", "--help", "-h", "--version"})


def needs_key(manage_argv: list[str] | tuple[str, ...]) -> bool:
    """Whether `schoolgate web manage ARGV` may need a lasting key (everything but asking for help)."""
    return (
        bool(manage_argv)
        and not _KEYLESS.intersection(manage_argv[:1])
        and not {"-h", "--help"} & set(manage_argv)
    )
