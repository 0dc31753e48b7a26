#!/usr/bin/env python3
"""Compare candidate structures for the domain index: which listed domains are a host or its parents?

Each candidate is built from the same UT1 domains, saved as bytes, opened from a memory map (except the
dict, the per-process baseline), and asked the same question for the hosts of a request corpus:

- marisa:      a marisa-trie of reversed names ("moc.elpmaxe."): one prefix walk finds every listed parent
               (what Schoolgate uses)
- hash-sorted: a sorted array of 64-bit blake2b hashes of the names, binary-searched once per label suffix
- hash-table:  an open-addressing table of crc32 hashes with the names kept for verification, probed once
               per label suffix
- dict:        a Python dict of the names (fast, but every process holds its own copy: the baseline)

Prints build time, size, time to open, mean look-up time and the memory each process adds. Run it from the
project root:  .venv/bin/python bench/index_structures.py --lists ../shared/data/ut1 --corpus /tmp/corpus.txt
"""

from __future__ import annotations

import argparse
import array
import bisect
import gc
import hashlib
import mmap
import os
import resource
import struct
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import marisa_trie

from schoolgate.engine.urls import parse_url


def read_domains(lists: Path) -> list[str]:
    names: set[str] = set()
    for category in sorted(p for p in lists.iterdir() if p.is_dir()):
        file = category / "domains"
        if file.is_file():
            for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
                word = line.strip().lower()
                if word and not word.startswith("#"):
                    names.add(word)
    return sorted(names)


def suffixes(host: str) -> list[str]:
    out = [host]
    at = host.find(".")
    while at != -1:
        out.append(host[at + 1 :])
        at = host.find(".", at + 1)
    return out


def h64(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


# --- candidates: build(names) -> bytes, open(buffer) -> lookup(host) -> number of listed parents ----------


def build_marisa(names: list[str]) -> bytes:
    return bytes(marisa_trie.Trie(n[::-1] + "." for n in names).tobytes())


def open_marisa(buffer: memoryview) -> Callable[[str], int]:
    trie = marisa_trie.Trie()
    trie.map(buffer)
    prefixes = trie.prefixes
    return lambda host: len(prefixes(host[::-1] + "."))


def build_hash_sorted(names: list[str]) -> bytes:
    return array.array("Q", sorted(h64(n) for n in names)).tobytes()


def open_hash_sorted(buffer: memoryview) -> Callable[[str], int]:
    hashes = buffer.cast("Q")
    size = len(hashes)

    def lookup(host: str) -> int:
        found = 0
        for name in suffixes(host):
            h = h64(name)
            at = bisect.bisect_left(hashes, h)
            found += at < size and hashes[at] == h
        return found

    return lookup


def build_hash_table(names: list[str]) -> bytes:
    slots = 1
    while slots < 2 * len(names):
        slots *= 2
    table = array.array("I", bytes(8 * slots))
    blob = bytearray()
    offsets = array.array("I")
    for number, name in enumerate(names):
        raw = name.encode()
        offsets.extend((len(blob), len(raw)))
        blob += raw
        h = zlib.crc32(raw)
        slot = h & (slots - 1)
        while table[2 * slot + 1]:
            slot = (slot + 1) & (slots - 1)
        table[2 * slot], table[2 * slot + 1] = h, number + 1
    head = struct.pack("<III", slots, len(offsets) * 4, len(blob))
    return head + table.tobytes() + offsets.tobytes() + bytes(blob)


def open_hash_table(buffer: memoryview) -> Callable[[str], int]:
    slots, offsets_size, _ = struct.unpack_from("<III", buffer)
    table = buffer[12 : 12 + 8 * slots].cast("I")
    offsets = buffer[12 + 8 * slots : 12 + 8 * slots + offsets_size].cast("I")
    blob = buffer[12 + 8 * slots + offsets_size :]
    mask = slots - 1

    def lookup(host: str) -> int:
        found = 0
        for name in suffixes(host):
            raw = name.encode()
            h = zlib.crc32(raw)
            slot = h & mask
            while entry := table[2 * slot + 1]:
                if table[2 * slot] == h:
                    at, length = offsets[2 * entry - 2], offsets[2 * entry - 1]
                    if blob[at : at + length] == raw:
                        found += 1
                        break
                slot = (slot + 1) & mask
        return found

    return lookup


def build_dict(names: list[str]) -> bytes:
    return "\n".join(names).encode()


def open_dict(buffer: memoryview) -> Callable[[str], int]:
    listed = dict.fromkeys(bytes(buffer).decode().split("\n"), True)
    return lambda host: sum(1 for n in suffixes(host) if n in listed)


CANDIDATES = {
    "marisa": (build_marisa, open_marisa),
    "hash-sorted": (build_hash_sorted, open_hash_sorted),
    "hash-table": (build_hash_table, open_hash_table),
    "dict": (build_dict, open_dict),
}


def private_kb() -> int:
    """Private (USS-like) memory of this process: Private_Clean + Private_Dirty from smaps_rollup."""
    total = 0
    with open("/proc/self/smaps_rollup") as handle:
        for line in handle:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lists", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--hosts", type=int, default=200_000, help="corpus lines to take hosts from")
    parser.add_argument(
        "--only", choices=sorted(CANDIDATES), help="measure one candidate (in a child process)"
    )
    args = parser.parse_args()
    if args.only is None:
        # One child process per candidate, so that each memory figure is that candidate's own.
        import subprocess
        import sys

        print(
            f"{'structure':12s} {'build s':>8s} {'MB':>7s} {'open ms':>8s} {'µs/host':>8s} "
            f"{'private MB':>11s}"
        )
        for name in CANDIDATES:
            subprocess.run([sys.executable, __file__, *sys.argv[1:], "--only", name], check=True)
        return
    names = read_domains(args.lists)
    hosts = []
    with args.corpus.open(encoding="utf-8", errors="surrogateescape") as corpus:
        for number, line in enumerate(corpus):
            if number >= args.hosts:
                break
            url = parse_url(line.split(" ", 1)[0])
            if url is not None:
                hosts.append(url.host)
    build, open_ = CANDIDATES[args.only]
    started = time.perf_counter()
    data = build(names)
    built = time.perf_counter() - started
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(data)
    del data, names
    gc.collect()
    before = private_kb()
    started = time.perf_counter()
    with open(handle.name, "rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    lookup = open_(memoryview(mapped))
    opened = time.perf_counter() - started
    started = time.perf_counter()
    found = sum(1 for host in hosts if lookup(host))
    per_host = (time.perf_counter() - started) / len(hosts) * 1e6
    added = (private_kb() - before) / 1024
    size = os.path.getsize(handle.name) / 1e6
    os.unlink(handle.name)
    print(
        f"{args.only:12s} {built:8.2f} {size:7.1f} {opened * 1000:8.1f} {per_host:8.2f} {added:11.1f}"
        f"   ({found:,} of {len(hosts):,} hosts listed; "
        f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)"
    )


if __name__ == "__main__":
    main()
