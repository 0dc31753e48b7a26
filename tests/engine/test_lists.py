"""Tests for schoolgate.engine.lists: readers for squidGuard/UT1 lists, plain domain lists and hosts files."""

from __future__ import annotations

import doctest
import re

import pytest

from schoolgate.engine import lists
from schoolgate.engine.index import Index, SourceEntries, build_index
from schoolgate.engine.lists import (
    ListProblem,
    compile_expression,
    parse_domains,
    parse_expressions,
    parse_hosts,
    parse_urls,
    translate_posix_ere,
    url_key,
)
from schoolgate.engine.urls import parse_url

P = pytest.param


def test_the_module_doctests_pass() -> None:
    result = doctest.testmod(lists, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# ---------------------------------------------------------------------------------------------------------
# parse_domains


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        P("example.com", "example.com", id="plain"),
        P("Example.COM", "example.com", id="lowercased"),
        P("example.com.", "example.com", id="trailing-dot-removed"),
        P("  spaced.org  ", "spaced.org", id="surrounding-space-stripped"),
        P("\ttabbed.org\r\n", "tabbed.org", id="tab-and-crlf-stripped"),
        P("+added.com", "added.com", id="plus-marker-dropped"),
        P("-removed.com", "removed.com", id="minus-marker-dropped"),
        P("*.wild.com", "wild.com", id="star-dot-dropped"),
        P(".dot.com", "dot.com", id="leading-dot-dropped"),
        P("+*.both.com", "both.com", id="marker-then-star-dot"),
        P("bücher.de", "xn--bcher-kva.de", id="idn-to-punycode"),
        P("BÜCHER.de", "xn--bcher-kva.de", id="idn-uppercase"),
        P("redir.com http://block.example/page 302", "redir.com", id="trailing-redirect-ignored"),
        P("trailing.com # a comment", "trailing.com", id="trailing-comment-ignored"),
        P("192.0.2.1", "192.0.2.1", id="ipv4-address"),
        P("[2001:DB8::1]", "[2001:db8::1]", id="ipv6-address"),
    ],
)
def test_parse_domains_reads_one_entry_per_line(line: str, entry: str) -> None:
    parsed = parse_domains([line], "ut1/x/domains")
    assert parsed.entries == [entry]
    assert parsed.problems == []


def test_parse_domains_skips_comments_and_blank_lines() -> None:
    parsed = parse_domains(["# UT1 list", "", "   ", "\t", "  # indented comment", "a.com"], "f")
    assert parsed.entries == ["a.com"]
    assert parsed.problems == []


def test_parse_domains_keeps_file_order_and_duplicates() -> None:
    assert parse_domains(["b.com", "a.com", "b.com"], "f").entries == ["b.com", "a.com", "b.com"]


@pytest.mark.parametrize(
    "line",
    [
        P("bad_host!", id="punctuation"),
        P("a..b", id="empty-label"),
        P("*.", id="star-dot-only"),
        P("+", id="marker-only"),
        P(".", id="dot-only"),
        P("x" * 64 + ".com", id="label-too-long"),
        P("http://full.url/x", id="a-url"),
        P("h\udc80llo.com", id="undecodable-bytes"),
    ],
)
def test_parse_domains_reports_a_bad_line_and_carries_on(line: str) -> None:
    parsed = parse_domains(["good.com", line, "also-good.com"], "ut1/gambling/domains")
    assert parsed.entries == ["good.com", "also-good.com"]
    assert parsed.problems == [
        ListProblem("ut1/gambling/domains", 2, line.strip(), "not a valid domain name or address")
    ]


def test_a_problem_names_the_file_line_and_text() -> None:
    (problem,) = parse_domains(["# header", "", "ok.com", "bad_host!"], "lists/ut1/gambling/domains").problems
    assert str(problem) == "lists/ut1/gambling/domains:4: not a valid domain name or address: 'bad_host!'"


def test_a_problem_shortens_very_long_text() -> None:
    line = "!" * 300
    (problem,) = parse_domains([line], "f").problems
    assert problem.text == line
    assert str(problem) == "f:1: not a valid domain name or address: '" + "!" * 120 + "…'"


# ---------------------------------------------------------------------------------------------------------
# parse_hosts


