"""The C loops (schoolgate.gateways._speedups) against their pure-Python twins: the same bytes, the
same objects, the same errors, for any input; and the layouts they are given, checked when given.
(The spool writer's loop is tested in tests/activity/test_speedups.py, whose strategies these share.)"""

from __future__ import annotations

import io
import sys
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schoolgate.activity import spool as spool_module
from schoolgate.activity.spool import SpoolWriter
from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action, Group, YouTubeMode
from schoolgate.gateways import _speedups
from schoolgate.gateways.squid import helper, protocol
from schoolgate.gateways.squid.helper import BlockPage, SearchAndVideo
from schoolgate.gateways.squid.protocol import Concurrency, HelperLine, Mode
from tests.activity.test_speedups import CHARS, GROUPS, MAYBE, TEXT, decisions, refused_layout, run_python


def test_the_c_module_is_built() -> None:
    """Setup builds it; without it the gateways would fall back to the slower Python loops."""
    assert _speedups.__file__ is not None
    assert protocol._speedups is _speedups
    assert helper._speedups is _speedups


def test_no_reference_is_lost() -> None:
    """A loop that leaked a reference per event would grow an object's count by thousands."""
    url = "https://example.org/" + "x" * 10
    request = HelperLine(None, url, "10.0.0.1", None, "amelia", "GET")
    decision = Decision(Action.BLOCK, Reason.RULE, "ks2", host="example.org")
    before = (sys.getrefcount(url), sys.getrefcount(request), sys.getrefcount(decision))
    for _ in range(1000):
        _speedups.parse_lines([url + " 10.0.0.1/- amelia GET"], HelperLine, False, True, False, str)
        _speedups.rewrite_answers(
            [request, request._replace(url="http://www.youtube.com/")],
            [decision, decision._replace(verdict=Action.ALLOW, host="www.youtube.com")],
            Action.BLOCK, {}, lambda d: "http://b/?", 2048,
            lambda line, d, head: "&at=1", frozenset({"www.youtube.com"}), lambda line, d: "OK",
        )  # fmt: skip
    assert (sys.getrefcount(url), sys.getrefcount(request), sys.getrefcount(decision)) == before


# ----------------------------------------------------------------------------- the layouts, from Python


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"line_fields": ("channel", "url", "client_ip", "device", "user")}, "a helper line has the fields"),
        ({"line_fields": ("channel", "url", "client_ip", "device", "user", "verb")}, "has no field method"),
        ({"line_fields": ("channel", "url", "client_ip", "device", "user", 6)}, "field names must be str"),
        ({"decision_fields": ("verdict", "group"), "prefix_fields": 1}, "needs the fields verdict and host"),
        (
            {"decision_fields": Decision._fields, "prefix_fields": 14},
            "says 14 of the decision's fields, but it has 13",
        ),
    ],
)
def test_a_layout_that_does_not_fit_is_refused_loudly(given: dict[str, object], said: str) -> None:
    message = refused_layout("gateways", given)
    assert message.startswith("schoolgate.gateways._speedups cannot use this layout: ")
    assert said in message


def test_the_decision_s_layout_is_given_whole() -> None:
    with pytest.raises(TypeError, match="given together"):
        _speedups.configure(prefix_fields=9)


def test_the_loops_refuse_to_run_before_they_are_told_the_layout() -> None:
    done = run_python("""
from schoolgate.gateways import _speedups
for call in (lambda: _speedups.parse_lines([], tuple, False, False, False, str),
             lambda: _speedups.rewrite_answers([], [], None, {}, str, 0, str, frozenset(), str)):
    try:
        call()
    except RuntimeError as exc:
        print(exc)
""")
    assert done.stdout.count("is not configured") == 2, done.stdout + done.stderr


def test_a_helper_line_is_filled_by_its_field_names() -> None:
    """The C loop puts each field where the line type keeps it, whatever the order of its fields."""
    done = run_python("""
from typing import NamedTuple
from schoolgate.gateways import _speedups

class Line(NamedTuple):
    method: str | None
    user: str | None
    url: str
    device: str | None
    channel: str | None
    client_ip: str | None

_speedups.configure(line_fields=Line._fields)
[line] = _speedups.parse_lines(["7 http://a/ 10.0.0.1/pc1 amelia GET"], Line, False, True, False, str)
print(line)
""")
    assert done.stdout.strip() == (
        "Line(method='GET', user='amelia', url='http://a/', device='pc1', channel='7', client_ip='10.0.0.1')"
    ), done.stderr


# ----------------------------------------------------------------------------- helper lines

LINE_FIELDS = st.lists(
    st.one_of(
        TEXT,
        st.sampled_from(["-", "-/-", "10.0.0.1/-", "/pc1", "10.0.0.1/", "42", "0", "amelia", "a%20b", "%ff"]),
    ),
    max_size=7,
)
# Every character that is white space to Unicode (what str.split() splits on) or a control character:
# the characters a request line must never be split on, but the parsers must agree on all the same.
WHITE_OR_CONTROL = "".join(
    chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() or unicodedata.category(chr(c)) == "Cc"
)
ODD = st.sampled_from(WHITE_OR_CONTROL + "\u200b\u2060\ufeff\udc85\udca0")
SEPARATORS = st.one_of(
    st.sampled_from([" ", "  ", "\t", "\x0b", "\x1c", "\x85", "\xa0", "\u3000", " \u2028 "]),
    ODD,
    st.text(ODD | st.just(" "), min_size=1, max_size=3),
)


