"""Squid's helper protocols, sans I/O: a table of request lines and the fields read from them, and of
answers and the exact lines written for them."""

from __future__ import annotations

import re
import sys

import pytest

from schoolgate.gateways import _speedups
from schoolgate.gateways.squid import protocol
from schoolgate.gateways.squid.protocol import (
    Concurrency,
    HelperLine,
    Mode,
    format_acl,
    format_rewrite_allow,
    format_rewrite_block,
    parse_line,
)

REWRITE, ACL = Mode.REWRITE, Mode.ACL
AUTO, ON, OFF = Concurrency.AUTO, Concurrency.ON, Concurrency.OFF


def fields(
    url: str,
    client_ip: str | None = None,
    device: str | None = None,
    user: str | None = None,
    method: str | None = None,
    channel: str | None = None,
) -> HelperLine:
    return HelperLine(channel, url, client_ip, device, user, method)


@pytest.mark.parametrize(
    ("line", "mode", "concurrency", "expected"),
    [
        # url_rewrite: URL client_ip/fqdn user method [key=value ...]
        (
            "http://example.org/ 10.0.0.1/pc1.school.lan alice GET",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", "pc1.school.lan", "alice", "GET"),
        ),
        (
            "example.org:443 10.0.0.1/- - CONNECT",
            REWRITE,
            AUTO,
            fields("example.org:443", "10.0.0.1", None, None, "CONNECT"),
        ),
        # channel-IDs: auto-detected when the first field is a number followed by more fields
        (
            "0 http://example.org/ 10.0.0.1/- - GET",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, None, "GET", channel="0"),
        ),
        (
            "12 http://example.org/ 10.0.0.1/- bob POST",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, "bob", "POST", channel="12"),
        ),
        ("5", REWRITE, AUTO, fields("5")),  # a bare number alone is a (bad) URL, not a channel
        ("١٢ http://example.org/", REWRITE, AUTO, fields("١٢", "http:", "/example.org/")),  # not ASCII digits
        ("5", REWRITE, ON, fields("", channel="5")),  # forced on: the first field is always the channel
        (
            "7 http://example.org/ 10.0.0.1/- - GET",
            REWRITE,
            ON,
            fields("http://example.org/", "10.0.0.1", None, None, "GET", channel="7"),
        ),
        (
            "7 http://example.org/ 10.0.0.1/- - GET",
            REWRITE,
            OFF,
            fields("7", "http:", "/example.org/", "10.0.0.1/-"),
        ),
        # Squid separates fields with a space, nothing else; a run of spaces counts as one
        (
            "3 http://example.org/  10.0.0.1/-   bob GET",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, "bob", "GET", channel="3"),
        ),
        # a tab is not a separator: it is part of the URL, which Squid passes as it came
        (
            "http://example.org/\t10.0.0.1/pc1\tbob\tGET",
            REWRITE,
            AUTO,
            fields("http://example.org/\t10.0.0.1/pc1\tbob\tGET"),
        ),
        # missing fields are None; "-" is Squid's "not known"
        ("http://example.org/", REWRITE, AUTO, fields("http://example.org/")),
        ("http://example.org/ 10.0.0.1", REWRITE, AUTO, fields("http://example.org/", "10.0.0.1")),
        (
            "http://example.org/ 10.0.0.1/- alice",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, "alice"),
        ),
        ("http://example.org/ -/- - -", REWRITE, AUTO, fields("http://example.org/")),
        ("", REWRITE, AUTO, fields("")),
        ("   ", REWRITE, AUTO, fields("")),
        ("", REWRITE, ON, fields("")),
        # the user is %-escaped by Squid; the URL is passed as it is
        (
            "http://example.org/a%20b 10.0.0.1/- alice%40school.org GET",
            REWRITE,
            AUTO,
            fields("http://example.org/a%20b", "10.0.0.1", None, "alice@school.org", "GET"),
        ),
        (
            "http://example.org/ 10.0.0.1/- SCHOOL%5Calice GET",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, "SCHOOL\\alice", "GET"),
        ),
        (
            "http://example.org/ 10.0.0.1/- %FF GET",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, "\udcff", "GET"),
        ),
        # url_rewrite_extras (key=value pairs) after the method are ignored
        (
            "http://example.org/ 10.0.0.1/- alice GET myip=10.0.0.254 myport=3128 referer=x",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, "alice", "GET"),
        ),
        # external_acl_type: %URI %SRC %LOGIN %METHOD, every field URL-escaped by Squid
        (
            "http%3A%2F%2Fexample.org%2Fa%2520b%3Fq%3Dx%20y 10.0.0.1 bob%20smith GET",
            ACL,
            AUTO,
            fields("http://example.org/a%20b?q=x y", "10.0.0.1", None, "bob smith", "GET"),
        ),
        (
            "4 http%3A%2F%2Fexample.org%2F 10.0.0.1 - GET",
            ACL,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, None, "GET", channel="4"),
        ),
        (
            "example.org:443 10.0.0.1 - CONNECT",
            ACL,
            AUTO,
            fields("example.org:443", "10.0.0.1", None, None, "CONNECT"),
        ),
        (
            "http%3A%2F%2Fexample.org%2F%FF 10.0.0.1 %FF GET",
            ACL,
            AUTO,
            fields("http://example.org/\udcff", "10.0.0.1", None, "\udcff", "GET"),
        ),
        ("", ACL, AUTO, fields("")),
    ],
)
def test_parse_line(line: str, mode: Mode, concurrency: Concurrency, expected: HelperLine) -> None:
    assert parse_line(line, mode, concurrency) == expected


