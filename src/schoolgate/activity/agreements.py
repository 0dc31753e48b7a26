"""Acceptances made on the agreement page at the proxy: one small JSON file each, in the spool.

A pupil or member of staff who has not accepted this school year's agreement is sent by Squid to the
agreement page (the block page server, `schoolgate.gateways.blockpage.agreement`); when they press
"I agree" the page writes one file to `<spool>/agreements/` (`DIRECTORY`):

    {"v":1,"t":1796121185.5,"kind":"agreement-accepted","who":"ks2-amelia","audience":"ks2",
     "version":3,"year":2026,"ip":"10.0.0.7","user_agent":"Mozilla/5.0 ..."}

`who` is the user name as Squid gave it, `audience` and `version` the agreement shown (as the signed
address named them), `year` the school year (its first calendar year) the web application wrote the
agreements file for. The worker's ingest turns each file into an `Acceptance` and removes it
(`schoolgate.web.agreements.proxy.ingest`).

Why a file each, rather than lines appended as review requests are: the file is also the sign that the
user has accepted, which the Squid helper looks for (`is_accepted`) until the worker has recorded the
acceptance and written the agreements file again, so that a pupil is not sent to the page a second time
in the meantime. Its name is a digest of (user, audience, version, year) (`accepted_name`): accepting
twice writes the same file again, so however often the page is posted, a user has at most one file per
version, and the directory cannot grow beyond the number of users the school asked. Each file is
written whole (a temporary name, flushed and fsynced, then renamed), so a reader never sees half of
one, and holds at most `MAX_BYTES` (every text field is cut).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any

from schoolgate.activity.schema import FORMAT_VERSION
from schoolgate.engine.policy import user_key

__all__ = [
    "DIRECTORY",
    "KIND",
    "MAX_BYTES",
    "AcceptanceRecord",
    "accepted_name",
    "is_accepted",
    "read_acceptance",
    "read_acceptances",
    "record_acceptance",
]

KIND = "agreement-accepted"
DIRECTORY = "agreements"  # under the spool directory
MAX_BYTES = 4096  # a file larger than this is not an acceptance
SUFFIX = ".json"
# (characters) each text field may take
LIMITS = {"who": 256, "audience": 32, "ip": 64, "user_agent": 512}
YEARS = range(2000, 3000)


def accepted_name(who: str, audience: str, version: int, year: int) -> str:
    """The file name of `who`'s acceptance of `version` for `audience` in school year `year`. The user
    name is compared as the policy compares it (`user_key`: case does not matter)."""
    data = f"{user_key(who)}\n{audience}\n{version}\n{year}".encode("utf-8", "surrogatepass")
    return blake2b(data, digest_size=16, person=b"sg-agreement-ok").hexdigest() + SUFFIX


def is_accepted(directory: Path, who: str, audience: str, version: int, year: int) -> bool:
    """Whether the agreement page has written `who`'s acceptance and the worker has not yet taken it."""
    return os.path.isfile(directory / accepted_name(who, audience, version, year))


@dataclass(frozen=True, slots=True)
class AcceptanceRecord:
    """One acceptance as the agreement page wrote it."""

    t: float
    who: str
    audience: str
    version: int
    year: int
    ip: str = ""
    user_agent: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "t": round(self.t, 3),
            "kind": KIND,
            "who": self.who,
            "audience": self.audience,
            "version": self.version,
            "year": self.year,
        }
        if self.ip:
            out["ip"] = self.ip
        if self.user_agent:
            out["user_agent"] = self.user_agent
        return out


def _clean(text: str, name: str) -> str:
    """A text field cut to its length, with no NUL and no lone surrogate (neither can be stored)."""
    clean = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return clean[: LIMITS[name]]


def record_acceptance(directory: Path, record: AcceptanceRecord) -> Path:
    """Write `record` whole into `directory` (made if need be) and make it durable; its path. Raises
    OSError when it cannot be written (then no part of it is left), ValueError for a record that is
    not one (an empty user name, a year or version out of range)."""
    if not record.who or record.version < 1 or record.year not in YEARS:
        raise ValueError("an acceptance needs a user name, a version and a school year")
    cleaned = AcceptanceRecord(
        record.t,
        _clean(record.who, "who"),
        _clean(record.audience, "audience"),
        record.version,
        record.year,
        _clean(record.ip, "ip"),
        _clean(record.user_agent, "user_agent"),
    )
    data = (json.dumps(cleaned.as_json(), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    _make_directory(directory)
    path = directory / accepted_name(record.who, record.audience, record.version, record.year)
    temporary = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):  # the name is durable too; a directory that cannot be synced
        fd = os.open(directory, os.O_RDONLY)  # (some file systems) still holds the renamed file
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


def _make_directory(directory: Path) -> None:
    """The acceptances' directory, made with the spool directory's mode and group when it is new: the
    Squid helper (Squid's user) must be able to look in it, and the worker to remove what it took."""
    if directory.is_dir():
        return
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        spool = os.stat(directory.parent)
        os.chown(directory, -1, spool.st_gid)
        os.chmod(directory, spool.st_mode & 0o777)


def _text(value: object, name: str) -> str | None:
    if not isinstance(value, str) or len(value) > LIMITS[name]:
        return None
    return value


def parse_acceptance(data: bytes) -> AcceptanceRecord:
    """The record in a file's bytes. Raises ValueError saying why it is not one."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"longer than {MAX_BYTES:,} bytes")
    try:
        found = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(found, dict) or found.get("kind") != KIND:
        raise ValueError("not an acceptance")
    if found.get("v") != FORMAT_VERSION:
        raise ValueError(f"format version {found.get('v')!r}, not {FORMAT_VERSION}")
    t, version, year = found.get("t"), found.get("version"), found.get("year")
    who, audience = _text(found.get("who"), "who"), _text(found.get("audience"), "audience")
    ip, agent = _text(found.get("ip", ""), "ip"), _text(found.get("user_agent", ""), "user_agent")
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not 946_684_800 <= t <= 32_503_680_000:
        raise ValueError("its time is missing or out of range")
    if type(version) is not int or not 0 < version < 2**31 or type(year) is not int or year not in YEARS:
        raise ValueError("its version or school year is missing or out of range")
    if not who or not audience or ip is None or agent is None:
        raise ValueError("its user name or audience is missing, or a field is too long")
    return AcceptanceRecord(float(t), who, audience, version, year, ip, agent)


def read_acceptance(path: Path) -> AcceptanceRecord:
    """The record in one file (never following a symbolic link, and only a regular file: opening a
    FIFO left in the directory would otherwise hang the worker). Raises ValueError or OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        return parse_acceptance(file.read(MAX_BYTES + 1))


def read_acceptances(
    directory: Path, skipped: Callable[[Path, str], None] | None = None
) -> Iterator[tuple[Path, AcceptanceRecord]]:
    """Every acceptance file in `directory` (oldest name first is not promised: they are independent),
    with its path. A file that is not one is handed to `skipped` with why, and left out."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(".") or not name.endswith(SUFFIX):
            continue
        path = directory / name
        try:
            yield path, read_acceptance(path)
        except (OSError, ValueError) as exc:
            if skipped is not None:
                skipped(path, str(exc))