@st.composite
def helper_lines(draw: st.DrawFn) -> str:
    fields = draw(LINE_FIELDS)
    line = draw(st.sampled_from(["", " ", "\t"]))
    for field in fields:
        line += field + draw(SEPARATORS)
    return line if draw(st.booleans()) else line.rstrip()


@settings(max_examples=500, deadline=None)
@given(
    lines=st.lists(helper_lines(), max_size=8),
    mode=st.sampled_from(Mode),
    concurrency=st.sampled_from(Concurrency),
)
@example(
    lines=["", " ", "12", "12 http://a/", "http://a/ 10.0.0.1/pc1 amelia GET x=1"],
    mode=Mode.REWRITE,
    concurrency=Concurrency.AUTO,
)
@example(lines=["1 http://a%20b/ 10.0.0.1 a%20b GET"], mode=Mode.ACL, concurrency=Concurrency.ON)
def test_lines_are_parsed_alike(lines: list[str], mode: Mode, concurrency: Concurrency) -> None:
    acl, channels, always = (
        mode is Mode.ACL,
        concurrency is not Concurrency.OFF,
        concurrency is Concurrency.ON,
    )
    expected = protocol._parse_lines(lines, acl, channels, always)
    parsed = protocol.parse_lines(lines, mode, concurrency)
    assert parsed == expected
    assert all(type(line) is HelperLine for line in parsed)


URL_TEXT = st.text(st.one_of(CHARS, ODD, st.sampled_from("/.:?=&%")), min_size=1, max_size=60).filter(
    lambda text: " " not in text  # Squid takes spaces out of URLs (uri_whitespace strip)
)


@settings(max_examples=500, deadline=None)
@given(
    url=URL_TEXT,
    channel=st.none() | st.sampled_from(["0", "7", "12345"]),
    extras=st.sampled_from(["", " myip=10.0.0.254 myport=3128", " myip=10.0.0.254 myport=3128 x=1"]),
    user=st.sampled_from(["-", "amelia", "zo%C3%AB", "bob%20smith", "a%E2%80%A8b"]),
)
@example(url="http://blocked.example/a\u2028127.0.0.1/-\u2028p.okafor\u2028GET", channel="7", extras="",
         user="amelia")  # fmt: skip
def test_whatever_a_url_holds_the_fields_after_it_are_squid_s(
    url: str, channel: str | None, extras: str, user: str
) -> None:
    """The property the filter rests on: a URL never speaks for the client, device, user or method
    that Squid writes after it, in the Python reference and in the C loop alike."""
    line = ("" if channel is None else f"{channel} ") + f"{url} 10.0.0.5/pc7 {user} GET{extras}"
    concurrency = Concurrency.AUTO if channel is not None else Concurrency.OFF
    expected = HelperLine(channel, url, "10.0.0.5", "pc7", None if user == "-" else unquote(user), "GET")
    assert protocol._parse_lines([line], False, channel is not None, False) == [expected]
    assert protocol.parse_lines([line], Mode.REWRITE, concurrency) == [expected]


def test_a_line_that_is_not_text_is_an_error() -> None:
    with pytest.raises(TypeError):
        _speedups.parse_lines([b"http://a/"], HelperLine, False, True, False, str)  # type: ignore[list-item]


def test_an_unquote_that_fails_is_an_error() -> None:
    def broken(text: str) -> str:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        _speedups.parse_lines(["http://a/ 10.0.0.1 a%20b GET"], HelperLine, False, True, False, broken)


# ----------------------------------------------------------------------------- rewrite answers


# Groups as the policy sets them: safe search on for pupils, off for staff; YouTube strict, moderate, off.
SPECIAL = SearchAndVideo(
    {
        "default": Group("default", Action.BLOCK),
        "ks2": Group("ks2", Action.ALLOW, youtube=YouTubeMode.STRICT),
        'odd "group"\\': Group(
            'odd "group"\\', Action.ALLOW, safe_search=False, youtube=YouTubeMode.MODERATE
        ),
        "staff": Group("staff", Action.ALLOW, safe_search=False, youtube=YouTubeMode.OFF),
    }
)
SPECIAL_URLS = st.sampled_from(
    [
        "http://www.google.co.uk/search?q=cats&safe=off",
        "http://www.google.com/search?q=caf\xe9",
        "https://www.bing.com/search?q=x",
        "https://duckduckgo.com/?q=a%22b",
        "https://www.youtube.com/watch?v=1",
        "www.google.com:443",
    ]
)
SPECIAL_HOSTS = st.sampled_from([*sorted(SearchAndVideo.HOSTS)[:3], "www.google.co.uk", "www.youtube.com"])


