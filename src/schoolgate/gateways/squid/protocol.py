"""Squid's helper protocols, sans I/O: one request line in, one answer line out.

url_rewrite (`url_rewrite_program`, Squid 3.4+ with the default `url_rewrite_extras`):

    [channel-ID] URL client_ip/fqdn user method [key=value ...]
    ->  [channel-ID] ERR                                   allowed: leave the URL alone
    ->  [channel-ID] OK status=302 url="BLOCK-PAGE-URL"    blocked: send the browser to the block page

external_acl_type (`external_acl_type schoolgate ... %URI %SRC %LOGIN %METHOD`, each field
URL-escaped by Squid):

    [channel-ID] URL client_ip user method
    ->  [channel-ID] OK tag=GROUP                          allowed
    ->  [channel-ID] ERR message="..." tag=GROUP           blocked (deny_info shows the message)

A channel-ID is present when Squid runs the helper with `concurrency=N` (N > 0). In `auto` mode a
first field made only of digits, followed by more fields, is taken as a channel-ID (no URL is a bare
number followed by other fields). Every line gets exactly one answer; a line that cannot be read
still gets one (the caller decides what, normally the policy's answer for an unparsable request).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple
from urllib.parse import quote, unquote

__all__ = [
    "Concurrency",
    "HelperLine",
    "Mode",
    "format_acl",
    "format_rewrite_allow",
    "format_rewrite_block",
    "parse_line",
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


def _field(text: str) -> str | None:
    return None if text in ("", "-") else text


def parse_line(
    line: str, mode: Mode = Mode.REWRITE, concurrency: Concurrency = Concurrency.AUTO
) -> HelperLine:
    """Split one line (without its newline). Never raises: absent fields are None, a blank line has url ""."""
    fields = line.split()
    channel = None
    if fields and (
        concurrency is Concurrency.ON
        or (
            concurrency is Concurrency.AUTO
            and len(fields) > 1
            and fields[0].isdigit()
            and fields[0].isascii()
        )
    ):
        channel = fields[0]
        fields = fields[1:]
    count = len(fields)
    url = fields[0] if count else ""
    source = fields[1] if count > 1 else ""
    user = _field(fields[2]) if count > 2 else None
    method = _field(fields[3]) if count > 3 else None
    if mode is Mode.ACL:
        url = unquote(url, errors="surrogateescape")
        user = unquote(user, errors="surrogateescape") if user else None
    elif user and "%" in user:
        user = unquote(user, errors="surrogateescape")
    client, _, device = source.partition("/")
    return HelperLine(channel, url, _field(client), _field(device), user, method)


def _prefix(channel: str | None) -> str:
    return "" if channel is None else channel + " "


def format_rewrite_allow(channel: str | None) -> str:
    return _prefix(channel) + "ERR\n"


def format_rewrite_block(channel: str | None, url: str) -> str:
    # The block-page URL is built by the caller with every parameter percent-encoded, so it holds no
    # space, quote or newline; quote() here is the safety net that keeps the answer one valid line.
    return f'{_prefix(channel)}OK status=302 url="{quote(url, safe=":/?&=%#+,;@!$~*()")}"\n'


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
