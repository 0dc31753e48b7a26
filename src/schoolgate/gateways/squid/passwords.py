"""The password file for Squid's Basic login (`schoolgate squid passwd`).

One `user:hash` line per user, the format Squid's `basic_ncsa_auth` reads; hashes are bcrypt (`$2b$`),
which it checks through the system's crypt(3). The file is replaced in one step (written beside it,
then renamed), so Squid never reads half a file, and keeps its owner, group and mode; a new file is
readable by its owner and the `proxy` group only (Squid's helpers run as `proxy`).
"""

from __future__ import annotations

import contextlib
import grp
import os
from pathlib import Path

import bcrypt

from schoolgate.files import write_atomically

__all__ = ["PasswordError", "remove_user", "set_password", "users"]

ROUNDS = 10  # about 60 ms a check: Squid remembers a good login (credentialsttl), so few are checked
MAX_PASSWORD_BYTES = 72  # bcrypt's limit
SQUID_GROUP = "proxy"


class PasswordError(ValueError):
    """A user name, password or file that cannot be used; the message says why."""


def _check_user(user: str) -> None:
    if not user or len(user) > 128 or any(ch.isspace() or ch == ":" or not ch.isprintable() for ch in user):
        raise PasswordError(
            f"user name {user!r}: use 1 to 128 characters without spaces or ':' (e.g. amelia.jones)"
        )


def _read(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise PasswordError(f"cannot read the password file {path}: {exc}") from None
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        user, colon, hashed = line.partition(":")
        if not colon:
            raise PasswordError(f"{path}:{number}: not a user:hash line")
        entries.append((user, hashed))
    return entries


def _write(path: Path, entries: list[tuple[str, str]]) -> None:
    text = "".join(f"{user}:{hashed}\n" for user, hashed in entries)
    try:
        existing = path.stat()
    except FileNotFoundError:
        existing = None

    def owner(temporary: Path) -> None:
        """The old file's owner and group, or, for a new file, Squid's group (which must read it)."""
        if os.geteuid() != 0:
            return
        if existing is not None:
            os.chown(temporary, existing.st_uid, existing.st_gid)
        else:
            with contextlib.suppress(KeyError):  # no Squid on this machine yet
                os.chown(temporary, -1, grp.getgrnam(SQUID_GROUP).gr_gid)

    mode = existing.st_mode & 0o7777 if existing is not None else 0o640
    write_atomically(path, text, mode=mode, prepare=owner)


def set_password(path: Path, user: str, password: str) -> bool:
    """Add `user` or change their password. Returns True if the user was new."""
    _check_user(user)
    secret = password.encode("utf-8")
    if not password:
        raise PasswordError("the password is empty")
    if len(secret) > MAX_PASSWORD_BYTES:
        raise PasswordError(f"the password is longer than {MAX_PASSWORD_BYTES} bytes")
    hashed = bcrypt.hashpw(secret, bcrypt.gensalt(rounds=ROUNDS)).decode("ascii")
    entries = _read(path)
    new = all(existing != user for existing, _ in entries)
    if new:
        entries.append((user, hashed))
    else:
        entries = [(u, hashed if u == user else h) for u, h in entries]
    _write(path, entries)
    return new


def remove_user(path: Path, user: str) -> None:
    """Remove `user`; an error if they are not in the file."""
    entries = _read(path)
    kept = [(u, h) for u, h in entries if u != user]
    if len(kept) == len(entries):
        raise PasswordError(f"{user!r} is not in {path}")
    _write(path, kept)


def users(path: Path) -> list[str]:
    """The user names in the file, in its order."""
    return [user for user, _ in _read(path)]
