"""The agreement at the proxy: who must still accept it, the signed token, and Squid's ACL helper.

The web application writes the agreements file beside the school's policy snapshot (`policy.toml` has
`policy-agreements.json`, `agreements_path`; `schoolgate.web.agreements.proxy.publish`), atomically,
readable by the gateways' group:

    {"v": 1, "written": 1796121300, "year": 2026, "school": "oakfield",
     "versions": {"ks2": {"number": 3, "title": "Using the internet at school", "text": "..."}, ...},
     "users": {"ks2-amelia": "ks2", ...}}

`versions` holds the version in force of each audience that accepts at the proxy (pupils and staff);
`users` the user names (as the policy compares them, `user_key`) who have not accepted theirs this
school year (`year`), with their audience; `school` the school's short name, which every token
carries, so that a token made at one school is refused at another's agreement page even where the
two share a block page key.

`schoolgate squid-agreement` is Squid's external ACL helper (`external_acl_type ... %#un`): for each
request's user it answers OK (let through) or ERR with `message=TOKEN`, and Squid's `deny_info` sends
the browser to the agreement page with the token (`%o`) and the address asked for (`%u`). The token
names the user, audience, version, school year and time, signed with the block page key
(`make_token`, `read_token`), so that the page knows who is accepting without trusting the browser.

It answers OK for: no user (a device identified by its address is never asked), a user not in the
list, a user whose acceptance the agreement page has written and the worker has not yet recorded
(`schoolgate.activity.agreements.is_accepted`: the next page goes straight through), and anything it
cannot read. A missing or broken agreements file lets everyone through and is said on stderr (Squid's
cache.log), once per change of the file: the filter (a separate helper) still filters, and the
agreement must never stop a school's internet.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import unquote

from schoolgate.activity.agreements import DIRECTORY, is_accepted
from schoolgate.engine.policy import user_key
from schoolgate.gateways.blockpage.signing import sign

__all__ = [
    "MAX_BYTES",
    "MAX_TOKEN_AGE",
    "VERSION",
    "Agreements",
    "AgreementsFile",
    "HelperSettings",
    "Token",
    "VersionText",
    "agreements_path",
    "answer",
    "make_token",
    "parse_agreements",
    "read_token",
    "run_helper",
]

VERSION = 1
MAX_BYTES = 32 * 1024 * 1024  # some 200,000 users and the texts fit well under this
MAX_TEXT = 20_000  # characters of an agreement's text (the web application's own limit)
MAX_TITLE = 200
MAX_USER = 256
MAX_SCHOOL = 100
MAX_LINE = 16 * 1024  # bytes of one request line from Squid; a longer one is answered OK unread
MAX_TOKEN_AGE = 3600  # seconds a token may be used to accept
TOKEN_VERSION = "a2"  # a2: the school's short name added
RELOAD_SECONDS = 1.0  # how often the helper looks at the file for a change, at most


def agreements_path(policy_path: Path) -> Path:
    """Where the agreements file of the policy file at `policy_path` is: beside it, named after it."""
    return policy_path.with_name(f"{policy_path.stem}-agreements.json")


@dataclass(frozen=True, slots=True)
class VersionText:
    number: int
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Agreements:
    """What the file says: the school year, each audience's version, who must still accept."""

    year: int = 0
    versions: Mapping[str, VersionText] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)  # user_key -> audience
    school: str = ""  # the school's short name ("" in a file written before it was added)

    def needs(self, who: str) -> tuple[str, VersionText] | None:
        """(audience, version) `who` must accept, or None."""
        audience = self.users.get(user_key(who))
        if audience is None:
            return None
        version = self.versions.get(audience)
        return (audience, version) if version is not None else None


