"""bench/differences.py: the squidGuard reading of requests, and one positive and one negative request
for every class of deliberate difference (no squidGuard needed: the answers are given)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "differences.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_differences", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


d = _load()

# Small lists in the spirit of shared/bench/squidguard/semantics/lists.
LISTS = d.Lists.from_texts(
    domains={
        "t_dom": "# comment\nexample.com\nsub.bar.net\n10.1.2.3\nsolo.org\nmobile.de\n",
        "t_sib": "foo.com\ny.foo.com\n",
    },
    urls={
        "t_url": (
            "pathsite.com/blocked\nwww.wwwsite.com/x\nportsite.com:8080/p\nsite2.com/p%41th\n"
            "dotsite.com/a./b\nnoslash.com\nfrag.com/page#top\ndslash.com//x\n"
        ),
        "t_nbr": "nbr.com/a\nnbr.com/a/zzz\n",
    },
    expressions={"t_expr": "/banner/\n(google\\..*/search.q=cache)\n"},
)

TAIL = " 10.0.0.1/- - GET"
SG_BLOCK = 'OK rewrite-url="http://127.0.0.1/blocked.html"'
SG_ALLOW = "ERR"
SG_BH = 'BH message="squidGuard error parsing squid line"'
SK_BLOCK = 'OK status=302 url="http://127.0.0.1/blocked.html?reason=rule&group=default&category=t&rule=1"'
SK_UNPARSABLE = 'OK status=302 url="http://127.0.0.1/blocked.html?reason=unparsable-request&group=default"'
SK_ALLOW = "ERR"
A2B = (SG_ALLOW, SK_BLOCK)  # squidGuard allows, Schoolgate blocks
B2A = (SG_BLOCK, SK_ALLOW)


def make(request: str, answers: tuple[str, str]) -> Any:
    line = request if " " in request else request + TAIL
    return d.make_case(1, line, answers[0], answers[1], LISTS)


def predicate_of(name: str) -> Callable[[Any, Any], bool]:
    test: Callable[[Any, Any], bool] = next(c.test for c in d.CLASSES if c.name == name)
    return test


# class -> (positive request, answers), (negative request, answers).  The negative requests are near
# misses: same answers, but without the shape or the mechanism the class stands for.
EXAMPLES = {
    "fewer-than-four-fields": (
        ("http://ok.com/ 10.0.0.1/-", (SG_BH, SK_ALLOW)),
        ("http:///x" + TAIL, (SG_BH, SK_UNPARSABLE)),
    ),
    "channel-id-understood": (
        ("0 http://example.com/" + TAIL, (SG_ALLOW, "0 " + SK_BLOCK)),
        ("http://example.com/" + TAIL, A2B),
    ),
    "unparsable-request-blocked": (
        ("http://example.com:abc/", (SG_ALLOW, SK_UNPARSABLE)),
        ("http://example.com:80/", A2B),
    ),
    "userinfo-last-at": (("http://a@b@example.com/", A2B), ("http://ok.com@example.com/", A2B)),
    "query-or-fragment-ends-host": (("http://example.com?x=1", A2B), ("http://example.com/?x=1", A2B)),
    "backslash-as-slash": (("http://example.com\\x", A2B), ("http://example.com/x?y=\\", A2B)),
    "trailing-dot-before-port": (("http://example.com.:80/", A2B), ("http://example.com:80/", A2B)),
    "trailing-dot-at-end": (("http://example.com.", A2B), ("http://example.com./", A2B)),
    "ipv6-literal": (("http://[::ffff:10.1.2.3]/", A2B), ("http://[2001:db8::1]/", A2B)),
    "numeric-ipv4-form": (("http://167838211/", A2B), ("http://10.1.2.3/", A2B)),
    "percent-nul-not-truncating": (("http://ok.com/%00/banner/", A2B), ("http://ok.com/%01/banner/", A2B)),
    "dot-segments-resolved": (("http://pathsite.com/./blocked", A2B), ("http://pathsite.com/blocked", A2B)),
    "dot-before-slash-deleted": (
        ("http://ok.com/google./search?q=cache", A2B),
        ("http://ok.com/google/search?q=cache", A2B),
    ),
    "invalid-percent-escape": (("http://ok.com/x%/banner/", A2B), ("http://ok.com/x%41/banner/", A2B)),
    "fragment-not-matched": (("http://ok.com/x#/banner/", B2A), ("http://ok.com/x/banner/#y", B2A)),
    "percent-encoded-list-entry": (("http://site2.com/path", A2B), ("http://site2.com/pbth", A2B)),
    "fragment-in-list-entry": (("http://frag.com/page", A2B), ("http://frag.com/page#top", A2B)),
    "slash-or-dot-in-list-entry": (("http://dslash.com/x", A2B), ("http://dslash.com/y", A2B)),
    "url-entry-without-path": (("http://noslash.community/", B2A), ("http://noslash.com/", B2A)),
    "www-url-entry-with-port": (("http://www.wwwsite.com:81/x", A2B), ("http://www.wwwsite.com/x", A2B)),
    "quirk-a-forward-prefix": (("http://solo.orgg/", B2A), ("http://solo.or/", B2A)),
    "quirk-b-listed-parent-and-child": (("http://a.foo.com/", A2B), ("http://x.sub.bar.net/", A2B)),
    "quirk-c-neighbouring-url-entries": (("http://nbr.com/a/bbb", A2B), ("http://nbr.com/a/zzzz", A2B)),
    "squidguard-overlapping-strncpy": (
        ("http://pathsite.com//blocked", A2B),
        ("http://pathsite.com/blocked", A2B),
    ),
}


def test_every_class_has_examples() -> None:
    assert sorted(EXAMPLES) == sorted(c.name for c in d.CLASSES)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_positive(name: str) -> None:
    (request, answers), _ = EXAMPLES[name]
    c = make(request, answers)
    assert predicate_of(name)(c, LISTS), request
    assert d.classify_case(c, LISTS) == name


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_negative(name: str) -> None:
    _, (request, answers) = EXAMPLES[name]
    assert not predicate_of(name)(make(request, answers), LISTS), request


def test_reverse_percent_encoded_entry() -> None:
    """squidGuard matches the raw entry "p%41th" against a request escaped twice; Schoolgate does not."""
    c = make("http://site2.com/p%2541th", B2A)
    assert d.classify_case(c, LISTS) == "percent-encoded-list-entry"


def test_unexplained_when_schoolgate_contradicts_its_lists() -> None:
    c = make("http://unlisted.org/", A2B)
    assert d.classify_case(c, LISTS) == d.UNEXPLAINED
    assert "differs from its lists" in c.note


def test_unexplained_when_no_class_fits() -> None:
    # squidGuard blocking an unlisted host with no listed name in front of it fits nothing.
    c = make("http://unlisted.org/", B2A)
    assert d.classify_case(c, LISTS) == d.UNEXPLAINED
    assert c.note == ""


# --- squidGuard's reading of a request (SEMANTICS.md §2) ---


def test_derived_strings() -> None:
    view = d.SgView.of("http://user@www.Example.com:8080//a./b?q=1" + TAIL)
    assert view.domain == "www.example.com"
    assert view.stripped == "example.com/a/b?q=1"
    assert view.full == "www.example.com:8080/a/b?q=1"
    assert view.port_given and not view.bh


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("http://ex%61mple.com/", "example.com"),
        ("http://example%2ecom/", "example.com"),
        ("http://example.com%00.ok.com/", "example.com"),
        ("http://EXAMPLE.COM/", "example.com"),
        ("http://ok.com@example.com/", "example.com"),
        ("http://a@b@example.com/", "b@example.com"),
        ("http://example.com./", "example.com"),
        ("http://example.com.:80/", "example.com."),
        ("http://example.com?x=1", "example.com?x=1"),
        ("http://[2001:db8::1]/", "[2001"),
        ("example.com:443", "example.com"),
    ],
)
def test_sg_domain(url: str, domain: str) -> None:
    assert d.SgView.of(url + TAIL).domain == domain


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("%2541", "%41"),
        ("a%20b", "a%20b"),
        ("%41%42", "AB"),
        ("%", "%"),
        ("x%zz", "x" + chr((35 * 16 + 35) & 255)),
    ],
)
def test_sg_unescape(text: str, decoded: str) -> None:
    assert d.sg_unescape(text) == decoded


@pytest.mark.parametrize(
    ("rest", "normalised"),
    [
        ("a.com//b", "a.com/b"),
        ("a.com///b", "a.com/b"),
        ("a.com/./b", "a.com//b"),
        ("a.com./b./c", "a.com/b./c"),
        ("a.com/?q=//x./", "a.com/?q=//x./"),
        ("a.com/go/http://b.com//x", "a.com/go/http://b.com/x"),
    ],
)
def test_sg_normalise(rest: str, normalised: str) -> None:
    assert d.sg_normalise(rest) == normalised


def test_bh_lines() -> None:
    assert d.SgView.of("http://ok.com/ 10.0.0.1/-").bh
    assert d.SgView.of("http:///x" + TAIL).bh
    assert not d.SgView.of("http://ok.com/\t10.0.0.1/-\t-\tGET").bh


def test_sg_url_key() -> None:
    assert d.sg_url_key("portsite.com:8080/p") == "portsite.com/p"
    assert d.sg_url_key("user@site.com/p") == "site.com/p"
    assert d.sg_url_key(".dot.com:1/p") == ".dot.com:1/p"


def test_sg_url_lookup_quirk_c() -> None:
    keys = sorted(["nbr.com/a", "nbr.com/a/zzz", "nbr.com/errors", "nbr.com/errors/605.html"])
    assert d.sg_url_lookup(keys, "nbr.com/a")
    assert d.sg_url_lookup(keys, "nbr.com/a/zzzz")
    assert not d.sg_url_lookup(keys, "nbr.com/a/bbb")
    assert not d.sg_url_lookup(keys, "nbr.com/ab")
    assert not d.sg_url_lookup(keys, "nbr.com/errors/")
    assert not d.sg_url_lookup(keys, "nbr.com/errors/7")
    assert d.sg_url_lookup(["pathsite.com/blocked"], "pathsite.com/blockedxyz")


@pytest.mark.parametrize(
    ("answer", "decision"),
    [
        ("ERR", "ALLOW"),
        ("", "ALLOW"),
        ("OK", "ALLOW"),
        (SG_BLOCK, "BLOCK"),
        (SK_BLOCK, "BLOCK"),
        ("http://127.0.0.1/x", "BLOCK"),
        (SG_BH, "ERROR"),
        ("0 " + SK_BLOCK, "ERROR"),
    ],
)
def test_decision_of(answer: str, decision: str) -> None:
    assert d.decision_of(answer) == decision


@pytest.mark.parametrize(
    ("url", "defect"),
    [
        ("http://a.com:abc/", "bad-port"),
        ("http://a.com:70000/", "bad-port"),
        ("http:///x", "empty-host"),
        ("http://1.2.3.1393/", "invalid-ipv4"),
        ("http://login.1.2.3.4/", "invalid-ipv4"),
        ("http://[fe80::1%25eth0]/", "ipv6-zone-id"),
        ("http://a%zz.com/", "bad-percent-escape-in-host"),
        ("http://a!b.com/", "invalid-host-character"),
        ("http://" + "a" * 64 + ".com/", "host-too-long"),
        ("a.com/x", "no-scheme-but-path"),
        ("http://a.com/ok", None),
        ("a.com:443", None),
        ("http://1.2.3.4/", None),
        ("http://0x7f.1/", None),
        ("http://167838211/", None),
        ("http://4294967296/", "invalid-ipv4"),
        ("http://bücher.example/", None),
    ],
)
def test_url_defect(url: str, defect: str | None) -> None:
    assert d.url_defect(url) == defect
