"""Squid's helper protocols, sans I/O: a table of request lines and the fields read from them, and of
answers and the exact lines written for them."""

from __future__ import annotations

import re

import pytest

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
        # tabs and runs of blanks separate fields as spaces do
        (
            "http://example.org/\t10.0.0.1/pc1\tbob\tGET",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", "pc1", "bob", "GET"),
        ),
        (
            "3\thttp://example.org/  10.0.0.1/-   bob GET",
            REWRITE,
            AUTO,
            fields("http://example.org/", "10.0.0.1", None, "bob", "GET", channel="3"),
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