@pytest.mark.parametrize(
    ("line", "entries"),
    [
        P("0.0.0.0 a.com b.com # comment", ["a.com", "b.com"], id="several-names-and-a-comment"),
        P("127.0.0.1\tads.example", ["ads.example"], id="tab-separated"),
        P("0.0.0.0 Tracker.Example.", ["tracker.example"], id="canonicalised"),
        P("0.0.0.0 bücher.de", ["xn--bcher-kva.de"], id="idn-to-punycode"),
        P("::1 ads.example", ["ads.example"], id="ipv6-address"),
        P("127.0.0.1 localhost", [], id="localhost-ignored"),
        P("127.0.0.1 localhost.localdomain LOCALHOST", [], id="localhost-forms-ignored"),
        P("::1 ip6-localhost ip6-loopback", [], id="ipv6-loopback-names-ignored"),
        P("255.255.255.255 broadcasthost", [], id="broadcasthost-ignored"),
        P("0.0.0.0 local", [], id="local-ignored"),
        P("127.0.0.1 localhost real.example", ["real.example"], id="localhost-beside-a-real-name"),
    ],
)
def test_parse_hosts_reads_every_name_after_the_address(line: str, entries: list[str]) -> None:
    parsed = parse_hosts([line], "hosts.txt")
    assert parsed.entries == entries
    assert parsed.problems == []


def test_parse_hosts_skips_comments_and_blank_lines() -> None:
    parsed = parse_hosts(["# StevenBlack hosts", "", "   ", "0.0.0.0 a.com"], "hosts.txt")
    assert parsed.entries == ["a.com"]
    assert parsed.problems == []


@pytest.mark.parametrize(
    "line",
    [P("0.0.0.0", id="address-only"), P("0.0.0.0 # nothing but a comment", id="address-and-comment")],
)
def test_parse_hosts_reports_a_line_without_names(line: str) -> None:
    parsed = parse_hosts(["0.0.0.0 a.com", line], "hosts.txt")
    assert parsed.entries == ["a.com"]
    assert parsed.problems == [ListProblem("hosts.txt", 2, line, "expected an address followed by names")]


def test_parse_hosts_reports_a_bad_name_and_keeps_the_others_on_its_line() -> None:
    parsed = parse_hosts(["0.0.0.0 bad!name ok.com"], "hosts.txt")
    assert parsed.entries == ["ok.com"]
    assert [str(p) for p in parsed.problems] == [
        "hosts.txt:1: not a valid domain name: 'bad!name': '0.0.0.0 bad!name ok.com'"
    ]


# ---------------------------------------------------------------------------------------------------------
# parse_urls and url_key


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        P("example.com/path/page.html", "example.com/path/page.html", id="plain"),
        P("www.example.com:8080/Path", "www.example.com/path", id="port-removed"),
        P("user:secret@Host.com/A", "host.com/a", id="userinfo-removed"),
        P("Example.COM/Some/PATH", "example.com/some/path", id="lowercased"),
        P("a.com//b///c", "a.com/b/c", id="double-slashes-collapsed"),
        P("www.example.com:8080/Path//x/", "www.example.com/path/x/", id="all-at-once"),
        P("site.org", "site.org/", id="no-path-is-the-whole-site"),
        P("site.org:443", "site.org/", id="no-path-with-port"),
        P("http://x.com/a", "x.com/a", id="scheme-removed"),
        P("HTTPS://Y.com:443/B?Q=1", "y.com/b?q=1", id="https-scheme-port-and-query"),
        P("x.com/a/../b", "x.com/b", id="dot-segments-removed"),
        P("x.com/%41b", "x.com/ab", id="percent-escape-decoded"),
        P("x.com/page#fragment", "x.com/page", id="fragment-removed"),
        P("x.com/a b", "x.com/a", id="trailing-text-ignored"),
        P("bücher.de/x", "xn--bcher-kva.de/x", id="idn-host"),
    ],
)
def test_parse_urls_reads_canonical_host_path_entries(line: str, entry: str) -> None:
    parsed = parse_urls([line], "ut1/adult/urls")
    assert parsed.entries == [entry]
    assert parsed.problems == []


def test_parse_urls_skips_comments_and_blank_lines() -> None:
    parsed = parse_urls(["# comment", "", "  ", "a.com/x"], "f")
    assert parsed.entries == ["a.com/x"]


