#!/usr/bin/env python3
"""Explain every line where Schoolgate and squidGuard 1.6 decide differently.

    differences.py CORPUS SQUIDGUARD_OUT SCHOOLGATE_OUT [--unstable FILE] [--lists DIR]
                   [--categories a,b,...] [--json FILE] [--show N] [--list-all] [--check-all]

Every corpus line whose decisions differ (BLOCK / ALLOW / ERROR, read from the answers as
`compare_decisions.classify` does) is put in exactly one documented class of deliberate difference,
by a specific predicate on the request and, where the mechanism depends on them, on the lists. A
line that fits no class is UNEXPLAINED (the target is 0) and is printed with its request and both
answers. Where a line fits several classes, the first in this order wins (CLASSES below):

    fewer-than-four-fields, channel-id-understood, unparsable-request-blocked, userinfo-last-at,
    query-or-fragment-ends-host, backslash-as-slash, trailing-dot-before-port, trailing-dot-at-end,
    ipv6-literal, numeric-ipv4-form, percent-nul-not-truncating, dot-segments-resolved,
    dot-before-slash-deleted, invalid-percent-escape, fragment-not-matched,
    percent-encoded-list-entry, fragment-in-list-entry, slash-or-dot-in-list-entry,
    url-entry-without-path, www-url-entry-with-port, quirk-a-forward-prefix,
    quirk-b-listed-parent-and-child, quirk-c-neighbouring-url-entries, squidguard-overlapping-strncpy

What squidGuard does, what Schoolgate does and why, per class: docs/squidguard-differences.md.

Two views of each request are computed here, from scratch, and compared with the answers:

- squidGuard's, by `SgView` (the `parseLine` rules of shared/bench/squidguard/SEMANTICS.md §2:
  one-pass percent-decoding with `%00` truncating, ASCII lowercasing, `//` collapsing and the
  first `./` deletion before `?`, host after the first `@`, ending at the first `:` or `/`),
  matched against the raw list keys the way squidGuard stores them (SEMANTICS §3-4);
- Schoolgate's, by `schoolgate.engine.urls.parse_url` and the lists read by Schoolgate's own
  readers (`parse_domains`, `url_key`, `compile_expression`), matched with the documented
  semantics (host or parent at label boundaries; URL key a character prefix of
  `strip_www(host)+target` or `host+target`; expressions searched in `host[:port]+target`).

If Schoolgate's answer is not what its own lists say under those semantics, the line is UNEXPLAINED
with the note "Schoolgate answer differs from its lists" (an engine bug, not a deliberate
difference). `--check-all` makes the same check on the lines where both helpers agree.

The lists default to ../shared/data/ut1 and the categories to the set squidGuard's
`gen_conf.py --list` blocks (the benchmark configuration). `--list-all` prints every differing line
with its class. Exit status: 0 when every difference is explained (and, with --check-all, every
answer is what Schoolgate's lists say), 1 otherwise.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from schoolgate.engine.lists import compile_expression, parse_domains, translate_posix_ere, url_key
from schoolgate.engine.urls import Url, parse_url, strip_www
from schoolgate.gateways.squid.protocol import HelperLine, parse_line

# The benches are scripts side by side: their shared pieces are imported from this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sg_policy import yardstick_categories

__all__ = [
    "CLASSES",
    "Case",
    "DiffClass",
    "Lists",
    "SgView",
    "classify_case",
    "decision_of",
    "make_case",
    "url_defect",
]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LISTS = ROOT.parent / "shared" / "data" / "ut1"

BLOCK, ALLOW, ERROR = "BLOCK", "ALLOW", "ERROR"
UNEXPLAINED = "UNEXPLAINED"

# --- answers -----------------------------------------------------------------------------------------

_KV_RE = re.compile(r'([A-Za-z_-]+)=("(?:[^"\\]|\\.)*"|\S*)')
_OLD_STYLE_RE = re.compile(r"^(\d{3}:)?[a-zA-Z][a-zA-Z0-9+.-]*://|^\d{3}:")


def decision_of(answer: str) -> str:
    """BLOCK, ALLOW or ERROR for one helper answer: the rules of compare_decisions.classify."""
    text = answer.rstrip("\r\n").strip()
    if not text:
        return ALLOW
    word, _, rest = text.partition(" ")
    if word == "ERR":
        return ALLOW
    if word == "OK":
        keys = {k.lower() for k, _ in _KV_RE.findall(rest)}
        return BLOCK if keys & {"rewrite-url", "url", "status"} else ALLOW
    if word == "BH":
        return ERROR
    return BLOCK if _OLD_STYLE_RE.match(word) else ERROR


def schoolgate_reason(answer: str) -> tuple[str | None, str | None]:
    """(reason, category) from the block-page URL of a Schoolgate answer, if it has them."""
    for key, value in _KV_RE.findall(answer):
        if key.lower() in ("url", "rewrite-url"):
            query = parse_qs(urlsplit(value.strip('"')).query)
            reason = query.get("reason", [None])[0]
            category = query.get("category", [None])[0]
            return reason, category
    return None, None


# --- squidGuard's view of a request --------------------------------------------------------------------

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WWW_PREFIXES = ("www", "web", "ftp")
_SG_SPACE_RE = re.compile(r"[ \t\n]+")


def _hex_value(ch: str) -> int:
    """libwww's HTAsciiHexToChar: no validation, so "%zz" gives a garbage byte."""
    c = ord(ch)
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x41 <= c <= 0x46:
        return c - 0x41 + 10
    return c - 0x61 + 10