def parse_agreements(data: bytes) -> Agreements:
    """The agreements in a file's bytes. Raises ValueError saying why for anything that is not a file
    of this version; a user or version that is not well formed is left out."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise ValueError(f"not an agreements file of version {VERSION}")
    year, versions, users = document.get("year"), document.get("versions"), document.get("users")
    if type(year) is not int or not isinstance(versions, dict) or not isinstance(users, dict):
        raise ValueError("no year, versions or users")
    found: dict[str, VersionText] = {}
    for audience, value in versions.items():
        if not isinstance(value, dict):
            continue
        number, title, text = value.get("number"), value.get("title"), value.get("text")
        if type(number) is int and number > 0 and isinstance(title, str) and isinstance(text, str):
            found[audience] = VersionText(number, title[:MAX_TITLE], text[:MAX_TEXT])
    names = {
        user_key(name): audience
        for name, audience in users.items()
        if isinstance(audience, str) and audience in found and 0 < len(name) <= MAX_USER
    }
    school = document.get("school", "")
    if not isinstance(school, str) or len(school) > MAX_SCHOOL or "\x1f" in school:
        raise ValueError("its school is not a short name")
    return Agreements(year, found, names, school)


class AgreementsFile:
    """The agreements file, read again when it changes (looked at every RELOAD_SECONDS at most); safe
    to call from several threads. A file that is missing or broken reads as nobody to ask, said once
    per change on `log`."""

    def __init__(
        self,
        path: Path,
        log: TextIO = sys.stderr,
        clock: Callable[[], float] | None = None,
        name: str = "squid-agreement",
    ) -> None:
        import time

        self.path = path
        self.log = log
        self.name = name  # who says so on the log
        self.clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._agreements = Agreements()
        self._checked = float("-inf")
        self._complained: object = object()  # the stamp last complained about

    def get(self, fresh: bool = False) -> Agreements:
        """What the file says now: looked at again if RELOAD_SECONDS have passed, or at once with
        `fresh` (before sending someone to the agreement page, which is rare)."""
        now = self.clock()
        if now - self._checked < RELOAD_SECONDS and not fresh:
            return self._agreements
        with self._lock:
            if fresh or now - self._checked >= RELOAD_SECONDS:
                self._checked = now
                self._look()
            return self._agreements

    def _look(self) -> None:
        try:
            info = os.stat(self.path)
        except OSError as exc:
            self._seen, self._agreements = None, Agreements()
            self._complain(None, f"cannot read it ({exc.strerror or exc}): nobody is asked to accept")
            return
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        if stamp == self._seen:
            return
        self._seen = stamp
        try:
            if info.st_size > MAX_BYTES:
                raise ValueError(f"{info.st_size:,} bytes, more than the {MAX_BYTES:,} it may have")
            with open(self.path, "rb") as file:
                data = file.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise ValueError(f"more than the {MAX_BYTES:,} bytes it may have")
            self._agreements = parse_agreements(data)
            self._complained = object()
        except (OSError, ValueError) as exc:
            self._agreements = Agreements()
            self._complain(stamp, f"{exc}: nobody is asked to accept")

    def _complain(self, stamp: object, text: str) -> None:
        if stamp == self._complained:
            return
        self._complained = stamp
        with contextlib.suppress(OSError, ValueError):
            self.log.write(f"schoolgate {self.name}: the agreements file {self.path}: {text}\n")
            self.log.flush()


# ----------------------------------------------------------------------------- the token


@dataclass(frozen=True, slots=True)
class Token:
    who: str
    audience: str
    version: int
    year: int
    at: int
    school: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(key: bytes, token: Token) -> str:
    """`token` as one word of base64url text, signed with the block page key."""
    payload = "\x1f".join(
        (
            TOKEN_VERSION,
            token.who,
            token.audience,
            str(token.version),
            str(token.year),
            str(token.at),
            token.school,
        )
    )
    body = _b64(payload.encode("utf-8", "surrogateescape"))
    return f"{body}.{sign(key, 'agreement:' + body)}"


def read_token(key: bytes, text: str, now: float, max_age: int = MAX_TOKEN_AGE) -> Token | None:
    """The token in `text` if its signature holds and it is at most `max_age` seconds old (and not
    from the future by more than a minute); else None."""
    if len(text) > 2048 or not text.isascii():
        return None
    body, dot, sig = text.partition(".")
    if not dot or not hmac.compare_digest(sign(key, "agreement:" + body), sig):
        return None
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return None
    parts = payload.split("\x1f")
    if len(parts) != 7 or parts[0] != TOKEN_VERSION:
        return None
    _, who, audience, version, year, at, school = parts
    if not (version.isascii() and year.isascii() and at.isascii()) or not who:
        return None
    if not (version.isdigit() and year.isdigit() and at.isdigit()):
        return None
    token = Token(who, audience, int(version), int(year), int(at), school)
    if not -60 <= now - token.at <= max_age:
        return None
    return token


# ----------------------------------------------------------------------------- the helper


@dataclass(frozen=True, slots=True)
class HelperSettings:
    agreements: Path
    spool: Path  # the acceptances the agreement page writes are in spool/agreements/
    key: bytes
    channels: bool = True  # Squid's concurrency=N > 0: each line starts with a channel-ID


def answer(
    line: str, agreements: Agreements | Callable[[bool], Agreements],
    accepted: Callable[[str, str, int, int], bool], key: bytes, now: float, channels: bool,
) -> str:  # fmt: skip
    """The answer to one request line from Squid (`[channel-ID] USER -`: the user URL-escaped, `-` for
    none, then the ACL's arguments, `-` for none). `agreements` is what the file says, or a function
    giving it (`fresh`: looked at this moment). Anything that cannot be read is let through: the
    agreement is never a reason to stop the school's internet, and Squid's filter helper decides the
    request all the same."""
    fields = line.rstrip("\r\n").split(" ")
    channel = ""
    if channels and fields and fields[0].isascii() and fields[0].isdigit():
        channel = fields.pop(0) + " "
    # The user, then the ACL's arguments (Squid writes "-" for none); Squid escapes the user (%#un), so
    # a space or anything outside printable ASCII in it is no user Squid wrote.
    if len(fields) > 8 or not fields[0] or fields[0] == "-" or not fields[0].isascii():
        return f"{channel}OK"
    who = unquote(fields[0], errors="surrogateescape")
    if not who.isprintable() or len(who) > MAX_USER:
        return f"{channel}OK"
    current = agreements if isinstance(agreements, Agreements) else agreements(False)
    if current.needs(who) is None:
        return f"{channel}OK"
    if not isinstance(agreements, Agreements):
        # Before sending anyone to the page, the file as it is this moment: the worker writes it
        # without a user just before it removes their acceptance from the spool.
        current = agreements(True)
    needed = current.needs(who)
    if needed is None:
        return f"{channel}OK"
    audience, version = needed
    if accepted(who, audience, version.number, current.year):
        return f"{channel}OK"
    token = make_token(key, Token(who, audience, version.number, current.year, int(now), current.school))
    return f"{channel}ERR message={token}"


def run_helper(
    settings: HelperSettings, stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None,
    log: TextIO = sys.stderr,
) -> int:  # fmt: skip
    """Answer Squid until it closes standard input. Squid sends one line per look-up and waits for
    nothing in between (with concurrency, several are in flight): each is answered at once, in order."""
    import time

    source = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout.buffer
    file = AgreementsFile(settings.agreements, log)
    directory = settings.spool / DIRECTORY

    def accepted(who: str, audience: str, version: int, year: int) -> bool:
        return is_accepted(directory, who, audience, version, year)

    while True:
        raw = source.readline(MAX_LINE + 1)
        if not raw:
            return 0
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            first = raw.split(b" ", 1)[0]
            rest = raw
            while rest and not rest.endswith(b"\n"):  # the rest of an overlong line: not a request
                rest = source.readline(MAX_LINE + 1)
            reply = f"{first.decode()} OK" if settings.channels and first.isdigit() else "OK"
        else:
            text = raw.decode("ascii", "replace")
            try:
                reply = answer(text, file.get, accepted, settings.key, time.time(), settings.channels)
            except Exception as exc:  # never stop answering: Squid would stop with its helper
                with contextlib.suppress(OSError, ValueError):
                    log.write(f"schoolgate squid-agreement: {type(exc).__name__}: {exc}\n")
                    log.flush()
                first = text.split(" ", 1)[0]
                reply = f"{first} OK" if settings.channels and first.isdigit() else "OK"
        out.write(reply.encode("ascii") + b"\n")
        out.flush()
