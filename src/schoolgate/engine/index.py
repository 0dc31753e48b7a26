"""The compiled category index: every list source in one buffer that helper processes share.

`build_index()` turns the entries of the list sources (`ut1/gambling`, `iwf`, ...) into bytes;
`Index.from_buffer()` opens those bytes without copying them, so a gateway memory-maps the file and
every helper process shares the same pages (start-up is a few milliseconds, whatever the size).

Layout (all integers little-endian; sections 8-byte aligned):

    b"SGIDX\\x00\\x00\\x02"   magic and format version 2
    u32                       length of the JSON header
    JSON header               sources, source sets, expressions, section offsets, statistics
    name trie                 marisa-trie of every domain and URL entry, keyed by the reversed host
    name sets                 u32 per trie key id: which set of sources lists that entry

Keys: a domain entry `example.com` is `moc.elpmaxe.`; a URL entry `example.com/a/b` is
`moc.elpmaxe./a/b`. A request for `http://www.example.com/a/b/c` is looked up as
`moc.elpmaxe.www./a/b/c` (and, for squidGuard's "www.-stripped" URL form, `moc.elpmaxe./a/b/c`): one
walk of the trie (`prefixes()`) finds every listed parent domain, at label boundaries because each
domain key ends with a dot, and every URL entry of that host that is a prefix of the request.

Why this structure (see docs/performance.md for the measurements): the marisa-trie answers that
question in one C call of about a microsecond, takes about 4 MB for the 690,000 entries of UT1, and is
used in place from the memory map, never unpacked. Expressions are few and live in the header; they
are compiled at load into one RE2 set.
"""

from __future__ import annotations

import json
import re
import struct
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import marisa_trie
import re2

from schoolgate.engine.lists import regex_options, translate_posix_ere

Buffer = bytes | bytearray | memoryview
_SURROGATES = re.compile("[\ud800-\udfff]")

__all__ = [
    "FORMAT_VERSION",
    "Hit",
    "Index",
    "IndexFileError",
    "SourceEntries",
    "build_index",
    "describe_key",
    "domain_key",
    "request_query",
    "url_entry_key",
]

MAGIC = b"SGIDX\x00\x00\x02"
FORMAT_VERSION = 2
_ALIGN = 8


class IndexFileError(ValueError):
    """The buffer is not a Schoolgate index of this version, or it is damaged."""


@dataclass(slots=True)
class SourceEntries:
    """The canonical entries of one list source, as the readers in `engine.lists` return them."""

    name: str
    domains: Sequence[str] = ()
    urls: Sequence[str] = ()
    expressions: Sequence[str] = ()
    info: dict[str, Any] = field(default_factory=dict)


class Hit(NamedTuple):
    """One list entry that matched a request: what kind of entry, its text, and its sources (a bit mask)."""

    kind: str  # "domain", "url" or "expression"
    entry: str
    sources: int


def _pad(buf: bytearray) -> None:
    buf.extend(b"\x00" * (-len(buf) % _ALIGN))