def sg_unescape(text: str) -> str:
    """squidGuard's HTUnEscape on a latin-1 string: every "%XY" but "%20" decoded, invalid or not."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if text[i + 1 : i + 3] == "20":
            out.append("%")
            i += 1
            continue
        i += 1
        if i >= n:
            out.append("%")  # "%" at the very end: the byte is left as it was
            break
        value = _hex_value(text[i]) * 16
        i += 1
        if i < n:
            value += _hex_value(text[i])
            i += 1
        out.append(chr(value & 0xFF))
    return "".join(out)


def sg_normalise(rest: str) -> str:
    """The slash and dot edits squidGuard makes after "://", up to the first "?" (SEMANTICS §2.4).

    The deterministic reading of the code: "://" inside is skipped, "//" loses a slash (repeatedly),
    and the first "." directly followed by "/" is deleted, once.
    """
    chars = list(rest)
    size = len(chars)
    ndx = 0
    dot_done = False
    while ndx < len(chars) and chars[ndx] != "?":
        if (
            size - ndx >= 3
            and chars[ndx] == ":"
            and chars[ndx + 1 : ndx + 3] == ["/", "/"]
            and ndx + 3 < len(chars)
        ):
            ndx += 3
        nxt = chars[ndx + 1] if ndx + 1 < len(chars) else ""
        cur = chars[ndx] if ndx < len(chars) else ""
        if cur == "/" and nxt == "/":
            del chars[ndx]
        elif cur == "." and nxt == "/" and not dot_done:
            dot_done = True
            del chars[ndx]
        else:
            ndx += 1
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class SgView:
    """What squidGuard 1.6 matches a request line against (all strings are latin-1 decoded bytes)."""

    fields: int  # fields of the line (split on spaces and tabs)
    raw_url: str  # the first field as sent
    url: str  # decoded, truncated at NUL, lowercased
    has_scheme: bool
    after_scheme: str  # the URL after "://" and the slash/dot edits (the whole URL without "://")
    domain: str  # the host squidGuard looks up in domain lists
    port_given: bool  # a ":" ended the host
    stripped: str  # www/web/ftp-stripped host + path + query (no port)
    full: str  # host[:port] + path + query (no userinfo)

    @property
    def bh(self) -> bool:
        """squidGuard answers BH: no URL, no method, or an empty host."""
        return self.fields < 4 or not self.domain

    @classmethod
    def of(cls, line: str) -> SgView:
        fields = [f for f in _SG_SPACE_RE.split(line) if f]
        raw = fields[0] if fields else ""
        url = sg_unescape(raw).split("\x00", 1)[0].translate(_ASCII_LOWER)
        at = url.find("://")
        has_scheme = at != -1
        rest = sg_normalise(url[at + 3 :]) if has_scheme else url
        slash = rest.find("/")
        start = 0
        at_sign = rest.find("@")
        if at_sign != -1 and (slash == -1 or at_sign < slash):
            start = at_sign + 1
        end = slash
        colon = rest.find(":", start)
        port_given = colon != -1 and (slash == -1 or colon < slash)
        if port_given:
            end = colon
        full = rest[start:]
        stripped_start = start
        if rest[start : start + 3] in _WWW_PREFIXES:
            q = start + 3
            while q < len(rest) and "0" <= rest[q] <= "9":
                q += 1
            if q < len(rest) and rest[q] == ".":
                stripped_start = q + 1
        if end == -1:
            domain = rest[start:]
            stripped = rest[stripped_start:]
        else:
            domain = rest[start:end]
            stripped = rest[stripped_start:end]
        if slash != -1:
            stripped += rest[slash:]
        return cls(len(fields), raw, url, has_scheme, rest, domain, port_given, stripped, full)


def sg_url_key(token: str) -> str:
    """The key squidGuard stores for a URL-list entry (sgStripUrl): no userinfo, no port."""
    if token.startswith("."):
        return token
    slash = token.find("/")
    start = 0
    at_sign = token.find("@")
    if at_sign != -1 and (slash == -1 or at_sign < slash):
        start = at_sign + 1
    end = slash
    colon = token.find(":", start)
    if colon != -1 and (slash == -1 or colon < slash):
        end = colon
    key = token[start:] if end == -1 else token[start:end]
    if slash != -1:
        key += token[slash:]
    return key


def sg_url_lookup(keys: Sequence[str], s: str) -> bool:
    """squidGuard's `defined()` on a URL list (plain byte order B-tree), Quirk C included."""
    if not keys:
        return False
    i = bisect.bisect_left(keys, s)
    if i < len(keys):
        c = keys[i]
        if c == s:
            return True
        if i == 0:
            return False
        p = keys[i - 1]
        return s.startswith(p) and not c.startswith(p)
    return s.startswith(keys[-1])


# --- the lists, both ways ------------------------------------------------------------------------------


def _sg_tokens(data: bytes) -> Iterator[str]:
    """First tokens of a list file as squidGuard reads them: latin-1, lowercased, +/- dropped."""
    for raw in data.decode("latin-1").split("\n"):
        if raw.startswith("#"):
            continue
        line = raw[:-1] if raw.endswith("\r") else raw
        if line[:1] in ("+", "-"):
            line = line[1:]
        words = [w for w in _SG_SPACE_RE.split(line) if w]  # strtok(" \t\n"), not Unicode spaces
        if words:
            yield words[0].translate(_ASCII_LOWER)


def _sk_lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "surrogateescape").splitlines()