@st.composite
def answered(draw: st.DrawFn) -> tuple[HelperLine, Decision]:
    special = draw(st.booleans())
    line = HelperLine(
        draw(st.none() | st.sampled_from(["0", "17", "x\xe9", "\udc80"])),
        draw(SPECIAL_URLS if special else st.one_of(TEXT, st.text(CHARS, min_size=2040, max_size=2060))),
        draw(MAYBE),
        None,
        draw(MAYBE),
        None,
    )
    decision = draw(decisions())
    if special:
        decision = decision._replace(
            host=draw(SPECIAL_HOSTS), group=draw(st.sampled_from([*GROUPS, "staff"]))
        )
    return line, decision


@settings(max_examples=300, deadline=None)
@given(
    batch=st.lists(answered(), max_size=10),
    base=st.sampled_from(
        ["http://127.0.0.1:8080/blocked", "https://school.example/b?lang=en", "http://d\xe9/b"]
    ),
    key=st.none() | st.just(b"k" * 32),
)
@example(  # a blocked user whose name was not UTF-8
    batch=[
        (
            HelperLine(None, "http://a/", "10.0.0.1", None, "x\udc80\xe9", None),
            Decision(Action.BLOCK, Reason.RULE, "ks2"),
        )
    ],
    base="http://127.0.0.1:8080/blocked",
    key=b"k" * 32,
)
def test_answers_are_made_alike(
    batch: list[tuple[HelperLine, Decision]], base: str, key: bytes | None
) -> None:
    lines, decided = [line for line, _ in batch], [d for _, d in batch]
    page = BlockPage(base, key)
    page.at = 1_800_000_000
    expected = helper._rewrite_answers(lines, decided, page, SPECIAL)
    assert helper.rewrite_answers(lines, decided, page, SPECIAL) == expected


def test_a_long_url_is_cut_in_the_block_page_address() -> None:
    line = HelperLine(None, "http://a/" + "\xe9" * 3000, None, None, None, None)
    decision = Decision(Action.BLOCK, Reason.RULE, "ks2")
    answer = helper.rewrite_answers([line], [decision], BlockPage("http://b/"), SPECIAL)
    assert answer == helper._rewrite_answers([line], [decision], BlockPage("http://b/"), SPECIAL)
    assert len(answer) < 2048 * 2 * 4 // 3 + 200


def test_mismatched_answers_are_an_error() -> None:
    with pytest.raises(ValueError):
        helper.rewrite_answers(
            [HelperLine(None, "u", None, None, None, None)], [], BlockPage("http://b/"), SPECIAL
        )


def test_without_the_c_module_the_python_loops_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["http://bet365.com/ 10.0.0.1/pc1 amelia GET", "3 https://example.org/\xe9 - - CONNECT", ""]
    decided = [
        Decision(Action.BLOCK, Reason.RULE, "ks2", category="gambling", rule=4, host="bet365.com"),
        Decision(Action.ALLOW, Reason.GROUP_DEFAULT, "default", host="example.org"),
        Decision(Action.BLOCK, Reason.UNPARSABLE, "default"),
    ]

    def run(where: Path) -> tuple[list[HelperLine], bytes, bytes]:
        parsed = protocol.parse_lines(lines)
        answers = helper.rewrite_answers(parsed, decided, BlockPage("http://127.0.0.1:8080/blocked"), SPECIAL)
        writer = SpoolWriter(where, "squid")
        writer.record(1_800_000_000.0, parsed, decided)
        writer.close()
        [file] = where.glob("*.jsonl")
        return parsed, answers, file.read_bytes()

    with_c = run(tmp_path / "c")
    for module in (protocol, helper, spool_module):
        monkeypatch.setattr(module, "_speedups", None)
    assert run(tmp_path / "python") == with_c


def test_a_line_whose_answer_fails_is_blocked_and_the_others_answered() -> None:
    """A bug in making one answer costs that line (blocked, unexplained), not the helper or the batch."""

    class Broken(SearchAndVideo):
        def answer(self, line: HelperLine, decision: Decision) -> str | None:
            raise RuntimeError("a bug")

    lines = [
        HelperLine("1", "http://www.youtube.com/watch?v=1", "10.0.0.1", None, None, None),
        HelperLine("2", "http://example.org/", "10.0.0.1", None, None, None),
    ]
    decided = [
        Decision(Action.ALLOW, Reason.GROUP_DEFAULT, "ks2", host="www.youtube.com"),
        Decision(Action.ALLOW, Reason.GROUP_DEFAULT, "ks2", host="example.org"),
    ]
    log = io.StringIO()
    answers = helper._answer_batch(lines, decided, BlockPage("http://b/blocked"), Broken({}), log)
    assert answers.decode().splitlines() == [
        '1 OK status=302 url="http://b/blocked?reason=internal-error" schoolgate=block',
        "2 OK schoolgate=allow",
    ]
    assert "internal error answering 'http://www.youtube.com/watch?v=1'" in log.getvalue()
