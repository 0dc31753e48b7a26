"""The compiled category index: every list source in one buffer that helper processes share.

`build_index()` turns the entries of the list sources (`ut1/gambling`, `iwf`, ...) into bytes;
`Index.from_buffer()` opens those bytes without copying them, so a gateway memory-maps the file and
every helper process shares the same pages (start-up is a few milliseconds, whatever the size).

Layout (all integers little-endian; sections 8-byte aligned):

    b"SGIDX\\x00\\x00\\x01"   magic and format version 1
    u32                       length of the JSON header
    JSON header               sources, source sets, expressions, section offsets, statistics
    domain trie               marisa-trie of reversed host names, each followed by "."
    domain sets               u32 per domain-trie key id: which source set lists it
    URL trie                  marisa-trie of "host/path" prefixes
    URL sets                  u32 per URL-trie key id

Why these structures (see docs/performance.md for the measurements): a marisa-trie of reversed names
answers "which listed domains are this host or a parent of it, at label boundaries" in one call
(`iter_prefixes_with_ids("moc.elpmaxe.www.")` finds `moc.elpmaxe.`), and the same call on a URL trie
answers "which listed URLs are prefixes of this request". Both are a few hundred kilobytes per
hundred thousand entries and are used in place, never unpacked.
"""

from __future__ import annotations

import json
import re
import struct
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import marisa_trie

from schoolgate.engine.lists import compile_expression

Buffer = bytes | bytearray | memoryview

__all__ = ["FORMAT_VERSION", "Hit", "Index", "IndexFileError", "SourceEntries", "build_index"]

MAGIC = b"SGIDX\x00\x00\x01"
FORMAT_VERSION = 1
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
    set_ids: dict[frozenset[int], int] = {}

    def set_id(members: frozenset[int]) -> int:
        found = set_ids.get(members)
        if found is None:
            found = set_ids[members] = len(set_ids)
        return found

    domain_sources: dict[str, set[int]] = {}
    url_sources: dict[str, set[int]] = {}
    done = 0
    for number, source in enumerate(sources):
        for host in source.domains:
            domain_sources.setdefault(host[::-1] + ".", set()).add(number)
        for key in source.urls:
            url_sources.setdefault(key, set()).add(number)
        done += len(source.domains) + len(source.urls)
        if progress is not None:
            progress(done)

    sections: dict[str, list[int]] = {}
    body = bytearray()
    for name, keyed in (("domain", domain_sources), ("url", url_sources)):
        trie = marisa_trie.Trie(keyed.keys())
        sets = array("I", bytes(4 * len(keyed)))
        for key, key_id in trie.iteritems():
            sets[key_id] = set_id(frozenset(keyed[key]))
        _pad(body)
        raw = trie.tobytes()
        sections[f"{name}_trie"] = [len(body), len(raw)]
        body.extend(raw)
        _pad(body)
        sections[f"{name}_sets"] = [len(body), 4 * len(sets)]
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
        "source_sets": [sorted(members) for members, _ in sorted(set_ids.items(), key=lambda kv: kv[1])],
        "expressions": [[s.name, list(s.expressions)] for s in sources if s.expressions],
        "sections": sections,
        "counts": {"domains": len(domain_sources), "urls": len(url_sources)},
        "info": info or {},
    }
    head = bytearray(json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode())
    prefix = len(MAGIC) + 4
    head.extend(b" " * (-(prefix + len(head)) % _ALIGN))
    return MAGIC + struct.pack("<I", len(head)) + bytes(head) + bytes(body)


