"""Tests for schoolgate.engine.index: the compiled category index and its look-ups.

squidGuard's domain and URL look-ups have two quirks that Schoolgate deliberately does not copy:

- quirk B: when both `foo.com` and `y.foo.com` are listed, squidGuard's search can stop at `y.foo.com`
  and miss that `x.foo.com` is listed through its parent `foo.com`;
- quirk C: when both `nbr.com/a` and `nbr.com/a/zzz` are listed, a request for `nbr.com/a/bbb` can
  land next to `nbr.com/a/zzz` and miss its real prefix `nbr.com/a`.

Both are tested here as plain expectations: every listed parent domain and every listed URL prefix
is found, whatever else is listed next to it.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

import pytest

from schoolgate.engine.index import Hit, Index, IndexFileError, SourceEntries, build_index

P = pytest.param

SOURCES = [
    SourceEntries(
        "lists/adult",
        domains=["example.com", "sub.bar.net", "foo.com", "y.foo.com", "192.0.2.1"],
        urls=["pathsite.com/blocked", "noslash.com/", "nbr.com/a", "nbr.com/a/zzz"],
        expressions=["SeX", "[[:digit:]]{3}-poker"],
    ),
    SourceEntries(
        "lists/gambling",
        domains=["example.com", "bet.example"],
        urls=["nbr.com/a/zzz"],
        expressions=["casino"],
    ),
    SourceEntries("iwf", domains=["abuse.example"]),
]
ADULT, GAMBLING, IWF = 0b001, 0b010, 0b100


@pytest.fixture(scope="module")
def data() -> bytes:
    return build_index(SOURCES)


@pytest.fixture(scope="module")
def index(data: bytes) -> Index:
    return Index(data)


def entries(hits: list[Hit]) -> set[str]:
    return {hit.entry for hit in hits}


# ---------------------------------------------------------------------------------------------------------
# Domains: a listed domain covers itself and its subdomains, at label boundaries only


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        P("example.com", {"example.com"}, id="the-listed-domain-itself"),
        P("www.example.com", {"example.com"}, id="a-subdomain"),
        P("a.b.example.com", {"example.com"}, id="a-deeper-subdomain"),
        P("notexample.com", set(), id="not-a-longer-name-ending-in-it"),
        P("example.com.evil.org", set(), id="not-a-name-that-starts-with-it"),
        P("example.co", set(), id="not-a-shorter-name"),
        P("com", set(), id="not-its-top-level-domain"),
        P("sub.bar.net", {"sub.bar.net"}, id="a-listed-child"),
        P("deep.sub.bar.net", {"sub.bar.net"}, id="below-a-listed-child"),
        P("bar.net", set(), id="a-listed-child-does-not-cover-its-parent"),
        P("other.bar.net", set(), id="a-listed-child-does-not-cover-its-siblings"),
        P("x.foo.com", {"foo.com"}, id="quirk-B-parent-found-beside-a-listed-sibling"),
        P("y.foo.com", {"foo.com", "y.foo.com"}, id="quirk-B-both-parent-and-child-found"),
        P("z.y.foo.com", {"foo.com", "y.foo.com"}, id="quirk-B-both-found-below-the-child"),
        P("192.0.2.1", {"192.0.2.1"}, id="a-listed-address"),
        P("192.0.2.10", set(), id="not-an-address-that-starts-with-a-listed-one"),
        P("unlisted.org", set(), id="an-unlisted-host"),
    ],
)
def test_match_host_finds_every_listed_domain_at_label_boundaries(
    index: Index, host: str, expected: set[str]
) -> None:
    hits = index.match_host(host)
    assert entries(hits) == expected
    assert all(hit.kind == "domain" for hit in hits)


def test_a_domain_in_several_sources_has_the_combined_mask(index: Index) -> None:
    (hit,) = index.match_host("www.example.com")
    assert hit == Hit("domain", "example.com", ADULT | GAMBLING)
    assert index.source_names(hit.sources) == ["lists/adult", "lists/gambling"]


def test_a_domain_in_one_source_has_that_source_only(index: Index) -> None:
    assert index.match_host("bet.example") == [Hit("domain", "bet.example", GAMBLING)]
    assert index.match_host("abuse.example") == [Hit("domain", "abuse.example", IWF)]


# ---------------------------------------------------------------------------------------------------------
# URLs: a listed URL is a prefix of the requests it covers


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        P("pathsite.com/blocked", {"pathsite.com/blocked"}, id="the-listed-url-itself"),
        P("pathsite.com/blockedxyz", {"pathsite.com/blocked"}, id="a-longer-path-it-is-a-prefix-of"),
        P("pathsite.com/blocked/page?q=1", {"pathsite.com/blocked"}, id="a-page-below-it"),
        P("pathsite.com/block", set(), id="not-a-shorter-path"),
        P("pathsite.com/", set(), id="not-the-site-root"),
        P("www.pathsite.com/blocked", set(), id="not-another-host"),
        P("noslash.com/", {"noslash.com/"}, id="whole-site-entry-root"),
        P("noslash.com/any/page", {"noslash.com/"}, id="whole-site-entry-any-page"),
        P("noslash.community/", set(), id="whole-site-entry-not-a-longer-host"),
        P("noslash.community/x", set(), id="whole-site-entry-not-a-longer-host-page"),
        P("nbr.com/a/bbb", {"nbr.com/a"}, id="quirk-C-prefix-found-beside-a-listed-neighbour"),
        P("nbr.com/a/zzz", {"nbr.com/a", "nbr.com/a/zzz"}, id="quirk-C-both-prefixes-found"),
        P("nbr.com/a/zzz/1", {"nbr.com/a", "nbr.com/a/zzz"}, id="quirk-C-both-found-below-the-longer"),
        P("nbr.com/b", set(), id="a-path-beside-the-listed-ones"),
        P("example.com/", set(), id="a-listed-domain-is-not-a-url-entry"),
    ],
)
def test_match_url_finds_every_listed_prefix(index: Index, key: str, expected: set[str]) -> None:
    hits = index.match_url(key)
    assert entries(hits) == expected
    assert all(hit.kind == "url" for hit in hits)


def test_a_url_in_several_sources_has_the_combined_mask(index: Index) -> None:
    hits = {hit.entry: hit for hit in index.match_url("nbr.com/a/zzz/1")}
    assert hits["nbr.com/a/zzz"] == Hit("url", "nbr.com/a/zzz", ADULT | GAMBLING)
    assert hits["nbr.com/a"] == Hit("url", "nbr.com/a", ADULT)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        P("pathsite.com/blocked\udc80x", {"pathsite.com/blocked"}, id="surrogate-after-the-entry"),
        P("pathsite.com/\udc80blocked", set(), id="surrogate-inside-the-entry"),
        P("\udcff\udc80.com/", set(), id="surrogates-only"),
    ],
)
def test_a_url_with_lone_surrogates_matches_up_to_them_and_does_not_raise(
    index: Index, key: str, expected: set[str]
) -> None:
    assert entries(index.match_url(key)) == expected


# ---------------------------------------------------------------------------------------------------------
# Expressions: squidGuard's case-insensitive regular expressions, from several sources


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        P("x.com/sex", {"SeX": ADULT}, id="lowercase-text-uppercase-pattern"),
        P("x.com/SEX", {"SeX": ADULT}, id="uppercase-text"),
        P("x.com/Casino/royale", {"casino": GAMBLING}, id="other-source"),
        P("x.com/sex/casino", {"SeX": ADULT, "casino": GAMBLING}, id="both-sources"),
        P("x.com/777-Poker", {"[[:digit:]]{3}-poker": ADULT}, id="posix-class"),
        P("x.com/77-poker", {}, id="posix-class-no-match"),
        P("x.com/\udc80sex\udcff", {"SeX": ADULT}, id="lone-surrogates-do-not-raise"),
        P("x.com/harmless", {}, id="no-match"),
    ],
)
def test_match_expressions_finds_every_expression_in_the_text(
    index: Index, text: str, expected: dict[str, int]
) -> None:
    hits = index.match_expressions(text)
    assert {hit.entry: hit.sources for hit in hits} == expected
    assert all(hit.kind == "expression" for hit in hits)


def test_an_index_without_expressions_matches_none() -> None:
    index = Index(build_index([SourceEntries("plain", domains=["a.example"])]))
    assert index.match_expressions("a.example/sex") == []


def test_an_index_without_sources_matches_nothing() -> None:
    index = Index(build_index([]))
    assert index.match_host("example.com") == []
    assert index.match_url("example.com/") == []
    assert index.match_expressions("example.com/") == []
    assert len(index) == 0
    assert index.sources == ()


# ---------------------------------------------------------------------------------------------------------
# Buffers: bytes, bytearray and memoryview (a memory map arrives as a memoryview)


@pytest.mark.parametrize(
    "wrap",
    [P(bytes, id="bytes"), P(bytearray, id="bytearray"), P(memoryview, id="memoryview")],
)
@pytest.mark.parametrize("open_index", [P(Index, id="Index"), P(Index.from_buffer, id="Index.from_buffer")])
def test_an_index_opens_over_any_buffer(
    data: bytes, wrap: Callable[[bytes], bytes], open_index: Callable[[bytes], Index]
) -> None:
    index = open_index(wrap(data))
    assert index.sources == ("lists/adult", "lists/gambling", "iwf")
    assert index.match_host("www.example.com") == [Hit("domain", "example.com", ADULT | GAMBLING)]
    assert entries(index.match_url("nbr.com/a/bbb")) == {"nbr.com/a"}
    assert entries(index.match_expressions("x.com/casino")) == {"casino"}


def test_build_index_refuses_two_sources_with_the_same_name() -> None:
    with pytest.raises(ValueError, match="source names must be unique"):
        build_index([SourceEntries("a", domains=["x.com"]), SourceEntries("a", domains=["y.com"])])


def test_build_index_keeps_the_info_and_the_source_statistics() -> None:
    data = build_index(
        [SourceEntries("s", ["a.com", "b.com"], ["c.com/x"], ["z"], info={"v": 1})], info={"k": 2}
    )
    index = Index(data)
    assert index.info == {"k": 2}
    assert index.header["sources"] == [{"name": "s", "domains": 2, "urls": 1, "expressions": 1, "v": 1}]


def test_build_index_reports_progress_in_entries() -> None:
    seen: list[int] = []
    build_index(
        [SourceEntries("a", ["x.com", "y.com"], ["z.com/"]), SourceEntries("b", ["w.com"])],
        progress=seen.append,
    )
    assert seen == [3, 4]


# ---------------------------------------------------------------------------------------------------------
# Damaged and foreign files


def _split(data: bytes) -> tuple[bytes, dict[str, object], bytes]:
    """(magic, header, body) of index bytes."""
    (length,) = struct.unpack_from("<I", data, 8)
    return data[:8], json.loads(data[12 : 12 + length]), data[12 + length :]


def _join(magic: bytes, header: object, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    raw += b" " * (-(12 + len(raw)) % 8)
    return magic + struct.pack("<I", len(raw)) + raw + body


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        P(lambda d: b"", "not a Schoolgate list index", id="empty"),
        P(lambda d: b"NOTANIDX" + d[8:], "not a Schoolgate list index", id="wrong-magic"),
        P(
            lambda d: b"<html><body>404 Not Found</body></html>",
            "not a Schoolgate list index",
            id="html-page",
        ),
        P(
            lambda d: d[:7] + bytes([d[7] + 1]) + d[8:],
            "the index was written by another version of Schoolgate: compile it again",
            id="newer-version",
        ),
        P(
            lambda d: d[:7] + bytes([d[7] - 1]) + d[8:],
            "the index was written by another version of Schoolgate: compile it again",
            id="older-version",
        ),
        P(lambda d: d[:-5], r"the index is truncated \(section \w+\)", id="truncated-section"),
        P(lambda d: d[: len(d) // 2], r"the index is truncated \(section \w+\)", id="cut-in-half"),
        P(lambda d: d[:40], r"the index is damaged \(JSONDecodeError: ", id="cut-inside-the-header"),
        P(
            lambda d: d[:12] + b"\xff" * (len(d) - 12),
            r"the index is damaged \(UnicodeDecodeError: ",
            id="garbage-header",
        ),
        P(
            lambda d: d[:12] + b"{}" + d[14:],
            r"the index is damaged \(JSONDecodeError: ",
            id="garbage-in-header",
        ),
    ],
)
def test_a_damaged_or_foreign_buffer_raises_index_file_error_with_a_clear_message(
    data: bytes, damage: Callable[[bytes], bytes], message: str
) -> None:
    with pytest.raises(IndexFileError, match=f"^{message}"):
        Index(damage(data))


@pytest.mark.parametrize("length", [8, 10, 11], ids=lambda n: f"{n}-bytes")
def test_an_index_cut_short_after_its_magic_says_it_is_truncated(data: bytes, length: int) -> None:
    """The right magic and version followed by too few bytes is a short file, not another version."""
    with pytest.raises(IndexFileError, match="truncated"):
        Index(data[:length])


@pytest.mark.parametrize(
    "change",
    [
        P(lambda h: {}, id="empty-object"),
        P(lambda h: [], id="a-list"),
        P(lambda h: {k: v for k, v in h.items() if k != "sections"}, id="no-sections"),
        P(lambda h: {k: v for k, v in h.items() if k != "expressions"}, id="no-expressions"),
        P(lambda h: {**h, "expressions": 5}, id="expressions-not-a-list"),
        P(lambda h: {**h, "expressions": [["no-such-source", ["x"]]]}, id="expression-of-unknown-source"),
        P(lambda h: {**h, "expressions": [["lists/adult", ["(unclosed"]]]}, id="expression-does-not-compile"),
        P(lambda h: {**h, "sources": [{}]}, id="source-without-name"),
    ],
)
def test_a_header_of_the_wrong_shape_raises_index_file_error(
    data: bytes, change: Callable[[dict[str, object]], object]
) -> None:
    """A header that is valid JSON but not what build_index writes is damage, never a KeyError."""
    magic, header, body = _split(data)
    with pytest.raises(IndexFileError):
        Index(_join(magic, change(header), body))


def test_index_file_error_is_a_value_error() -> None:
    assert issubclass(IndexFileError, ValueError)


# ---------------------------------------------------------------------------------------------------------
# source_names, source_mask, len


def test_source_mask_is_the_bits_of_the_named_sources(index: Index) -> None:
    assert index.source_mask(["lists/adult"]) == ADULT
    assert index.source_mask(["iwf", "lists/gambling"]) == IWF | GAMBLING
    assert index.source_mask(["iwf", "iwf"]) == IWF


def test_source_mask_ignores_names_not_in_the_index(index: Index) -> None:
    assert index.source_mask(["iwf", "lists/dating"]) == IWF
    assert index.source_mask(["lists/dating"]) == 0
    assert index.source_mask([]) == 0


@pytest.mark.parametrize(
    ("mask", "names"),
    [
        P(0, [], id="none"),
        P(ADULT, ["lists/adult"], id="first"),
        P(IWF, ["iwf"], id="last"),
        P(IWF | ADULT, ["lists/adult", "iwf"], id="in-index-order"),
        P(ADULT | GAMBLING | IWF, ["lists/adult", "lists/gambling", "iwf"], id="all"),
    ],
)
def test_source_names_lists_the_sources_of_a_mask_in_index_order(
    index: Index, mask: int, names: list[str]
) -> None:
    assert index.source_names(mask) == names


def test_source_names_and_source_mask_are_inverse(index: Index) -> None:
    for names in (["lists/adult"], ["lists/gambling", "iwf"], list(index.sources)):
        assert index.source_names(index.source_mask(names)) == names


def test_len_counts_distinct_domain_and_url_entries(index: Index) -> None:
    # Domains: example.com (in two sources), sub.bar.net, foo.com, y.foo.com, 192.0.2.1, bet.example,
    # abuse.example; URLs: pathsite.com/blocked, noslash.com/, nbr.com/a, nbr.com/a/zzz (in two sources).
    assert len(index) == 7 + 4
    assert index.counts == {"domains": 7, "urls": 4}
