"""Squid's helper protocols, sans I/O: one request line in, one answer line out.

url_rewrite (`url_rewrite_program`, with the `url_rewrite_extras` that `schoolgate squid config` sets,
Squid's default with the user and device names URL-escaped: `%>a/%#>A %#un %>rm myip=%la myport=%lp`):

    [channel-ID] URL client_ip/fqdn user method [key=value ...]
    ->  [channel-ID] OK schoolgate=allow                                    allowed: leave the URL alone
    ->  [channel-ID] OK status=302 url="BLOCK-PAGE-URL" schoolgate=block    blocked: to the block page

Every answer carries the note `schoolgate=...`; Squid's configuration (`schoolgate squid config`) denies
a request without it, so one that a helper never answered (it crashed, or Squid gave up on it) is
refused instead of being let through unfiltered, which is what Squid does on its own.

external_acl_type (`external_acl_type schoolgate ... %#ssl::>sni %>a %#un %>rm`, each field URL-escaped
by Squid, which adds "-" for the ACL's arguments):

    [channel-ID] URL client_ip user method [-]
    ->  [channel-ID] OK tag=GROUP                          allowed
    ->  [channel-ID] ERR message="..." tag=GROUP           blocked (deny_info shows the message)

Squid separates fields with an ASCII space and nothing else, so that is the only separator here: a URL
is what the client sent, and may hold anything else (a tab, NBSP, U+2028, U+000B...), all of which
belongs to the URL. What follows the URL Squid writes itself, escaped, so it is printable ASCII; in
external ACL mode every field is. A line that breaks that layout (a raw control or non-ASCII character
where Squid writes only escaped text, more fields than Squid writes) was not written as Squid writes
it: nothing in it is trusted, and it is read as an unreadable request (url "", nothing else), which the
policy blocks. Without this, text in a URL could pose as the client address or the user the request is
decided for.

A channel-ID is present when Squid runs the helper with `concurrency=N` (N > 0). In `auto` mode a
first field made only of digits, followed by more fields, is taken as a channel-ID (no URL is a bare
number followed by other fields). Every line gets exactly one answer; a line that cannot be read
still gets one (the caller decides what, normally the policy's answer for an unparsable request).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import quote, unquote

try:
    from schoolgate.gateways import _speedups
except ImportError:  # not built (no C compiler): the pure-Python loop below does the same, slower
    _speedups = None  # type: ignore[assignment]

__all__ = [
    "Concurrency",
    "HelperLine",
    "Mode",
    "allow_answer",
    "format_acl",
    "format_rewrite_allow",
    "format_rewrite_block",
    "parse_line",
    "parse_lines",
    "rewrite_url_answer",
]


class Mode(StrEnum):
    REWRITE = "rewrite"
    ACL = "acl"


class Concurrency(StrEnum):
    AUTO = "auto"
    ON = "on"
    OFF = "off"


class HelperLine(NamedTuple):
    """One request line, split into the fields Schoolgate uses."""

    channel: str | None
    url: str
    client_ip: str | None
    device: str | None
    user: str | None
    method: str | None


if _speedups is not None:  # the C loop makes HelperLines: it is told their fields, never assumes them
    _speedups.configure(line_fields=HelperLine._fields)

_new = tuple.__new__


def parse_line(
    line: str, mode: Mode = Mode.REWRITE, concurrency: Concurrency = Concurrency.AUTO
) -> HelperLine:
    """Split one line (without its newline). Never raises: absent fields are None, a blank line has url ""."""
    return parse_lines([line], mode, concurrency)[0]


def parse_lines(
    lines: Iterable[str], mode: Mode = Mode.REWRITE, concurrency: Concurrency = Concurrency.AUTO
) -> list[HelperLine]:
    """`parse_line` for a batch of lines: the helper's hot path, one call per read from Squid."""
    acl = mode is Mode.ACL
    channels = concurrency is not Concurrency.OFF
    always = concurrency is Concurrency.ON
    if _speedups is None:
        return _parse_lines(lines, acl, channels, always)
    return _speedups.parse_lines(
        lines if isinstance(lines, list) else list(lines), HelperLine, acl, channels, always, _unquote
    )


def _unquote(text: str) -> str:
    return unquote(text, errors="surrogateescape")