@dataclass(slots=True)
class Lists:
    """The blocked categories' entries as squidGuard stores them and as Schoolgate reads them."""

    categories: list[str]
    # squidGuard: ".domain" keys and URL keys (sgStripUrl), lowercased bytes as latin-1 text
    sg_domains: dict[str, set[str]] = field(default_factory=dict)  # key -> categories
    sg_urls: dict[str, set[str]] = field(default_factory=dict)  # key -> categories
    sg_url_sorted: dict[str, list[str]] = field(default_factory=dict)  # category -> sorted keys
    # Schoolgate: canonical entries
    sk_domains: dict[str, set[str]] = field(default_factory=dict)  # host -> categories
    sk_urls: dict[str, set[str]] = field(default_factory=dict)  # url_key -> categories
    sk_url_raw: dict[str, set[str]] = field(default_factory=dict)  # url_key -> raw entries, ASCII-lowered
    expressions: list[tuple[str, str, Any, re.Pattern[str] | None]] = field(default_factory=list)
    sg_domains_by_category: dict[str, set[str]] = field(default_factory=dict)  # category -> hosts

    @classmethod
    def from_texts(
        cls,
        domains: dict[str, str] | None = None,
        urls: dict[str, str] | None = None,
        expressions: dict[str, str] | None = None,
    ) -> Lists:
        """Lists from file contents per category (for tests and small experiments)."""
        files: dict[str, dict[str, bytes]] = {}
        for kind, texts in (("domains", domains), ("urls", urls), ("expressions", expressions)):
            for category, text in (texts or {}).items():
                files.setdefault(category, {})[kind] = text.encode("utf-8")
        lists = cls(sorted(files))
        for category in lists.categories:
            lists._add(category, files[category])
        lists._finish()
        return lists

    @classmethod
    def from_directory(cls, root: Path, categories: Sequence[str]) -> Lists:
        lists = cls(list(categories))
        for category in categories:
            files = {}
            for kind in ("domains", "urls", "expressions"):
                path = root / category / kind
                if path.is_file():
                    files[kind] = path.read_bytes()
            lists._add(category, files)
        lists._finish()
        return lists

    def _add(self, category: str, files: dict[str, bytes]) -> None:
        if "domains" in files:
            data = files["domains"]
            hosts = self.sg_domains_by_category.setdefault(category, set())
            for token in _sg_tokens(data):
                self.sg_domains.setdefault("." + token, set()).add(category)
                hosts.add(token)
            for host in parse_domains(_sk_lines(data), f"{category}/domains").entries:
                self.sk_domains.setdefault(host, set()).add(category)
        if "urls" in files:
            data = files["urls"]
            keys = set()
            for token in _sg_tokens(data):
                key = sg_url_key(token)
                keys.add(key)
                self.sg_urls.setdefault(key, set()).add(category)
            self.sg_url_sorted[category] = sorted(keys)
            for line in _sk_lines(data):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                word = text.split(None, 1)[0]
                canonical = url_key(word)
                if canonical is not None:
                    self.sk_urls.setdefault(canonical, set()).add(category)
                    self.sk_url_raw.setdefault(canonical, set()).add(word.translate(_ASCII_LOWER))
        if "expressions" in files:
            for line in files["expressions"].decode("utf-8", "surrogateescape").split("\n"):
                pattern = line.rstrip("\r")
                if not pattern.strip():
                    continue
                try:
                    posix = re.compile(translate_posix_ere(pattern), re.IGNORECASE)
                except re.error:
                    posix = None
                self.expressions.append((category, pattern, compile_expression(pattern), posix))

    def _finish(self) -> None:
        self.categories = sorted(set(self.categories))

    # -- squidGuard, the intended semantics on its own strings (no B-tree quirks) --

    def sg_domain_parents(self, domain: str) -> list[str]:
        """Raw domain entries that are `domain` or a parent of it at a label boundary."""
        q = "." + domain
        return [q[i + 1 :] for i in range(len(q)) if q[i] == "." and q[i:] in self.sg_domains]

    def sg_domain_forward_prefixes(self, domain: str) -> list[str]:
        """Raw domain entries e whose key ".e" is a character prefix of ".domain" (Quirk A's test)."""
        q = "." + domain
        return [q[1:i] for i in range(2, len(q)) if q[i] != "." and q[:i] in self.sg_domains]

    def sg_url_prefixes(self, s: str) -> list[str]:
        """Raw URL keys that are character prefixes of `s`."""
        return [s[:i] for i in range(1, len(s) + 1) if s[:i] in self.sg_urls]

    def sg_expressions(self, s: str) -> list[str]:
        return [p for _, p, _, posix in self.expressions if posix is not None and posix.search(s)]

    # -- Schoolgate, its documented semantics --

    def sk_domain_hits(self, host: str) -> list[str]:
        labels = host.split(".")
        return [".".join(labels[i:]) for i in range(len(labels)) if ".".join(labels[i:]) in self.sk_domains]

    def sk_url_hits(self, keys: Iterable[str]) -> list[str]:
        found: list[str] = []
        for key in keys:
            found += [key[:i] for i in range(1, len(key) + 1) if key[:i] in self.sk_urls]
        return found

    def sk_expression_hits(self, text: str) -> list[str]:
        hits = []
        for _, pattern, compiled, _ in self.expressions:
            try:
                if compiled.search(text):
                    hits.append(pattern)
            except UnicodeEncodeError:
                if compiled.search(re.sub("[\ud800-\udfff]", "\ufffd", text)):
                    hits.append(pattern)
        return hits


# --- Schoolgate's view of a request --------------------------------------------------------------------


def sk_keys(url: Url) -> tuple[list[str], str]:
    """The URL-list keys and the expression text of decide.lookup."""
    host = url.host
    target = url.target.lower()
    if target:
        keys = [strip_www(host) + target]
        if keys[0] != host + target:
            keys.append(host + target)
    else:
        keys = [host + "/"]
    full = host + target if url.port is None else f"{host}:{url.port}{target}"
    return keys, full


_SPECIAL_SCHEMES = ("http", "https", "ftp", "ws", "wss")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_BAD_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST_CHARS_RE = re.compile(r"[A-Za-z0-9._-]*")
_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
_DOT_SEGMENT_RE = re.compile(r"/\.\.?(?:/|$)")
_WWW_LABEL_RE = re.compile(r"(?:www|web|ftp)[0-9]*\.")


