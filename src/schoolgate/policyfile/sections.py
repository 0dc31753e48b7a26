"""The parts of a policy file Schoolgate writes: the base policy and the requests section after it.

The web editor writes the base (everything its rows say), then, after `REQUESTS_MARKER`, a section
written from the approved filter change requests (groups for the people of a request, their timed
identities, and `[[grants]]`). The two are published apart: approving a request publishes the running
base with a fresh requests section, so that nobody's half-finished draft goes out with it.

`drop_expired` takes out of a file the timed blocks (`[[identities]]`, `[[rules]]`, `[[grants]]`)
whose `expires` has passed, so that a republish after an expiry leaves nothing ended in the file (the
gateways already ignore them: the engine honours `expires`). It works on lines, as the writer
(`policyfile.write.TomlWriter`) lays them out: a block is its `[[...]]` header and the lines after it
up to the next blank line, comment or header. The result is checked: it must parse, and differ from
the input by those blocks only; anything else (a file laid out by hand in a way the writer never
does) is refused with `SectionError` rather than guessed at.

Pure text functions: no file, no clock (the instant is an argument).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["REQUESTS_MARKER", "SectionError", "drop_expired", "split_requests"]

REQUESTS_MARKER = (
    "# Requests: written by Schoolgate from approved filter change requests. Do not edit by hand."
)

_TIMED_SECTIONS = ("identities", "rules", "grants")
_ARRAY_HEADER = re.compile(r"\[\[\s*([A-Za-z0-9_-]+)\s*\]\]\s*")


class SectionError(ValueError):
    """The text is not a policy file as Schoolgate writes it, so its blocks cannot be taken out safely."""


def split_requests(text: str) -> tuple[str, str]:
    """(the base, the requests section from its marker line to the end, or "" when there is none).

    The marker counts only as a whole line of its own; `base + requests == text` always."""
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.rstrip("\r\n") == REQUESTS_MARKER:
            return text[:offset], text[offset:]
        offset += len(line)
    return text, ""


def drop_expired(text: str, at: datetime) -> tuple[str, list[str]]:
    """`text` without the `[[identities]]`, `[[rules]]` and `[[grants]]` blocks whose `expires` is at
    or before `at`, and what each dropped block was, in words, in file order:

        rule "Visitors' Wi-Fi" (ended 15:00, 6 December)
        access of 2 user names in group "visitors" (ended 17:00, 6 December)

    Returns `text` itself and [] when nothing has expired. Raises SectionError when the text does
    not parse, or is not laid out as Schoolgate's writer lays it out."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("drop_expired needs an instant with a time zone")
    data = _parse(text, "the policy")
    zone = _school_zone(data)
    dropped: dict[str, list[int]] = {}
    said: list[tuple[int, str]] = []  # (line of the block's header, description)
    lines = text.splitlines(keepends=True)
    headers = _block_headers(lines)
    for section in _TIMED_SECTIONS:
        entries = data.get(section)
        if not isinstance(entries, list):
            continue
        ended = [n for n, entry in enumerate(entries) if _ended(entry, zone, at)]
        if not ended:
            continue
        found = headers.get(section, [])
        if len(found) != len(entries):
            raise SectionError(
                f"the [[{section}]] entries are not written one block each, as Schoolgate writes them: "
                "expired entries cannot be taken out"
            )
        dropped[section] = ended
        for n in ended:
            said.append((found[n], _describe(section, n, entries[n], zone, at)))
    if not dropped:
        return text, []

    remove: set[int] = set()
    for section, ended in dropped.items():
        for n in ended:
            first = headers[section][n]
            last = _block_end(lines, first)
            remove.update(range(first, last))
            # The blank line the writer puts before every header goes with the block.
            if first > 0 and not lines[first - 1].strip() and first - 1 not in remove:
                remove.add(first - 1)
            elif last < len(lines) and not lines[last].strip():
                remove.add(last)
    result = "".join(line for n, line in enumerate(lines) if n not in remove)
    _check(data, result, dropped)
    return result, [words for _, words in sorted(said)]


def _parse(text: str, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SectionError(f"{what} does not parse: {exc}") from None


def _school_zone(data: dict[str, Any]) -> tzinfo:
    """The school's time zone, in which dates without an offset are read (as the loader reads them)."""
    school = data.get("school")
    name = school.get("timezone") if isinstance(school, dict) else None
    try:
        return ZoneInfo(name if isinstance(name, str) else "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def _instant(value: object, zone: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=zone)
    return None


def _ended(entry: object, zone: tzinfo, at: datetime) -> bool:
    if not isinstance(entry, dict):
        return False
    expires = _instant(entry.get("expires"), zone)
    return expires is not None and expires <= at


def _block_headers(lines: list[str]) -> dict[str, list[int]]:
    """The line numbers of each `[[section]]` header, in order."""
    out: dict[str, list[int]] = {}
    for n, line in enumerate(lines):
        match = _ARRAY_HEADER.fullmatch(line.rstrip("\r\n"))
        if match is not None:
            out.setdefault(match.group(1), []).append(n)
    return out


def _block_end(lines: list[str], first: int) -> int:
    """The line after a block: the next blank line, comment or header (arrays written one item a
    line have their items indented and their closing bracket alone, so neither ends the block)."""
    n = first + 1
    while n < len(lines):
        line = lines[n]
        if not line.strip() or line.startswith("#") or (line.startswith("[") and line.strip() != "]"):
            break
        n += 1
    return n


def _when(expires: datetime, zone: tzinfo, at: datetime) -> str:
    local = expires.astimezone(zone)
    year = f" {local.year}" if local.year != at.astimezone(zone).year else ""
    return f"{local:%H:%M}, {local.day} {local:%B}{year}"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _describe(section: str, n: int, entry: dict[str, Any], zone: tzinfo, at: datetime) -> str:
    expires = _instant(entry.get("expires"), zone)
    assert expires is not None  # only ended entries are described
    ended = f"(ended {_when(expires, zone, at)})"
    name = entry.get("name")
    if section == "rules":
        return f'rule "{name if isinstance(name, str) else f"rule {n + 1}"}" {ended}'
    if section == "grants":
        request = entry.get("request")
        title = name if isinstance(name, str) else f"grant {n + 1}"
        if isinstance(request, int) and not title.startswith(f"request {request}"):
            title = f"request {request}: {title}"
        return f'grant "{title}" {ended}'
    users = entry.get("users", [])
    networks = entry.get("networks", [])
    users = [users] if isinstance(users, str) else users if isinstance(users, list) else []
    networks = [networks] if isinstance(networks, str) else networks if isinstance(networks, list) else []
    whom = [
        part
        for part in (
            _count(len(users), "user name", "user names") if users else "",
            _count(len(networks), "network", "networks") if networks else "",
        )
        if part
    ]
    label = entry.get("label")
    labelled = f" ({label})" if isinstance(label, str) and label else ""
    group = entry.get("group")
    return f'access of {" and ".join(whom) or "no one"}{labelled} in group "{group}" {ended}'


def _check(data: dict[str, Any], result: str, dropped: dict[str, list[int]]) -> None:
    """The result parses and is the input without the dropped entries, and nothing else."""
    expected = dict(data)
    for section, ended in dropped.items():
        kept = [entry for n, entry in enumerate(data[section]) if n not in set(ended)]
        if kept:
            expected[section] = kept
        else:
            del expected[section]
    if _parse(result, "the policy without its expired entries") != expected:
        raise SectionError(
            "the policy file is not laid out as Schoolgate writes it: taking out its expired entries "
            "would change more than those entries"
        )