# Fields after the channel-ID in Squid's layouts: external ACL, the URL, client, user, method and "-"
# (the ACL's arguments); url_rewrite with its extras ending in myip=... myport=..., the URL, client/fqdn,
# user, method, myip=, myport=.
ACL_FIELDS = 5
REWRITE_FIELDS = 6


def _squid_text(field: str) -> bool:
    """Whether a field is what Squid writes when it escapes: printable ASCII (no space: a separator)."""
    return field.isascii() and field.isprintable()


def _parse_lines(lines: Iterable[str], acl: bool, channels: bool, always: bool) -> list[HelperLine]:
    """What `_speedups.parse_lines` does in C; its reference."""
    out: list[HelperLine] = []
    append = out.append
    for line in lines:
        fields = line.split(" ")  # Squid's separator, and only it
        if "" in fields:
            fields = [field for field in fields if field]
        count = len(fields)
        channel = None
        if count and channels:
            first = fields[0]
            if always or (count > 1 and first.isdigit() and first.isascii()):
                channel = first
                del fields[0]
                count -= 1
        if not count or not _in_layout(line, fields, count, acl):
            append(_new(HelperLine, (channel, "", None, None, None, None)))
            continue
        url = fields[0]
        client = device = user = method = None
        if count > 1:
            client, _, device = fields[1].partition("/")
            if client in ("", "-"):
                client = None
            if device in ("", "-"):
                device = None
            if count > 2:
                user = fields[2]
                if user == "-":
                    user = None
                elif acl or "%" in user:
                    user = unquote(user, errors="surrogateescape")
                if count > 3:
                    method = fields[3]
                    if method == "-":
                        method = None
        if acl:
            url = unquote(url, errors="surrogateescape")
        append(_new(HelperLine, (channel, url, client, device, user, method)))
    return out


def _in_layout(line: str, fields: list[str], count: int, acl: bool) -> bool:
    """Whether a line's fields (after its channel-ID) can be as Squid writes them."""
    if acl:
        # Every field is escaped: printable ASCII separated by spaces, and no more fields than Squid's.
        return count <= ACL_FIELDS and line.isascii() and line.replace(" ", "!").isprintable()
    if count > REWRITE_FIELDS and fields[-2].startswith("myip=") and fields[-1].startswith("myport="):
        return False  # Squid's extras end the line, but a field before them held a space
    return all(_squid_text(field) for field in fields[1:4])


def _prefix(channel: str | None) -> str:
    return "" if channel is None else channel + " "


def format_rewrite_allow(channel: str | None) -> str:
    return _prefix(channel) + "OK schoolgate=allow\n"


_UNSAFE_IN_ANSWER = re.compile(r'[\s"\\]')


def format_rewrite_block(channel: str | None, url: str, *, checked: bool = False) -> str:
    """A redirect to `url`. Whatever `url` holds, the answer stays one valid line: spaces, quotes,
    backslashes and line breaks are percent-encoded. `checked=True` skips that search for an address
    that is safe by construction (the helper's block page URLs: a checked base, encoded parameters)."""
    if not checked:
        url = _answer_url(url)
    return f'{_prefix(channel)}OK status=302 url="{url}" schoolgate=block\n'


def _answer_url(url: str) -> str:
    """A URL that keeps an answer one valid line: spaces, quotes, backslashes, line breaks encoded."""
    if _UNSAFE_IN_ANSWER.search(url) is not None:
        url = quote(url, safe="".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\'))
    return url


def rewrite_url_answer(url: str, notes: str = "") -> str:
    """An allowed request sent on with a changed URL (safe search locked on), without channel-ID."""
    return f'OK rewrite-url="{_answer_url(url)}" schoolgate=allow{notes}'


def allow_answer(notes: str) -> str:
    """An allowed request with notes for Squid (e.g. " youtube=strict"), without channel-ID."""
    return f"OK schoolgate=allow{notes}"


def _kv_value(text: str) -> str:
    """A value for a key=value pair: quoted, with quotes, backslashes and line breaks neutralised."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_acl(channel: str | None, allowed: bool, group: str, message: str = "") -> str:
    """An external ACL answer: OK when the request is allowed, ERR with a message when blocked."""
    head = _prefix(channel) + ("OK" if allowed else "ERR")
    parts = [head, f"tag={_kv_value(group)}"]
    if message:
        parts.append(f"message={_kv_value(message)}")
    return " ".join(parts) + "\n"