def sk_authority(url: str) -> tuple[str | None, str, str]:
    """(scheme or None, authority, rest) of a request URL as the WHATWG rules split it."""
    text = url.strip("".join(map(chr, range(0x21))) + "\x7f")
    m = _SCHEME_RE.match(text)
    if m is not None:
        scheme = m.group(1).lower()
        rest = text[m.end() :]
        if scheme in _SPECIAL_SCHEMES:
            cut = min([i for i in (rest.find("?"), rest.find("#")) if i != -1] or [len(rest)])
            rest = rest[:cut].replace("\\", "/") + rest[cut:]
        if rest.startswith("//"):
            rest = rest[2:]
            end = min([i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i != -1] or [len(rest)])
            return scheme, rest[:end], rest[end:]
    return None, text, ""


def _split_port(hostport: str) -> tuple[str, str | None]:
    colon = hostport.rfind(":")
    if colon == -1 or "]" in hostport[colon:]:
        return hostport, None
    return hostport[:colon], hostport[colon + 1 :]


def _ipv4_number(part: str) -> int | None:
    """One WHATWG IPv4 number (decimal, 0x hex, 0 octal), or None."""
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0 if base != 10 else None
    try:
        return int(digits, base)
    except ValueError:
        return None


def valid_ipv4(host: str) -> bool:
    """The WHATWG IPv4 parser accepts `host` (a host whose last label is a number)."""
    parts = host.split(".")
    if len(parts) > 4:
        return False
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return False
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]):
        return False
    limit: int = 256 ** (5 - len(values))
    return values[-1] < limit


def url_defect(url: str) -> str | None:
    """Why a URL cannot be a valid request URL, checked independently of Schoolgate's parser.

    Returns a short name ("bad-port", "invalid-ipv4", ...) or None when no defect is found (then a
    parse failure in Schoolgate would be a bug).
    """
    if "\x00" in url:
        return "nul-byte"
    if not url.strip():
        return "empty"
    scheme, authority, _ = sk_authority(url)
    if scheme is None and "/" in authority:
        return "no-scheme-but-path"
    hostport = authority[authority.rfind("@") + 1 :]
    if scheme is None and "@" in authority:
        return "userinfo-in-connect-target"
    host, port = _split_port(hostport)
    if port is not None and port and not (port.isascii() and port.isdigit() and int(port) <= 65535):
        return "bad-port"
    if not host:
        return "empty-host"
    if host.startswith("["):
        if "%" in host:
            return "ipv6-zone-id"
        return "invalid-ipv6"
    if "%" in host:
        if _BAD_ESCAPE_RE.search(host):
            return "bad-percent-escape-in-host"
        try:
            host = unquote(host, errors="strict")
        except UnicodeDecodeError:
            return "non-utf8-host"
    if host.isascii():
        bare = host.lower().rstrip(".")
        if not bare or _HOST_CHARS_RE.fullmatch(bare) is None:
            return "invalid-host-character"
        labels = bare.split(".")
        if _NUMERIC_LABEL_RE.fullmatch(labels[-1]):
            return None if valid_ipv4(bare) else "invalid-ipv4"
        if any(not label for label in labels):
            return "empty-label"
        if any(len(label) > 63 for label in labels) or len(bare) > 253:
            return "host-too-long"
    else:
        try:
            host.rstrip(".").encode("idna")
        except UnicodeError:
            return "invalid-idn"
    return None


# --- one differing line --------------------------------------------------------------------------------


@dataclass(slots=True)
class Case:
    """A corpus line on which the two helpers disagree, with both views of the request."""

    lineno: int
    line: str  # the corpus line, UTF-8 with surrogateescape (as Schoolgate reads it)
    sg_answer: str
    sk_answer: str
    sg: str  # squidGuard's decision
    sk: str  # Schoolgate's decision
    view: SgView
    helper: HelperLine
    url: Url | None
    reason: str | None  # Schoolgate's reason (block-page URL), if it blocked
    category: str | None
    sk_keys: list[str]
    sk_full: str
    sk_domain: list[str]  # Schoolgate-model hits
    sk_url: list[str]
    sk_expr: list[str]
    sg_domain: list[str]  # squidGuard hits with the intended (quirk-free) lookups on its strings
    sg_url: list[str]
    sg_expr: list[str]
    note: str = ""

    @property
    def sk_model(self) -> str:
        if self.url is None:
            return BLOCK
        return BLOCK if (self.sk_domain or self.sk_url or self.sk_expr) else ALLOW

    @property
    def sg_ideal(self) -> bool:
        return bool(self.sg_domain or self.sg_url or self.sg_expr)

    def flipped(self, sg: str, sk: str) -> bool:
        return self.sg == sg and self.sk == sk


def make_case(lineno: int, line: str, sg_answer: str, sk_answer: str, lists: Lists) -> Case:
    """Build the Case of one corpus line (`line` without its newline)."""
    raw = line.encode("utf-8", "surrogateescape").decode("latin-1")
    view = SgView.of(raw)
    helper = parse_line(line)
    request_url = "" if "\x00" in helper.url else helper.url
    url = parse_url(request_url)
    reason, category = schoolgate_reason(sk_answer)
    keys: list[str] = []
    full = ""
    sk_domain: list[str] = []
    sk_url: list[str] = []
    sk_expr: list[str] = []
    if url is not None:
        keys, full = sk_keys(url)
        sk_domain = lists.sk_domain_hits(url.host)
        sk_url = lists.sk_url_hits(keys)
        sk_expr = lists.sk_expression_hits(full)
    sg_domain: list[str] = []
    sg_url: list[str] = []
    sg_expr: list[str] = []
    if not view.bh:
        sg_domain = lists.sg_domain_parents(view.domain)
        sg_url = lists.sg_url_prefixes(view.stripped) + lists.sg_url_prefixes(view.full)
        sg_expr = lists.sg_expressions(view.full)
    return Case(
        lineno,
        line,
        sg_answer,
        sk_answer,
        decision_of(sg_answer),
        decision_of(sk_answer),
        view,
        helper,
        url,
        reason,
        category,
        keys,
        full,
        sk_domain,
        sk_url,
        sk_expr,
        sg_domain,
        sg_url,
        sg_expr,
    )