class Index:
    """A read-only view of index bytes (typically a memory map), ready to answer look-ups."""

    __slots__ = (
        "_buffer",
        "_domain_sets",
        "_domains",
        "_expr_filter",
        "_expressions",
        "_set_masks",
        "_url_sets",
        "_urls",
        "counts",
        "header",
        "info",
        "source_ids",
        "sources",
    )

    _buffer: memoryview
    _domain_sets: memoryview
    _domains: marisa_trie.Trie
    _expr_filter: re.Pattern[str] | None
    _expressions: tuple[tuple[re.Pattern[str], str, int], ...]
    _set_masks: tuple[int, ...]
    _url_sets: memoryview
    _urls: marisa_trie.Trie
    counts: dict[str, int]
    header: dict[str, Any]
    info: dict[str, Any]
    source_ids: dict[str, int]
    sources: tuple[str, ...]

    def __init__(self, buffer: Buffer) -> None:
        """Open index bytes (any buffer: bytes, mmap, memoryview) in place. Raises IndexFileError."""
        view = memoryview(buffer)
        if len(view) < len(MAGIC) + 4 or bytes(view[: len(MAGIC)]) != MAGIC:
            if len(view) >= 5 and bytes(view[:5]) == MAGIC[:5]:
                raise IndexFileError(
                    "the index was written by another version of Schoolgate: compile it again"
                )
            raise IndexFileError("not a Schoolgate list index")
        (head_len,) = struct.unpack_from("<I", view, len(MAGIC))
        start = len(MAGIC) + 4
        try:
            header = json.loads(bytes(view[start : start + head_len]))
            body = view[start + head_len :]
            for key, (offset, size) in header["sections"].items():
                if offset + size > len(body):
                    raise IndexFileError(f"the index is truncated (section {key})")
            sections = {k: body[o : o + n] for k, (o, n) in header["sections"].items()}
            self._domains = marisa_trie.Trie()
            self._domains.map(sections["domain_trie"])
            self._urls = marisa_trie.Trie()
            self._urls.map(sections["url_trie"])
            self._domain_sets = sections["domain_sets"].cast("I")
            self._url_sets = sections["url_sets"].cast("I")
            self.sources = tuple(s["name"] for s in header["sources"])
            self._set_masks = tuple(sum(1 << m for m in members) for members in header["source_sets"])
        except IndexFileError:
            raise
        except Exception as exc:  # a damaged file can fail in many ways; all of them mean the same
            raise IndexFileError(f"the index is damaged ({exc.__class__.__name__}: {exc})") from exc
        self._buffer = view
        self.header = header
        self.info = header.get("info", {})
        self.counts = header.get("counts", {})
        self.source_ids = {name: number for number, name in enumerate(self.sources)}
        expressions: list[tuple[re.Pattern[str], str, int]] = []
        for name, patterns in header["expressions"]:
            bit = 1 << self.source_ids[name]
            expressions.extend((compile_expression(p), p, bit) for p in patterns)
        self._expressions = tuple(expressions)
        # One combined pattern rejects the usual request in a single search; only on a hit are the
        # expressions tried one by one, to find every source that matched.
        self._expr_filter = None
        if expressions:
            combined = "|".join(f"(?:{e.pattern})" for e, _, _ in expressions)
            try:
                self._expr_filter = re.compile(combined, re.IGNORECASE)
            except re.error:
                self._expr_filter = None

    @classmethod
    def from_buffer(cls, buffer: Buffer) -> Index:
        """Open index bytes in place (the same as `Index(buffer)`)."""
        return cls(buffer)

    def source_mask(self, names: Sequence[str]) -> int:
        """The bit mask of the named sources (names not in the index are ignored)."""
        ids = self.source_ids
        return sum(1 << ids[n] for n in set(names) if n in ids)

    def match_host(self, host: str) -> list[Hit]:
        """The domain entries that list `host` itself or one of its parent domains."""
        sets, masks = self._domain_sets, self._set_masks
        return [
            Hit("domain", key[-2::-1], masks[sets[key_id]])
            for key, key_id in self._domains.iter_prefixes_with_ids(host[::-1] + ".")
        ]

    def match_url(self, key: str) -> list[Hit]:
        """The URL entries that are prefixes of `key` (a lowercased `host/path?query`)."""
        sets, masks = self._url_sets, self._set_masks
        return [Hit("url", k, masks[sets[i]]) for k, i in self._urls.iter_prefixes_with_ids(key)]

    def match_expressions(self, text: str) -> list[Hit]:
        """The expressions found in `text` (the request's `host[:port]/path?query`)."""
        if not self._expressions:
            return []
        if self._expr_filter is not None and self._expr_filter.search(text) is None:
            return []
        return [Hit("expression", p, bit) for e, p, bit in self._expressions if e.search(text)]

    def source_names(self, mask: int) -> list[str]:
        """The names of the sources in a bit mask, in index order."""
        return [name for number, name in enumerate(self.sources) if mask >> number & 1]

    def __len__(self) -> int:
        return int(self.counts.get("domains", 0)) + int(self.counts.get("urls", 0))