# Every character str.split() takes for a separator (Unicode's white space: NBSP, U+0085, U+2028,
# U+3000, \x0b, \x0c, \x1c-\x1f, ...), every control character, a few invisible ones, and a byte that
# was not UTF-8: none of them separates Squid's fields, which are separated by an ASCII space alone.
NOT_SEPARATORS = sorted(
    (
        {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
        | {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}
        | set("\u200b\u200e\u2060\ufeff\udc85\udca0")
    )
    - {" "}
)


def both(line: str, mode: Mode, concurrency: Concurrency) -> HelperLine:
    """The line read by the Python reference and by the C loop, which must agree."""
    acl, channels, always = mode is ACL, concurrency is not OFF, concurrency is ON
    [python] = protocol._parse_lines([line], acl, channels, always)
    [c] = _speedups.parse_lines([line], HelperLine, acl, channels, always, protocol._unquote)
    assert c == python
    return python


def unreadable(channel: str | None = None) -> HelperLine:
    """A line not in Squid's layout: nothing in it is trusted (blocked as an unreadable request)."""
    return fields("", channel=channel)


@pytest.mark.parametrize("char", NOT_SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_nothing_in_a_url_speaks_for_the_fields_squid_writes_after_it(char: str) -> None:
    """A pupil's URL that holds text shaped like a client, a user and a method: with any of these
    characters between them, it stays the URL, and the client and user are those Squid wrote."""
    url = f"http://blocked.example/a{char}10.9.9.9/forged-pc{char}p.okafor{char}GET"
    for concurrency, channel in ((AUTO, "7"), (ON, "7"), (OFF, None), (AUTO, None)):
        head = "" if channel is None else f"{channel} "
        expected = fields(url, "10.0.0.5", "pc7", "amelia", "GET", channel=channel)
        extras = " myip=10.0.0.254 myport=3128"
        assert both(f"{head}{url} 10.0.0.5/pc7 amelia GET{extras}", REWRITE, concurrency) == expected
        assert both(f"{head}{url} 10.0.0.5/pc7 amelia GET", REWRITE, concurrency) == expected


@pytest.mark.parametrize("char", [" ", *NOT_SEPARATORS], ids=lambda c: f"U+{ord(c):04X}")
def test_a_site_name_that_holds_fields_of_its_own_is_unreadable(char: str) -> None:
    """External ACL: Squid URL-escapes every field (the configuration asks it to, `%#`), so a raw
    space, control or non-ASCII character in one means the line is not as Squid writes it."""
    name = f"blocked.example{char}10.9.9.9{char}p.okafor{char}GET"
    assert both(f"7 {name} 10.0.0.5 amelia CONNECT -", ACL, AUTO) == unreadable("7")
    assert both(f"{name} 10.0.0.5 amelia CONNECT", ACL, OFF) == unreadable()


@pytest.mark.parametrize(
    ("line", "mode", "expected"),
    [
        # A URL with an ASCII space in it (a squid.conf that sets `uri_whitespace allow`): with Squid's
        # extras at the end there are more fields than Squid writes; nothing in the line is trusted.
        (
            "7 http://blocked.example/a 10.9.9.9/- p.okafor GET 10.0.0.5/pc7 amelia GET myip=10.0.0.254"
            " myport=3128",
            REWRITE,
            unreadable("7"),
        ),
        # Fields Squid writes itself, escaped (%#un, %#>A): printable ASCII, or the line is not Squid's.
        ("7 http://a.example/ 10.0.0.5/pc7 zo\xeb GET", REWRITE, unreadable("7")),
        ("7 http://a.example/ 10.0.0.5/pc\xa07 amelia GET", REWRITE, unreadable("7")),
        ("7 http://a.example/ 10.0.0.5/pc7 amelia G\x0bET", REWRITE, unreadable("7")),
        ("7 http://a.example/ 10.0.0.5/pc7 amelia\udcff GET", REWRITE, unreadable("7")),
        ("7 http://a.example/ 10.0.0.5\u2028/pc7 amelia GET", REWRITE, unreadable("7")),
        (
            "7 http://a.example/ 10.0.0.5/pc7 zo%C3%AB GET",
            REWRITE,
            fields("http://a.example/", "10.0.0.5", "pc7", "zo\xeb", "GET", channel="7"),
        ),
        # external ACL: the site name, the client, the user, the method, and Squid's "-" for the ACL's
        # (absent) arguments; one field more is not Squid's layout.
        (
            "7 a.example 10.0.0.5 amelia CONNECT -",
            ACL,
            fields("a.example", "10.0.0.5", None, "amelia", "CONNECT", channel="7"),
        ),
        ("7 a.example 10.0.0.5 amelia CONNECT - x", ACL, unreadable("7")),
        ("7 a.ex\xe4mple 10.0.0.5 amelia CONNECT -", ACL, unreadable("7")),
        ("7 a.example 10.0.0.5 amelia CONNECT \xe4", ACL, unreadable("7")),
        ("7 a.example 10.0.0.5 amelia\t CONNECT -", ACL, unreadable("7")),
    ],
)
def test_a_line_not_in_squid_s_layout_is_unreadable(line: str, mode: Mode, expected: HelperLine) -> None:
    assert both(line, mode, AUTO) == expected


def test_parse_line_defaults_to_url_rewrite_with_auto_detected_channels() -> None:
    assert parse_line("9 http://example.org/ 10.0.0.1/- bob%20s GET") == fields(
        "http://example.org/", "10.0.0.1", None, "bob s", "GET", channel="9"
    )


@pytest.mark.parametrize(
    ("channel", "answer"),
    [(None, "OK schoolgate=allow\n"), ("0", "0 OK schoolgate=allow\n"), ("17", "17 OK schoolgate=allow\n")],
)
def test_format_rewrite_allow(channel: str | None, answer: str) -> None:
    assert format_rewrite_allow(channel) == answer


@pytest.mark.parametrize(
    ("channel", "url", "answer"),
    [
        (
            None,
            "http://block.test/blocked?reason=rule&group=ks2&category=gambling&rule=4&url64=aHR0cDovL3gv",
            'OK status=302 url="http://block.test/blocked?reason=rule&group=ks2&category=gambling&rule=4'
            '&url64=aHR0cDovL3gv" schoolgate=block\n',
        ),
        (
            "3",
            "http://block.test/blocked?reason=no-policy&group=default&url64=",
            '3 OK status=302 url="http://block.test/blocked?reason=no-policy&group=default&url64="'
            " schoolgate=block\n",
        ),
        # already-escaped parameters stay as they are
        (
            "1",
            "http://b.test/?group=year%207",
            '1 OK status=302 url="http://b.test/?group=year%207" schoolgate=block\n',
        ),
        # the safety net: whatever the caller passes, the answer stays one line with one quoted URL
        (
            "2",
            'http://b.test/?a=x y"z\nw',
            '2 OK status=302 url="http://b.test/?a=x%20y%22z%0Aw" schoolgate=block\n',
        ),
        (
            None,
            "http://b.test/a\\b\tc\r",
            'OK status=302 url="http://b.test/a%5Cb%09c%0D" schoolgate=block\n',
        ),
    ],
)
def test_format_rewrite_block(channel: str | None, url: str, answer: str) -> None:
    assert format_rewrite_block(channel, url) == answer


@pytest.mark.parametrize(
    ("channel", "allowed", "group", "message", "answer"),
    [
        (None, True, "ks2", "", 'OK tag="ks2"\n'),
        ("5", True, "staff", "", '5 OK tag="staff"\n'),
        (None, False, "ks2", "blocked: gambling", 'ERR tag="ks2" message="blocked: gambling"\n'),
        ("0", False, "default", "blocked", '0 ERR tag="default" message="blocked"\n'),
        # quotes and backslashes are escaped inside the quoted value
        (
            None,
            False,
            'y"7',
            'blocked: "bad" \\ site',
            'ERR tag="y\\"7" message="blocked: \\"bad\\" \\\\ site"\n',
        ),
        # line breaks and other control characters become spaces: the answer stays one line
        (None, False, "ks2", "blocked:\nOK tag=x\r\n", 'ERR tag="ks2" message="blocked: OK tag=x  "\n'),
        (None, False, "ks\n2", "a\tb\x00c\x7fd\u2028e\x85f", 'ERR tag="ks 2" message="a b c d e f"\n'),
        (None, False, "ks2", "catégorie: jeux", 'ERR tag="ks2" message="catégorie: jeux"\n'),
    ],
)
def test_format_acl(channel: str | None, allowed: bool, group: str, message: str, answer: str) -> None:
    assert format_acl(channel, allowed, group, message) == answer


REWRITE_ANSWER = re.compile(r'(\d+ )?OK status=302 url="[^"\s\\]*" schoolgate=block\n')


@pytest.mark.parametrize(
    "hostile",
    ['"', "\\", '" url="http://evil.test/', "\n", "\r\n", " ", "\t", "\x0b\x0c", "\u2028\x85"],
)
def test_format_rewrite_block_answer_is_one_well_formed_line_whatever_the_url(hostile: str) -> None:
    answer = format_rewrite_block("7", f"http://block.test/?u={hostile}&x=1")
    assert REWRITE_ANSWER.fullmatch(answer), answer
    assert answer.count("\n") == 1


ACL_ANSWER = re.compile(r'(\d+ )?(OK|ERR) tag="(?:[^"\\\n]|\\.)*"( message="(?:[^"\\\n]|\\.)*")?\n')


@pytest.mark.parametrize(
    "hostile",
    ['"', "\\", '\\"', '" tag="staff', "\n", "\r", "\x00", "\u2028\u2029", "\x1b[31m", "\udcff", 'a"\nERR b'],
)
def test_format_acl_answer_is_one_well_formed_line_whatever_the_text(hostile: str) -> None:
    answer = format_acl("7", False, hostile, f"blocked: {hostile}")
    assert ACL_ANSWER.fullmatch(answer), answer
    assert answer.count("\n") == 1
    assert answer.encode("utf-8", "surrogateescape")  # the helper can write it