# --- the classes ---------------------------------------------------------------------------------------
#
# Each predicate has two parts: the *shape* of the request (or of the list entry) that makes the two
# filters see different things, and the *mechanism*: the decisions each side takes on its own view.
# `_views_explain` says that both answers are what each filter's documented matching gives on its own
# reading of the request (Schoolgate's lists say what Schoolgate answered, squidGuard's raw keys say what
# squidGuard answered, without B-tree quirks), so the difference is in how the request was read.


@dataclass(frozen=True, slots=True)
class DiffClass:
    name: str
    summary: str
    test: Callable[[Case, Lists], bool]


def _views_explain(case: Case) -> bool:
    """Each side decided as its own lists say on its own reading of the request (no lookup quirk)."""
    if case.flipped(ALLOW, BLOCK):
        return case.sk_model == BLOCK and not case.sg_ideal
    if case.flipped(BLOCK, ALLOW):
        return case.sk_model == ALLOW and case.sg_ideal
    return False


def _fewer_than_four_fields(case: Case, lists: Lists) -> bool:
    return case.sg == ERROR and case.view.fields < 4


def _channel_id(case: Case, lists: Lists) -> bool:
    return case.helper.channel is not None


def _unparsable(case: Case, lists: Lists) -> bool:
    if case.url is not None or case.sk != BLOCK:
        return False
    defect = url_defect("" if "\x00" in case.helper.url else case.helper.url)
    if defect is None:
        return False
    case.note = defect
    return True


def _userinfo_last_at(case: Case, lists: Lists) -> bool:
    _, authority, _ = sk_authority(case.helper.url)
    return authority.count("@") >= 2 and _views_explain(case)


def _query_or_fragment_ends_host(case: Case, lists: Lists) -> bool:
    scheme, _, rest = sk_authority(case.helper.url)
    return (
        scheme is not None
        and rest[:1] in ("?", "#")
        and ("?" in case.view.domain or "#" in case.view.domain)
        and _views_explain(case)
    )


def _backslash(case: Case, lists: Lists) -> bool:
    m = _SCHEME_RE.match(case.helper.url)
    if m is None or m.group(1).lower() not in _SPECIAL_SCHEMES:
        return False
    head = re.split(r"[?#]", case.helper.url, maxsplit=1)[0]
    return "\\" in head and _views_explain(case)


def _trailing_dot_before_port(case: Case, lists: Lists) -> bool:
    return case.view.port_given and case.view.domain.endswith(".") and _views_explain(case)


def _trailing_dot_at_end(case: Case, lists: Lists) -> bool:
    view = case.view
    return (
        not view.port_given
        and "/" not in view.after_scheme
        and view.domain.endswith(".")
        and _views_explain(case)
    )


def _ipv6_literal(case: Case, lists: Lists) -> bool:
    _, authority, _ = sk_authority(case.helper.url)
    return authority[authority.rfind("@") + 1 :].startswith("[") and _views_explain(case)


def _numeric_ipv4(case: Case, lists: Lists) -> bool:
    return (
        case.url is not None
        and case.url.is_ip
        and not case.url.host.startswith("[")
        and case.view.domain.rstrip(".") != case.url.host
        and _views_explain(case)
    )


def _percent_nul(case: Case, lists: Lists) -> bool:
    return "%00" in case.helper.url and _views_explain(case)


def _path_of(url: str) -> str:
    _, _, rest = sk_authority(url)
    return re.split(r"[?#]", rest, maxsplit=1)[0]


def _dot_segments(case: Case, lists: Lists) -> bool:
    decoded = unquote(_path_of(case.helper.url), errors="surrogateescape")
    return bool(_DOT_SEGMENT_RE.search(decoded)) and _views_explain(case)


def _dot_before_slash(case: Case, lists: Lists) -> bool:
    """squidGuard deleted a "." that ends a name in the path ("google./search" -> "google/search")."""
    path = sg_unescape(_path_of(case.helper.url)).translate(_ASCII_LOWER)
    return bool(re.search(r"[^/.]\./", re.sub("/{2,}", "/", path))) and _views_explain(case)


def _invalid_escape(case: Case, lists: Lists) -> bool:
    return bool(_BAD_ESCAPE_RE.search(case.helper.url)) and _views_explain(case)


def _fragment(case: Case, lists: Lists) -> bool:
    """squidGuard matched a URL entry or expression only thanks to the '#fragment' it keeps."""
    if not case.flipped(BLOCK, ALLOW) or case.sg_domain or not _views_explain(case):
        return False
    cut = [s.split("#", 1)[0] for s in (case.view.stripped, case.view.full)]
    if cut == [case.view.stripped, case.view.full]:
        return False
    return not any(lists.sg_url_prefixes(s) or lists.sg_expressions(s) for s in cut)


_ESCAPED_ENTRY_RE = re.compile(r"%[0-9a-f]{2}")


def as_bytes_text(text: str) -> str:
    """A Schoolgate string in squidGuard's terms: its UTF-8 bytes, one character per byte."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def as_schoolgate_text(text: str) -> str:
    """A squidGuard string in Schoolgate's terms: UTF-8 decoded and lowercased (Unicode, not just ASCII)."""
    return text.encode("latin-1").decode("utf-8", "surrogateescape").lower()


def _only_entry_normalisation(case: Case, lists: Lists, test: Callable[[str], bool]) -> bool:
    """Schoolgate blocked only through URL entries that it canonicalised at load time, and each of them,
    canonical, is a prefix of squidGuard's own reading of the request: squidGuard would have matched the
    entry written canonically. `test` says which kind of canonicalisation (on the raw entry)."""
    if not case.flipped(ALLOW, BLOCK) or case.sg_ideal or case.sk_domain or case.sk_expr or not case.sk_url:
        return False
    strings = (as_schoolgate_text(case.view.stripped), as_schoolgate_text(case.view.full))
    for key in case.sk_url:
        raws = lists.sk_url_raw.get(key, set())
        if as_bytes_text(key) in {as_bytes_text(sg_url_key(r)) for r in raws}:
            return False  # written canonically already: not an entry difference
        if not any(s.startswith(key) for s in strings) or not any(test(raw) for raw in raws):
            return False
    return True