@pytest.mark.parametrize(
    "line",
    [P("bad_host!/x", id="bad-host"), P("x.com:99999/a", id="port-too-big"), P("a..b/x", id="empty-label")],
)
def test_parse_urls_reports_a_bad_line_with_its_number(line: str) -> None:
    parsed = parse_urls(["ok.com/a", line], "ut1/adult/urls")
    assert parsed.entries == ["ok.com/a"]
    assert parsed.problems == [ListProblem("ut1/adult/urls", 2, line, "not a valid URL entry")]


def test_url_key_of_a_site_never_matches_a_longer_host() -> None:
    key = url_key("example.com")
    assert key == "example.com/"
    assert not "example.community/".startswith(key)


# ---------------------------------------------------------------------------------------------------------
# Unicode and A-label entries: every spelling ends as the A-label the browser sends (UTS #46)

SPELLINGS = [
    P(
        ["straße.de", "STRAßE.de", "straße。de", "xn--strae-oqa.de", "XN--STRAE-OQA.DE"],
        "xn--strae-oqa.de",
        id="sharp-s",
    ),
    P(["βόλος.com", "xn--nxasmm1c.com"], "xn--nxasmm1c.com", id="final-sigma"),
    P(["i❤.ws", "i❤\ufe0f.ws", "xn--i-7iq.ws"], "xn--i-7iq.ws", id="emoji"),
    P(
        ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.ir", "xn--mgbn2ecje63gr19l.ir"],
        "xn--mgbn2ecje63gr19l.ir",
        id="zwnj-persian",
    ),
    P(["\u0915\u094d\u200d\u0937.in", "xn--11b2ezcw70k.in"], "xn--11b2ezcw70k.in", id="zwj-devanagari"),
]


@pytest.mark.parametrize(("spellings", "a_label"), SPELLINGS)
def test_every_reader_turns_each_spelling_into_the_browsers_a_label(
    spellings: list[str], a_label: str
) -> None:
    assert parse_domains(spellings, "d").entries == [a_label] * len(spellings)
    assert parse_hosts([f"0.0.0.0 {name}" for name in spellings], "h").entries == [a_label] * len(spellings)
    assert parse_urls([f"{name}/Page" for name in spellings], "u").entries == [f"{a_label}/page"] * len(
        spellings
    )


@pytest.mark.parametrize(("spellings", "a_label"), SPELLINGS)
def test_an_entry_in_any_spelling_matches_the_request_the_browser_makes(
    spellings: list[str], a_label: str
) -> None:
    for spelling in spellings:
        index = Index(build_index([SourceEntries("lists/x", domains=parse_domains([spelling], "d").entries)]))
        for requested in spellings:
            url = parse_url(f"http://www.{requested}/")
            assert url is not None
            assert url.host == f"www.{a_label}"
            assert [hit.entry for hit in index.match_host(url.host)] == [a_label], (spelling, requested)


def test_an_idna_2003_spelling_is_another_site() -> None:
    """`strasse.de` is a site of its own: listing it must not block `straße.de`, nor the other way round."""
    index = Index(build_index([SourceEntries("lists/x", domains=parse_domains(["strasse.de"], "d").entries)]))
    url = parse_url("http://straße.de/")
    assert url is not None
    assert index.match_host(url.host) == []


@pytest.mark.parametrize(
    "line",
    [
        P("a\u200db.com", id="zwj-in-latin"),
        P("xn--zz.bücher.de", id="invalid-a-label-beside-unicode"),
        P("\u2488.com", id="disallowed"),
        P("\U0001f468\u200d\U0001f469\u200d\U0001f467.example", id="emoji-zwj-sequence"),
    ],
)
def test_a_name_the_browser_refuses_is_reported_not_listed(line: str) -> None:
    parsed = parse_domains(["ok.com", line], "ut1/x/domains")
    assert parsed.entries == ["ok.com"]
    assert parsed.problems == [ListProblem("ut1/x/domains", 2, line, "not a valid domain name or address")]


# ---------------------------------------------------------------------------------------------------------
# parse_expressions


def test_parse_expressions_keeps_each_pattern_as_written() -> None:
    lines = ["(porn|xxx)\n", "^[0-9]+\\.[0-9]+/search\\?q=[0-9]+$\r\n", "[[:digit:]]{3}-poker"]
    parsed = parse_expressions(lines, "ut1/adult/expressions")
    assert parsed.entries == ["(porn|xxx)", "^[0-9]+\\.[0-9]+/search\\?q=[0-9]+$", "[[:digit:]]{3}-poker"]
    assert parsed.problems == []


