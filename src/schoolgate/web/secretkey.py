"""Django's secret key: from `SCHOOLGATE_SECRET_KEY`, else the file `secret-key` in the data directory.

The file is made (once, mode 600) only by the commands that need a lasting key: `schoolgate web
serve` and the WSGI application (sessions, and the links in e-mails, are signed with it), and the
management commands other than `help` and `version`. Reading the settings never writes anything, so
`schoolgate web manage help`, `schoolgate audit verify` or `schoolgate --help` run from any folder
leave no key behind there. Kept apart from `settings.py` so that the commands can make the key before
Django reads the settings.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from schoolgate.files import sync_directory

KEY_FILE = "secret-key"


class SecretKeyError(ImproperlyConfigured):
    """The key cannot be read or made; the message says where and why."""


def data_dir() -> Path:
    """The data directory, as the settings read it (`SCHOOLGATE_DATA`, else `var` in the folder the
    command runs in)."""
    return Path(os.environ.get("SCHOOLGATE_DATA", "var")).resolve()


# The key file must hold at least this many characters: a key any shorter (an empty file left by a
# full disk, a key typed by hand) signs sessions that can be guessed. `ensure_key` writes 67.
MIN_KEY_LENGTH = 32
_MAX_KEY_FILE = 4096  # bytes: a key file is one line


def given_key() -> str:
    """The key the environment gives, or the one kept in the data directory; "" if neither (nothing is
    made here). The key file must be a regular file (never followed through a symbolic link, which
    could point it at another file, a device or a pipe) holding one key of `MIN_KEY_LENGTH` or more."""
    given = os.environ.get("SCHOOLGATE_SECRET_KEY", "").strip()
    if given:
        return given
    return _read_key(data_dir() / KEY_FILE)


def _read_key(path: Path) -> str:
    """The key in `path`, "" if there is no file; raises SecretKeyError for anything else."""
    fix = (
        "remove it to have a new key made (every signed-in user is then signed out), or give the key "
        "in SCHOOLGATE_SECRET_KEY"
    )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SecretKeyError(
                f"the secret key {path} is a symbolic link, which is not followed: {fix}"
            ) from None
        raise SecretKeyError(
            f"cannot read the secret key {path}: {exc.strerror} (set SCHOOLGATE_DATA to "
            "Schoolgate's data directory, or give the key in SCHOOLGATE_SECRET_KEY)"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise SecretKeyError(f"the secret key {path} is not a file: {fix}")
        data = handle.read(_MAX_KEY_FILE + 1)
    try:
        key = data.decode("ascii").strip()
    except UnicodeDecodeError:
        key = ""
    if len(data) > _MAX_KEY_FILE or len(key) < MIN_KEY_LENGTH or any(c.isspace() for c in key):
        raise SecretKeyError(
            f"the secret key {path} is not a key (one line of at least {MIN_KEY_LENGTH} characters): {fix}"
        )
    return key


def ensure_key() -> str:
    """The key, made once in the data directory (mode 600) if the environment gives none and there is
    none yet. Makes the data directory too (the commands that call this put the SQLite database there
    next), whether or not the environment gives the key.

    Two processes starting at once agree, and neither ever reads half a key: the key is written whole
    to a temporary file (mode 600 from its creation, never widened), then linked to its name, which
    fails if the name exists (a file, or a symbolic link someone put there); the one that loses reads
    the winner's."""
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
    key = secrets.token_urlsafe(50)
    try:
        fd, name = tempfile.mkstemp(dir=directory, prefix=f".{KEY_FILE}.", suffix=".tmp")  # mode 0600
        temporary = Path(name)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(key + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    except FileExistsError:  # made meanwhile by another process (or something else is there)
        return _read_key(path)
    except OSError as exc:
        raise SecretKeyError(
            f"cannot make the secret key {path}: {exc.strerror} (set SCHOOLGATE_DATA to a directory "
            "Schoolgate may write, or give the key in SCHOOLGATE_SECRET_KEY)"
        ) from None
    sync_directory(directory)
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