def _percent_entry(case: Case, lists: Lists) -> bool:
    if case.flipped(BLOCK, ALLOW):
        # squidGuard matched an entry with %XX literally against a request that was escaped twice
        # ("p%2541th" decodes once to "p%41th"); Schoolgate decoded the entry, so it does not match.
        return (
            _views_explain(case)
            and not case.sg_domain
            and not case.sg_expr
            and all(_ESCAPED_ENTRY_RE.search(k) for k in case.sg_url)
        )
    return _only_entry_normalisation(case, lists, lambda raw: bool(_ESCAPED_ENTRY_RE.search(raw)))


def _fragment_entry(case: Case, lists: Lists) -> bool:
    return _only_entry_normalisation(case, lists, lambda raw: "#" in raw)


def _slash_dot_entry(case: Case, lists: Lists) -> bool:
    def changed(raw: str) -> bool:
        path = raw[raw.find("/") :] if "/" in raw else ""
        return "//" in path or bool(_DOT_SEGMENT_RE.search(path))

    return _only_entry_normalisation(case, lists, changed)


def _url_entry_without_path(case: Case, lists: Lists) -> bool:
    if not case.flipped(BLOCK, ALLOW) or case.sg_domain or case.sg_expr or not case.sg_url:
        return False
    if case.sk_model != ALLOW:
        return False
    strings = (case.view.stripped, case.view.full)
    for key in case.sg_url:
        if "/" in key:
            return False
        if not any(s.startswith(key) and s[len(key) : len(key) + 1] not in ("", "/") for s in strings):
            return False
    return True


def _www_entry_with_port(case: Case, lists: Lists) -> bool:
    if not case.flipped(ALLOW, BLOCK) or not _views_explain(case) or case.sk_domain or case.sk_expr:
        return False
    if case.url is None or case.url.port is None:
        return False
    return bool(case.sk_url) and all(_WWW_LABEL_RE.match(k) for k in case.sk_url)


def _quirk_a(case: Case, lists: Lists) -> bool:
    if not case.flipped(BLOCK, ALLOW) or case.sg_ideal or case.sk_model != ALLOW:
        return False
    return bool(lists.sg_domain_forward_prefixes(case.view.domain))


def _quirk_b(case: Case, lists: Lists) -> bool:
    if not case.flipped(ALLOW, BLOCK) or not case.sg_domain or case.sk_model != BLOCK:
        return False
    for parent in case.sg_domain:
        for category in lists.sg_domains.get("." + parent, set()):
            hosts = lists.sg_domains_by_category.get(category, set())
            if any(h != parent and h.endswith("." + parent) for h in hosts):
                return True
    return False


def _sg_url_lookup_finds(case: Case, lists: Lists) -> bool:
    """squidGuard's own B-tree URL lookup, on its deterministic reading of the request, finds an entry."""
    categories = set().union(*(lists.sg_urls[k] for k in case.sg_url))
    for category in categories:
        keys = lists.sg_url_sorted[category]
        if sg_url_lookup(keys, case.view.stripped) or sg_url_lookup(keys, case.view.full):
            return True
    return False


def _quirk_c(case: Case, lists: Lists) -> bool:
    if not case.flipped(ALLOW, BLOCK) or not case.sg_url or case.sg_domain or case.sg_expr:
        return False
    return case.sk_model == BLOCK and not _sg_url_lookup_finds(case, lists)


def _overlapping_strncpy(case: Case, lists: Lists) -> bool:
    """squidGuard answered against its own rules on a URL that its slash/dot edit rewrites in place with
    an overlapping strncpy (SEMANTICS §7): the edit garbles the URL, stably for some lines."""
    if not case.view.has_scheme:
        return False
    zone = case.view.url[case.view.url.find("://") + 3 :].split("?", 1)[0]
    if "//" not in zone and "./" not in zone:
        return False
    if case.flipped(ALLOW, BLOCK):
        return (
            case.sk_model == BLOCK
            and bool(case.sg_url)
            and not case.sg_domain
            and not case.sg_expr
            and _sg_url_lookup_finds(case, lists)
        )
    if case.flipped(BLOCK, ALLOW):
        return (
            case.sk_model == ALLOW
            and not case.sg_ideal
            and not lists.sg_domain_forward_prefixes(case.view.domain)
        )
    return False