def test_a_hash_is_not_a_comment_in_an_expressions_file() -> None:
    parsed = parse_expressions(["#anchor", "a#b"], "ut1/x/expressions")
    assert parsed.entries == ["#anchor", "a#b"]


def test_parse_expressions_skips_blank_lines_which_would_match_everything() -> None:
    parsed = parse_expressions(["", "   ", "\r\n", "x"], "ut1/x/expressions")
    assert parsed.entries == ["x"]
    assert parsed.problems == []


@pytest.mark.parametrize(
    "line",
    [
        P("(unclosed", id="unclosed-group"),
        P("[z-a]", id="reversed-range"),
        P("a{2,1}", id="bad-repetition"),
        P("[abc", id="unterminated-bracket"),
        P("trailing\\", id="trailing-backslash"),
    ],
)
def test_parse_expressions_reports_a_bad_regex_with_its_line(line: str) -> None:
    parsed = parse_expressions(["good", "", line, "also-good"], "ut1/x/expressions")
    assert parsed.entries == ["good", "also-good"]
    (problem,) = parsed.problems
    assert (problem.file, problem.line, problem.text) == ("ut1/x/expressions", 3, line)
    assert problem.message.startswith("not a valid regular expression (")


def test_compile_expression_searches_case_insensitively() -> None:
    pattern = compile_expression("CaSiNo")
    assert pattern.search("www.example.com/casino/royale")
    assert pattern.search("WWW.EXAMPLE.COM/CASINO")
    assert not pattern.search("www.example.com/cassino")


# ---------------------------------------------------------------------------------------------------------
# translate_posix_ere


@pytest.mark.parametrize(
    ("posix", "python"),
    [
        P("abc", "abc", id="no-brackets"),
        P(r"a\.b", r"a\.b", id="escape-outside-brackets-kept"),
        P(r"[\.]", r"[\\.]", id="backslash-in-brackets-is-literal"),
        P(r"[\d]x", r"[\\d]x", id="backslash-d-in-brackets-is-two-characters"),
        P("[[:digit:]]+", "[0-9]+", id="digit-class"),
        P("[[:alpha:][:digit:]_]", "[a-zA-Z0-9_]", id="two-classes"),
        P("[^[:space:]]", r"[^ \t\n\r\f\v]", id="negated-class"),
        P("[]a]", r"[\]a]", id="close-bracket-first-is-literal"),
        P("[^]a]", r"[^\]a]", id="close-bracket-after-caret-is-literal"),
        P("[a[]", r"[a\[]", id="open-bracket-inside-is-literal"),
        P(r"[\.[:digit:]]+x", r"[\\.0-9]+x", id="module-doctest-example"),
        P("(a|b)[x]", "(a|b)[x]", id="group-and-bracket"),
    ],
)
def test_translate_posix_ere(posix: str, python: str) -> None:
    assert translate_posix_ere(posix) == python


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        P(r"[\.]", ["a\\b", "a.b"], ["ab"], id="backslash-or-dot"),
        P("[]a]", ["]", "a"], ["b"], id="close-bracket-or-a"),
        P("[^]a]", ["b"], ["]", "a"], id="neither-close-bracket-nor-a"),
        P("^[[:digit:]]{3}$", ["123"], ["12a", "1234"], id="three-digits"),
    ],
)
def test_translated_expressions_match_as_posix_says(
    pattern: str, matches: list[str], misses: list[str]
) -> None:
    compiled = compile_expression(pattern)
    assert [text for text in matches + misses if compiled.search(text)] == matches


@pytest.mark.parametrize(
    ("pattern", "position"),
    [
        P("[abc", 0, id="open"),
        P("x[", 1, id="at-the-end"),
        P("[]", 0, id="only-a-literal-close-bracket"),
        P("[^]", 0, id="negated-literal-close-bracket"),
        P("[[:digit:]", 0, id="class-without-closing-bracket"),
    ],
)
def test_an_unterminated_bracket_is_an_error_at_its_position(pattern: str, position: int) -> None:
    with pytest.raises(re.error, match="unterminated bracket expression") as raised:
        translate_posix_ere(pattern)
    assert raised.value.pos == position