def build_index(
    sources: Sequence[SourceEntries],
    *,
    info: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """Compile the sources into index bytes. `progress` is called with the number of entries done."""
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError("source names must be unique")
    # A set id stands for (the sources that list a key, whether URL entries exist under that host).
    set_ids: dict[tuple[frozenset[int], bool], int] = {}

    def set_id(members: frozenset[int], has_urls: bool) -> int:
        found = set_ids.get((members, has_urls))
        if found is None:
            found = set_ids[members, has_urls] = len(set_ids)
        return found

    key_sources: dict[str, set[int]] = {}
    url_hosts: set[str] = set()
    done = 0
    for number, source in enumerate(sources):
        for host in source.domains:
            key_sources.setdefault(domain_key(host), set()).add(number)
        for entry in source.urls:
            key_sources.setdefault(url_entry_key(entry), set()).add(number)
            url_hosts.add(domain_key(entry.partition("/")[0]))
        done += len(source.domains) + len(source.urls)
        if progress is not None:
            progress(done)
    domains = len(key_sources) - sum(1 for k in key_sources if "/" in k)
    for host_key in url_hosts:  # the host of a URL entry is a key too, listed by no source unless it is
        key_sources.setdefault(host_key, set())

    sections: dict[str, list[int]] = {}
    body = bytearray()
    trie = marisa_trie.Trie(key_sources.keys())
    sets = array("I", bytes(4 * len(key_sources)))
    for key, key_id in trie.iteritems():
        sets[key_id] = set_id(frozenset(key_sources[key]), key in url_hosts)
    raw = trie.tobytes()
    sections["name_trie"] = [len(body), len(raw)]
    body.extend(raw)
    _pad(body)
    sections["name_sets"] = [len(body), 4 * len(sets)]
    body.extend(sets.tobytes())

    header = {
        "format": FORMAT_VERSION,
        "sources": [
            {
                "name": s.name,
                "domains": len(s.domains),
                "urls": len(s.urls),
                "expressions": len(s.expressions),
                **s.info,
            }
            for s in sources
        ],
        "source_sets": [
            [sorted(members), has_urls]
            for (members, has_urls), _ in sorted(set_ids.items(), key=lambda kv: kv[1])
        ],
        "expressions": [[s.name, list(s.expressions)] for s in sources if s.expressions],
        "sections": sections,
        "counts": {"domains": domains, "urls": sum(1 for k in key_sources if "/" in k)},
        "info": info or {},
    }
    head = bytearray(json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode())
    prefix = len(MAGIC) + 4
    head.extend(b" " * (-(prefix + len(head)) % _ALIGN))
    return MAGIC + struct.pack("<I", len(head)) + bytes(head) + bytes(body)


def domain_key(host: str) -> str:
    """The trie key of a domain entry: `example.com` -> `moc.elpmaxe.`."""
    return host[::-1] + "."


def url_entry_key(entry: str) -> str:
    """The trie key of a URL entry: `example.com/a?b` -> `moc.elpmaxe./a?b`."""
    host, slash, rest = entry.partition("/")
    return host[::-1] + "." + slash + rest


def request_query(host: str, target: str) -> str:
    """The string to look a request up with: reversed host, a dot, then the lowercased target.

    A CONNECT request (no target) is looked up as the site's root, `/`, so whole-site URL entries
    apply to it too."""
    return host[::-1] + "." + (target.lower() if target else "/")


def describe_key(key: str) -> tuple[str, str]:
    """("domain", "example.com") or ("url", "example.com/a") for a trie key."""
    dot = key.find("./")
    if dot == -1:
        return "domain", key[-2::-1]
    return "url", key[dot - 1 :: -1] + key[dot + 1 :] if dot else key[dot + 1 :]


class Index:
    """A read-only view of index bytes (typically a memory map), ready to answer look-ups."""

    __slots__ = (
        "_buffer",
        "_expression_set",
        "_expressions",
        "_match_set",
        "_names",
        "_set_has_urls",
        "_set_masks",
        "_sets",
        "counts",
        "header",
        "info",
        "source_ids",
        "sources",
    )

    _buffer: memoryview
    _expression_set: Any
    _match_set: Callable[[bytes], list[int] | None] | None
    _expressions: tuple[tuple[str, int], ...]
    _names: marisa_trie.Trie
    _set_has_urls: tuple[bool, ...]
    _set_masks: tuple[int, ...]
    _sets: memoryview
    counts: dict[str, int]
    header: dict[str, Any]
    info: dict[str, Any]
    source_ids: dict[str, int]
    sources: tuple[str, ...]

    def __init__(self, buffer: Buffer) -> None:
        """Open index bytes (any buffer: bytes, mmap, memoryview) in place. Raises IndexFileError."""
        view = memoryview(buffer)
        if bytes(view[: len(MAGIC)]) != MAGIC:
            if len(view) >= len(MAGIC) and bytes(view[:5]) == MAGIC[:5]:
                raise IndexFileError(
                    "the index was written by another version of Schoolgate: compile it again"
                )
            raise IndexFileError("not a Schoolgate list index")
        if len(view) < len(MAGIC) + 4:
            raise IndexFileError("the index is truncated (no header): compile it again")
        (head_len,) = struct.unpack_from("<I", view, len(MAGIC))
        start = len(MAGIC) + 4
        try:
            header = json.loads(bytes(view[start : start + head_len]))
            body = view[start + head_len :]
            for key, (offset, size) in header["sections"].items():
                if offset + size > len(body):
                    raise IndexFileError(f"the index is truncated (section {key})")
            sections = {k: body[o : o + n] for k, (o, n) in header["sections"].items()}
            self._names = marisa_trie.Trie()
            self._names.map(sections["name_trie"])
            self._sets = sections["name_sets"].cast("I")
            self.sources = tuple(s["name"] for s in header["sources"])
            self._set_masks = tuple(sum(1 << m for m in members) for members, _ in header["source_sets"])
            self._set_has_urls = tuple(bool(has_urls) for _, has_urls in header["source_sets"])
            self.source_ids = {name: number for number, name in enumerate(self.sources)}
            # All expressions in one RE2 set: one pass over the URL finds every expression that matches.
            expressions: list[tuple[str, int]] = []
            expression_set = re2.Set.SearchSet(regex_options())
            for name, patterns in header["expressions"]:
                bit = 1 << self.source_ids[name]
                for pattern in patterns:
                    try:
                        expression_set.Add(translate_posix_ere(pattern))
                    except (re.error, re2.error, ValueError) as exc:
                        raise IndexFileError(
                            f"expression {pattern!r} of {name} does not compile: {exc}"
                        ) from exc
                    expressions.append((pattern, bit))
            self._expressions = tuple(expressions)
            self._expression_set = expression_set if expressions else None
            self._match_set = None
            if expressions:
                expression_set.Compile()
                # The wrapper's Match() only encodes the text and calls this; calling it directly saves
                # a Python call per request. Fall back to the public method if a release hides it.
                inner = getattr(expression_set, "_set", None)
                self._match_set = inner.Match if inner is not None else expression_set.Match
        except IndexFileError:
            raise
        except Exception as exc:  # a damaged file can fail in many ways; all of them mean the same
            raise IndexFileError(f"the index is damaged ({exc.__class__.__name__}: {exc})") from exc
        self._buffer = view
        self.header = header
        self.info = header.get("info", {})
        self.counts = header.get("counts", {})

    @classmethod
    def from_buffer(cls, buffer: Buffer) -> Index:
        """Open index bytes in place (the same as `Index(buffer)`)."""
        return cls(buffer)

    def source_mask(self, names: Sequence[str]) -> int:
        """The bit mask of the named sources (names not in the index are ignored)."""
        ids = self.source_ids
        return sum(1 << ids[n] for n in set(names) if n in ids)

    def match(self, query: str) -> list[tuple[str, int]]:
        """(key, source mask) of every entry that is a prefix of `query` (see `request_query`).

        A key may come with an empty mask: the host of URL entries that is not itself listed."""
        sets, masks = self._sets, self._set_masks
        try:
            return [(key, masks[sets[i]]) for key, i in self._names.iter_prefixes_with_ids(query)]
        except UnicodeEncodeError:
            # Bytes that were not UTF-8 (kept as lone surrogates) can be in no entry: match up to them.
            query = _SURROGATES.sub("\ufffd", query)
            return [(key, masks[sets[i]]) for key, i in self._names.iter_prefixes_with_ids(query)]

    def domains(self) -> Iterator[tuple[str, int]]:
        """(domain, source mask) of every listed domain, in no particular order."""
        masks, sets = self._set_masks, self._sets
        for key, i in self._names.iteritems():
            if "/" not in key:
                mask = masks[sets[i]]
                if mask:
                    yield key[-2::-1], mask

    def has_urls(self, host_key: str) -> bool:
        """Whether URL entries exist under a host (given by its domain key, `moc.elpmaxe.`)."""
        key_id = self._names.get(host_key)
        return key_id is not None and self._set_has_urls[self._sets[key_id]]

    def match_host(self, host: str) -> list[Hit]:
        """The domain entries that list `host` itself or one of its parent domains."""
        return [Hit("domain", key[-2::-1], mask) for key, mask in self.match(domain_key(host))]

    def match_url(self, entry: str) -> list[Hit]:
        """The URL entries that are prefixes of `entry` (a canonical, lowercased `host/path?query`)."""
        return [Hit(*describe_key(key), mask) for key, mask in self.match(url_entry_key(entry)) if "/" in key]

    @property
    def expression_matcher(self) -> Callable[[bytes], list[int] | None] | None:
        """The compiled expression set: UTF-8 text in, the numbers of the matching expressions out
        (None or empty when none matches). For the hot path; `match_expressions` is the friendly form."""
        return self._match_set

    @property
    def expression_entries(self) -> tuple[tuple[str, int], ...]:
        """(pattern, source mask) of every expression, by number."""
        return self._expressions

    def match_expressions(self, text: str) -> list[Hit]:
        """The expressions found in `text` (the request's `host[:port]/path?query`)."""
        if self._match_set is None:
            return []
        try:
            found = self._match_set(text.encode())
        except UnicodeEncodeError:
            found = self._match_set(_SURROGATES.sub("\ufffd", text).encode())
        if not found:
            return []
        expressions = self._expressions
        return [Hit("expression", expressions[i][0], expressions[i][1]) for i in sorted(found)]

    def source_names(self, mask: int) -> list[str]:
        """The names of the sources in a bit mask, in index order."""
        names = []
        while mask:
            low = mask & -mask
            names.append(self.sources[low.bit_length() - 1])
            mask ^= low
        return names

    def first_source(self, mask: int) -> str | None:
        """The name of the first source in a bit mask (None for an empty mask)."""
        return self.sources[(mask & -mask).bit_length() - 1] if mask else None

    def __len__(self) -> int:
        return int(self.counts.get("domains", 0)) + int(self.counts.get("urls", 0))