CLASSES: list[DiffClass] = [
    DiffClass(
        "fewer-than-four-fields",
        "the line has fewer than 4 fields: squidGuard answers BH, Schoolgate decides on the URL",
        _fewer_than_four_fields,
    ),
    DiffClass(
        "channel-id-understood",
        "a leading all-digit field is a concurrency channel-ID to Schoolgate, the URL to squidGuard",
        _channel_id,
    ),
    DiffClass(
        "unparsable-request-blocked",
        "Schoolgate cannot parse the URL (a checked defect: bad port, invalid IPv4, ...) and blocks it",
        _unparsable,
    ),
    DiffClass(
        "userinfo-last-at",
        "several '@' before the host: Schoolgate's host follows the last, squidGuard's the first",
        _userinfo_last_at,
    ),
    DiffClass(
        "query-or-fragment-ends-host",
        "'?' or '#' right after the host: Schoolgate ends the host there, squidGuard keeps it in the host",
        _query_or_fragment_ends_host,
    ),
    DiffClass(
        "backslash-as-slash",
        "'\\' in an http(s)/ftp URL: Schoolgate reads it as '/', squidGuard as part of the host or path",
        _backslash,
    ),
    DiffClass(
        "trailing-dot-before-port",
        "host ends with '.' before ':port': squidGuard keeps the dot and misses the listed host",
        _trailing_dot_before_port,
    ),
    DiffClass(
        "trailing-dot-at-end",
        "URL ends with the host and a '.': squidGuard keeps the dot and misses the listed host",
        _trailing_dot_at_end,
    ),
    DiffClass(
        "ipv6-literal",
        "bracketed IPv6 host: Schoolgate parses it, squidGuard's host is '[' up to the first ':'",
        _ipv6_literal,
    ),
    DiffClass(
        "numeric-ipv4-form",
        "IPv4 written in another form (decimal, hex, octal, leading zeros): Schoolgate canonicalises it",
        _numeric_ipv4,
    ),
    DiffClass(
        "percent-nul-not-truncating",
        "'%00' in the URL: squidGuard decodes it to NUL and truncates the URL there, Schoolgate does not",
        _percent_nul,
    ),
    DiffClass(
        "dot-segments-resolved",
        "'/./' or '/../' in the path: Schoolgate resolves them (RFC 3986), squidGuard does not",
        _dot_segments,
    ),
    DiffClass(
        "dot-before-slash-deleted",
        "squidGuard deletes the first '.' before a '/' anywhere in the path (google./search)",
        _dot_before_slash,
    ),
    DiffClass(
        "invalid-percent-escape",
        "'%' not followed by two hex digits: squidGuard decodes it to a garbage byte, Schoolgate keeps it",
        _invalid_escape,
    ),
    DiffClass(
        "fragment-not-matched",
        "squidGuard matches list entries against the '#fragment' too; Schoolgate drops it",
        _fragment,
    ),
    DiffClass(
        "percent-encoded-list-entry",
        "the URL entry has %XX escapes: Schoolgate decodes entries like requests, squidGuard does not",
        _percent_entry,
    ),
    DiffClass(
        "fragment-in-list-entry",
        "the URL entry has a '#fragment', which Schoolgate drops (browsers never send it)",
        _fragment_entry,
    ),
    DiffClass(
        "slash-or-dot-in-list-entry",
        "the URL entry has '//' or dot segments, which Schoolgate normalises like requests",
        _slash_dot_entry,
    ),
    DiffClass(
        "url-entry-without-path",
        "a URL entry without a path is a character prefix to squidGuard (noslash.com -> noslash.community)",
        _url_entry_without_path,
    ),
    DiffClass(
        "www-url-entry-with-port",
        "a URL entry starting with www. does not match a request with a port in squidGuard",
        _www_entry_with_port,
    ),
    DiffClass(
        "quirk-a-forward-prefix",
        "squidGuard's B-tree blocks a host that merely starts with a listed name (mobile.dekagalde.de)",
        _quirk_a,
    ),
    DiffClass(
        "quirk-b-listed-parent-and-child",
        "squidGuard misses subdomains of a listed domain when a child of it is listed too",
        _quirk_b,
    ),
    DiffClass(
        "quirk-c-neighbouring-url-entries",
        "squidGuard misses a URL entry that is a prefix of another entry of the same list",
        _quirk_c,
    ),
    DiffClass(
        "squidguard-overlapping-strncpy",
        "squidGuard's in-place '//' / './' edit (overlapping strncpy) garbled the URL against its own rules",
        _overlapping_strncpy,
    ),
]


def classify_case(case: Case, lists: Lists) -> str:
    """The first class whose predicate holds, else UNEXPLAINED (with case.note saying what is odd)."""
    if case.sk not in (ERROR, case.sk_model):
        case.note = f"Schoolgate answer differs from its lists (model says {case.sk_model})"
        return UNEXPLAINED
    for diff_class in CLASSES:
        case.note = ""
        if diff_class.test(case, lists):
            return diff_class.name
    case.note = ""
    return UNEXPLAINED


# --- the run -------------------------------------------------------------------------------------------


def schoolgate_model(line: str, lists: Lists) -> str:
    """What Schoolgate should answer to a corpus line under its documented semantics, from its lists."""
    helper = parse_line(line)
    url = parse_url("" if "\x00" in helper.url else helper.url)
    if url is None:
        return BLOCK
    keys, full = sk_keys(url)
    if lists.sk_domain_hits(url.host) or lists.sk_url_hits(keys) or lists.sk_expression_hits(full):
        return BLOCK
    return ALLOW


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + f"...(+{len(text) - width})"


def _answer(case_answer: str, decision: str, reason: str | None, category: str | None) -> str:
    if decision != BLOCK or (reason is None and category is None):
        return f"{decision} ({case_answer[:50]})" if case_answer else decision
    return f"BLOCK (reason={reason}" + (f", category={category})" if category else ")")


@dataclass(slots=True)
class Summary:
    total: int = 0
    compared: int = 0
    agree: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    kinds: dict[str, Counter[str]] = field(default_factory=dict)
    notes: dict[str, Counter[str]] = field(default_factory=dict)
    examples: dict[str, Case] = field(default_factory=dict)
    unexplained: list[Case] = field(default_factory=list)
    model_mismatches: list[tuple[int, str, str, str]] = field(default_factory=list)
    model_checked: int = 0


def run(
    corpus: Path,
    squidguard: Path,
    schoolgate: Path,
    lists: Lists,
    skip: set[int],
    *,
    check_all: bool = False,
    listing: Callable[[Case, str], None] | None = None,
) -> Summary:
    """Compare two answer files over a corpus and classify every difference."""
    summary = Summary()
    with (
        corpus.open("rb") as corpus_file,
        squidguard.open(encoding="latin-1", newline="\n") as sg_file,
        schoolgate.open(encoding="utf-8", errors="surrogateescape", newline="\n") as sk_file,
    ):
        for lineno, raw in enumerate(corpus_file, 1):
            summary.total += 1
            sg_answer = sg_file.readline()
            sk_answer = sk_file.readline()
            if lineno in skip:
                continue
            summary.compared += 1
            sg = decision_of(sg_answer) if sg_answer else "MISSING"
            sk = decision_of(sk_answer) if sk_answer else "MISSING"
            line = raw.rstrip(b"\n").decode("utf-8", "surrogateescape")
            if sg == sk:
                summary.agree += 1
                if check_all and sk != ERROR:
                    summary.model_checked += 1
                    model = schoolgate_model(line, lists)
                    if model != sk:
                        summary.model_mismatches.append((lineno, line, sk_answer.rstrip("\n"), model))
                continue
            case = make_case(lineno, line, sg_answer.rstrip("\n"), sk_answer.rstrip("\n"), lists)
            name = classify_case(case, lists)
            if check_all and case.sk != ERROR:
                summary.model_checked += 1
            summary.counts[name] += 1
            summary.kinds.setdefault(name, Counter())[f"{case.sg}->{case.sk}"] += 1
            if case.note:
                summary.notes.setdefault(name, Counter())[case.note] += 1
            if name == UNEXPLAINED:
                summary.unexplained.append(case)
            elif name not in summary.examples:
                summary.examples[name] = case
            if listing is not None:
                listing(case, name)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("squidguard", type=Path, help="squidGuard's answers (run_squidguard.sh)")
    parser.add_argument("schoolgate", type=Path, help="Schoolgate's answers (squid-helper)")
    parser.add_argument(
        "--unstable", type=Path, help="line numbers to skip (run_squidguard.sh's OUT.unstable)"
    )
    parser.add_argument("--lists", type=Path, default=DEFAULT_LISTS, help="UT1-format lists directory")
    parser.add_argument("--categories", help="comma-separated blocked categories (default: gen_conf.py's)")
    parser.add_argument("--json", type=Path, help="write the counts to this file")
    parser.add_argument("--show", type=int, default=30, help="UNEXPLAINED lines to print (default 30)")
    parser.add_argument("--width", type=int, default=200, help="truncate printed requests")
    parser.add_argument("--list-all", action="store_true", help="print every differing line and its class")
    parser.add_argument(
        "--check-all",
        action="store_true",
        help="also check Schoolgate's answer against its lists on the lines where both agree",
    )
    args = parser.parse_args(argv)

    categories = (
        [c for c in args.categories.split(",") if c] if args.categories else yardstick_categories(args.lists)
    )
    lists = Lists.from_directory(args.lists, categories)
    skip: set[int] = set()
    if args.unstable:
        skip = {int(x) for x in args.unstable.read_text().split()}

    def listing(case: Case, name: str) -> None:
        print(f"line {case.lineno:>7} {case.sg}->{case.sk} {name}: {_shorten(case.line, args.width)}")

    s = run(
        args.corpus,
        args.squidguard,
        args.schoolgate,
        lists,
        skip,
        check_all=args.check_all,
        listing=listing if args.list_all else None,
    )
    rate = s.agree / s.compared if s.compared else 1.0
    print(f"lines                : {s.total}")
    print(f"unstable skipped     : {s.total - s.compared}")
    print(f"lines compared       : {s.compared}")
    print(f"agreement            : {s.agree} ({rate * 100:.4f}%)")
    print(f"differences          : {s.compared - s.agree}")
    print("differences by class (first matching class, in documented order):")
    for diff_class in CLASSES:
        n = s.counts.get(diff_class.name, 0)
        if not n:
            continue
        flips = ", ".join(f"{k} {v}" for k, v in s.kinds[diff_class.name].most_common())
        print(f"  {diff_class.name:34s} {n:>7}   ({flips})")
        if diff_class.name in s.notes:
            print("      " + ", ".join(f"{k} {v}" for k, v in s.notes[diff_class.name].most_common()))
        ex = s.examples[diff_class.name]
        print(f"      e.g. line {ex.lineno}: {_shorten(ex.line, args.width)}")
        print(
            f"           squidGuard {_answer(ex.sg_answer, ex.sg, None, None)}, "
            f"Schoolgate {_answer(ex.sk_answer, ex.sk, ex.reason, ex.category)}"
        )
    print(f"UNEXPLAINED          : {s.counts.get(UNEXPLAINED, 0)}")
    for case in s.unexplained[: args.show]:
        print(f"  line {case.lineno} [{case.sg}->{case.sk}]" + (f" ({case.note})" if case.note else ""))
        print(f"    request   : {_shorten(case.line, args.width)}")
        print(f"    squidGuard: {case.sg_answer}")
        print(f"    Schoolgate: {_shorten(case.sk_answer, args.width)}")
    if args.check_all:
        print(
            f"Schoolgate vs its own lists, every line: {s.model_checked} checked, "
            f"{len(s.model_mismatches)} agreeing lines where Schoolgate's answer is not what its lists say"
        )
        for lineno, line, answer, model in s.model_mismatches[: args.show]:
            print(f"  line {lineno} (lists say {model}): {_shorten(line, args.width)}")
            print(f"    Schoolgate: {_shorten(answer, args.width)}")
    if args.json:
        result: dict[str, Any] = {
            "lines": s.total,
            "unstable_skipped": s.total - s.compared,
            "compared": s.compared,
            "agree": s.agree,
            "rate": rate,
            "differences": s.compared - s.agree,
            "classes": {c.name: s.counts.get(c.name, 0) for c in CLASSES},
            "kinds": {name: dict(k) for name, k in s.kinds.items()},
            "notes": {name: dict(n) for name, n in s.notes.items()},
            "unexplained": s.counts.get(UNEXPLAINED, 0),
            "unexplained_lines": [c.lineno for c in s.unexplained],
        }
        if args.check_all:
            result["model_checked"] = s.model_checked
            result["model_mismatch_lines"] = [m[0] for m in s.model_mismatches]
        args.json.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if not s.unexplained and not s.model_mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
