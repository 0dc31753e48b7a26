#!/usr/bin/env python3
"""Queries per second through a real unbound: with Schoolgate's zones (the whole UT1 snapshot) and
without them, in one run.

    .venv/bin/python bench/dns_throughput.py [--queries N] [--clients C] [--runs R] [--json FILE]

Everything is on 127.0.0.0/8 and nothing is asked of the internet:

1. **The policy**: three groups over the whole UT1 snapshot (one category per UT1 category, the same
   66 as squidGuard's `gen_conf.py` set): `pupils` (127.0.0.10/32) block all 66, `staff`
   (127.0.0.20/32) block fewer (STAFF_BLOCKS), `default` (every other address) blocks the 66 and
   every name no list holds, as the policy file requires of it. Compiled with `schoolgate lists
   compile`, exported with `schoolgate rpz export` (both timed; the zones' sizes and the names
   blocked per group are reported).
2. **The upstream**: an unbound standing for the internet: `local-zone: "." static` and one A and
   one AAAA record (TEST-NET and documentation addresses) for every name the queries ask for.
3. **The filter**: the unbound configuration `schoolgate unbound config --forward
   127.0.0.1@UPSTREAM --user ""` writes, as it is; and **the baseline**: the same configuration
   without its `rpz:` clauses and the tag lines (`define-tag`, `access-control-tag`), which serve
   only the zones. Same unbound, same forwarder, same query file, both running side by side.
4. **The queries**: a dnsperf file of exactly N queries (run with `-n 1`, so every run sends the
   same N), A and AAAA for each lookup (as a dual-stack client asks), over several thousand
   distinct names: 70 % of the lookups for names no list holds (made-up names that look like real
   ones and well-known sites, each checked against every UT1 list, parents included), 30 % for
   names the pupils' categories list (the listed domain, its www. or another subdomain). Within each
   part names are drawn with a Zipf-like weight, so popular names repeat, as in a school; every
   distinct name is asked at least once. dnsperf sends them from 127.0.0.10, the pupils' address.
5. **The runs**: one warm-up run per configuration (discarded; it also fills each unbound's cache:
   the upstream's records live an hour, so the timed runs answer from the cache, the resolver's
   usual case and the one where the zones' share of the work is largest), then R rounds in which
   the configurations take turns, in an order that rotates each round; medians. Every run is checked: all N
   sent, lost and SERVFAIL within `--tolerance`, no REFUSED, and NXDOMAIN exactly where it should be
   (the listed share with the zones, none without). Otherwise the bench stops with the reason.
6. **Memory and times**: each unbound's RSS (VmRSS, and Pss from smaps_rollup) once it answers and
   after the runs; its load time (from start until it answers a query); `schoolgate unbound reload`'s
   wall time with the zones (R times), and the longest wait for an answer while a reload runs.

The unbounds, the temporary directory and everything in it are removed afterwards, on failure or
Ctrl-C too. `--json FILE` writes every figure.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode

# The benches are scripts side by side: their shared pieces are imported from this folder, and what
# they share with the tests (a free loopback port, stopping a server, the upstream unbound) from the
# tests' own helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from tests.servers import free_port as loopback_port
from tests.servers import stop, write_upstream_unbound

from sg_policy import read_lists_from, yardstick_categories

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "bench"
LISTS = SHARED / "data" / "ut1"
VENV_BIN = Path(sys.executable).parent
SCHOOLGATE = str(VENV_BIN / "schoolgate")
PYTHON = sys.executable
UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
UNBOUND_CHECKCONF = shutil.which("unbound-checkconf") or "/usr/sbin/unbound-checkconf"
UNBOUND_CONTROL = shutil.which("unbound-control") or "/usr/sbin/unbound-control"
DNSPERF = shutil.which("dnsperf") or "/usr/bin/dnsperf"

PUPILS = "127.0.0.10"
STAFF = "127.0.0.20"
STRANGER = "127.0.0.30"  # an address the policy does not identify: the group `default`
SERVER = "127.0.0.1"

# What staff have blocked: the illegal, the harmful and the adult, not the rest of the 66.
STAFF_BLOCKS = (
    "adult", "agressif", "cryptojacking", "dangerous_material", "ddos", "dialer", "drogue", "gambling",
    "hacking", "malware", "mixed_adult", "phishing", "sect", "stalkerware", "warez",
)  # fmt: skip

FILTERED = "with the zones"
BASELINE = "without the zones"

WORDS = (
    "maple", "river", "stone", "north", "bright", "field", "cloud", "green", "harbour", "market",
    "garden", "silver", "forest", "valley", "summit", "coast", "meadow", "bridge", "castle", "lantern",
    "pixel", "orbit", "atlas", "beacon", "canvas", "delta", "ember", "falcon", "glacier", "horizon",
    "island", "jasper", "kernel", "lumen", "mosaic", "nimbus", "oak", "prairie", "quarry", "ridge",
    "saffron", "timber", "umber", "vector", "willow", "yonder", "zenith", "acorn", "bramble", "cedar",
    "council", "library", "museum", "clinic", "academy", "college", "journal", "weather", "transit",
    "science", "history", "maths", "physics", "reading", "phonics", "music", "theatre", "recipes",
    "travel", "rail", "ferry", "studio", "works", "labs", "data", "cloud", "media", "learn", "shop",
)  # fmt: skip
TLDS = ("com", "org", "net", "co.uk", "org.uk", "ac.uk", "sch.uk", "gov.uk", "fr", "de", "eu", "io")
PREFIXES = ("", "", "", "www.", "www.", "cdn.", "api.", "static.", "img.", "m.", "login.", "assets.")
KNOWN_SITES = (
    "bbc.co.uk", "www.bbc.co.uk", "wikipedia.org", "en.wikipedia.org", "upload.wikimedia.org",
    "theguardian.com", "gov.uk", "www.gov.uk", "nasa.gov", "who.int", "europa.eu", "python.org",
    "mozilla.org", "developer.mozilla.org", "w3.org", "debian.org", "kernel.org", "openstreetmap.org",
    "khanacademy.org", "ted.com", "britannica.com", "nationalgeographic.com", "metoffice.gov.uk",
    "nhs.uk", "www.nhs.uk", "ox.ac.uk", "cam.ac.uk", "ucl.ac.uk", "scratch.mit.edu", "code.org",
)  # fmt: skip

_DNS_NAME = re.compile(
    r"(?=.{1,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)
_ADDRESS = re.compile(r"[0-9.]+")
_RESERVED = ("localhost", "test", "invalid", "example", "local", "onion", "arpa", "home.arpa")


class BenchError(RuntimeError):
    """A measurement that cannot be trusted: the bench stops with this message."""


def say(text: str) -> None:
    print(text, flush=True)


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]
    except subprocess.CalledProcessError as error:
        said = (error.stdout or "")[-2000:] + (error.stderr or "")[-2000:]
        raise BenchError(f"{' '.join(cmd)} failed ({error.returncode}):\n{said}") from None


def free_port() -> int:
    """A port free for both UDP and TCP on SERVER (unbound listens on both)."""
    return loopback_port(SERVER, udp=True)


# ----------------------------------------------------------------------------------------- policy


def policy_text(lists: Path, cats: list[str], staff: list[str]) -> str:
    lines = [
        "schema_version = 1",
        "",
        "[school]",
        'name = "DNS bench school"',
        'timezone = "Europe/London"',
        'block_page = "http://127.0.0.1/blocked.html"',
        "",
        "[lists.ut1]",
        'format = "squidguard"',
        f"path = {json.dumps(str(lists.resolve()))}",
        "",
        "[groups.default]",
        'default = "block"',
        "",
        "[groups.pupils]",
        'default = "allow"',
        "safe_search = true",
        'youtube = "strict"',
        "",
        "[groups.staff]",
        'default = "allow"',
        "safe_search = false",
        'youtube = "moderate"',
        "",
        "[[identities]]",
        'group = "pupils"',
        f'networks = ["{PUPILS}/32"]',
        'label = "pupils\' classrooms"',
        "",
        "[[identities]]",
        'group = "staff"',
        f'networks = ["{STAFF}/32"]',
        'label = "staff room"',
        "",
    ]
    for name in cats:
        lines += [f"[categories.{json.dumps(name)}]", f"sources = [{json.dumps('ut1/' + name)}]", ""]
    lines += [
        "[[rules]]",
        'name = "the 66 categories, for pupils and the unidentified"',
        'groups = ["pupils", "default"]',
        f"categories = {json.dumps(cats)}",
        'action = "block"',
        "",
        "[[rules]]",
        'name = "what staff may not reach"',
        'groups = ["staff"]',
        f"categories = {json.dumps(staff)}",
        'action = "block"',
        "",
    ]
    return "\n".join(lines)


@dataclass
class Zones:
    directory: Path
    compile_s: float
    export_s: float
    index_bytes: int
    files: dict[str, int]  # file name -> bytes
    names: dict[str, int]  # group -> domains blocked (as `schoolgate rpz export` counts them)
    records: dict[str, int]  # file name -> records (CNAME lines)


def make_zones(work: Path, lists: Path, cats: list[str], staff: list[str]) -> tuple[Path, Zones]:
    policy, index, directory = work / "policy.toml", work / "lists.sgidx", work / "zones"
    policy.write_text(policy_text(lists, cats, staff), encoding="utf-8")
    started = time.monotonic()
    run([SCHOOLGATE, "lists", "compile", "--quiet", "--policy", str(policy), "--index", str(index)])
    compiled = time.monotonic()
    run([SCHOOLGATE, "policy", "check", "--index", str(index), str(policy)], capture_output=True)
    checked = time.monotonic()
    # At 10:30 on a school day: no rule has a window, but the zones then do not depend on the clock.
    out = run(
        [SCHOOLGATE, "rpz", "export", "--quiet", "--policy", str(policy), "--index", str(index),
         "--out", str(directory), "--at", "2026-11-23T10:30"],
        capture_output=True,
    ).stdout  # fmt: skip
    exported = time.monotonic() - (checked - compiled)
    names = {
        m.group(1): int(m.group(2).replace(",", ""))
        for m in re.finditer(r"group (\S+), ([\d,]+) domains", out)
    }
    files, records = {}, {}
    for path in sorted(directory.glob("*.rpz")):
        files[path.name] = path.stat().st_size
        with path.open() as text:
            records[path.name] = sum(1 for line in text if " CNAME " in line)
    return policy, Zones(
        directory, compiled - started, exported - compiled, index.stat().st_size, files, names, records
    )


# ----------------------------------------------------------------------------------------- queries


def dns_name(name: str) -> bool:
    return (
        _DNS_NAME.fullmatch(name) is not None
        and _ADDRESS.fullmatch(name) is None
        and name.rsplit(".", 1)[-1] not in _RESERVED
    )


def read_domains(lists: Path, cats: list[str] | None) -> dict[str, str]:
    """name -> category, from the `domains` files of `cats` (all categories: None)."""
    out: dict[str, str] = {}
    folders = sorted(p for p in lists.iterdir() if (p / "domains").is_file())
    for folder in folders:
        if cats is not None and folder.name not in cats:
            continue
        with (folder / "domains").open(encoding="utf-8", errors="replace") as text:
            for line in text:
                name = line.strip().lower().rstrip(".")
                if name and not name.startswith("#"):
                    out.setdefault(name, folder.name)
    return out


def listed_anywhere(name: str, every: dict[str, str]) -> bool:
    labels = name.split(".")
    return any(".".join(labels[i:]) in every for i in range(len(labels)))


@dataclass
class QueryFile:
    path: Path
    queries: int
    listed_queries: int  # queries for names the pupils' categories list: NXDOMAIN with the zones
    distinct_names: int
    distinct_listed: int
    by_type: dict[str, int]
    names: list[str]  # every distinct name, for the upstream
    listed_sample: list[tuple[str, str]]  # (name, category) of the listed names
    unlisted_sample: list[str]


def zipf_picker(count: int, rng: random.Random, exponent: float = 0.9) -> Iterator[int]:
    weights = list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))
    total = weights[-1]
    while True:
        yield bisect.bisect_left(weights, rng.random() * total)


def make_queries(
    work: Path, lists: Path, cats: list[str], queries: int, distinct: int, listed_share: float, seed: int
) -> QueryFile:
    rng = random.Random(seed)
    every = read_domains(lists, None)
    pupils_listed = read_domains(lists, cats)
    candidates = sorted(n for n in pupils_listed if dns_name(n))
    want_listed = round(distinct * listed_share)
    listed: dict[str, str] = {}
    for domain in rng.sample(candidates, min(len(candidates), want_listed * 2)):
        roll = rng.random()
        name = (
            domain
            if roll < 0.6
            else ("www." + domain if roll < 0.9 else rng.choice(("cdn.", "m.", "img.")) + domain)
        )
        if dns_name(name) and name not in listed:
            listed[name] = pupils_listed[domain]
        if len(listed) == want_listed:
            break
    unlisted: list[str] = [name for name in KNOWN_SITES if not listed_anywhere(name, every)]
    seen = set(unlisted)
    while len(unlisted) < distinct - len(listed):
        first, second = rng.choice(WORDS), rng.choice(WORDS)
        joiner = rng.choice(("", "", "-"))
        name = (
            f"{rng.choice(PREFIXES)}{first}{joiner}{second}{rng.randrange(100) if rng.random() < 0.2 else ''}"
        )
        name += f".{rng.choice(TLDS)}"
        if name not in seen and dns_name(name) and not listed_anywhere(name, every):
            seen.add(name)
            unlisted.append(name)
    listed_names = list(listed)
    rng.shuffle(listed_names)
    rng.shuffle(unlisted)
    # Every distinct name once, then draws: the listed part with its share of the lookups, each part
    # Zipf-like (rank 1 asked most), as the names a school's devices ask for are.
    lookups = [(name, True) for name in listed_names] + [(name, False) for name in unlisted]
    rng.shuffle(lookups)
    listed_pick, unlisted_pick = zipf_picker(len(listed_names), rng), zipf_picker(len(unlisted), rng)
    total_lookups = (queries + 1) // 2
    while len(lookups) < total_lookups:
        if rng.random() < listed_share:
            lookups.append((listed_names[next(listed_pick)], True))
        else:
            lookups.append((unlisted[next(unlisted_pick)], False))
    head, tail = lookups[: len(listed_names) + len(unlisted)], lookups[len(listed_names) + len(unlisted) :]
    rng.shuffle(tail)
    lookups = head + tail
    lines: list[str] = []
    listed_queries = 0
    by_type = {"A": 0, "AAAA": 0}
    for name, is_listed in lookups:
        for rdtype in ("A", "AAAA"):
            if len(lines) == queries:
                break
            lines.append(f"{name} {rdtype}")
            by_type[rdtype] += 1
            listed_queries += is_listed
    path = work / "queries.txt"
    path.write_text("\n".join(lines) + "\n")
    return QueryFile(
        path,
        len(lines),
        listed_queries,
        len(listed_names) + len(unlisted),
        len(listed_names),
        by_type,
        listed_names + unlisted,
        [(name, listed[name]) for name in listed_names],
        unlisted,
    )


# ----------------------------------------------------------------------------------------- unbound


def write_upstream_conf(path: Path, port: int, names: list[str], ttl: int) -> None:
    """An unbound that answers the query names from local data, and everything else with NXDOMAIN."""
    records = []
    for number, name in enumerate(names):
        records.append(f"{name}. {ttl} IN A 192.0.2.{number % 250 + 1}")
        records.append(f"{name}. {ttl} IN AAAA 2001:db8::{number + 1:x}")
    write_upstream_unbound(path, SERVER, port, records)


def baseline_conf(text: str) -> str:
    """The generated configuration without the zones: no `rpz:` clause (each with its indented lines)
    and no tag lines, which only say which zone applies to whom. Everything else stays: the same
    listening, access control, modules, logging, process settings and forwarder."""
    out = ["# bench: the configuration `schoolgate unbound config` wrote, without the zones and their tags"]
    in_rpz = False
    for line in text.splitlines():
        stripped = line.strip()
        if line and not line[0].isspace() and not line.startswith("#"):
            in_rpz = stripped == "rpz:"
        if in_rpz:
            continue
        if stripped.startswith(("define-tag:", "access-control-tag:")):
            continue
        out.append(line)
    result = "\n".join([*out, ""])
    assert not any(line.strip().startswith(("rpz:", "define-tag", "access-control-tag")) for line in out)
    return result


@dataclass
class Unbound:
    name: str
    port: int
    conf: Path
    log: Path
    control: Path | None = None
    filters: bool = False  # has the zones: the listed names' queries answer NXDOMAIN
    process: subprocess.Popen[bytes] | None = None
    load_s: float = 0.0
    memory: dict[str, dict[str, int]] = field(default_factory=dict)


def moved(text: str, source: Unbound, to: Unbound, work: Path) -> str:
    """The configuration written for `source`, with `to`'s port, control socket, log and pid file."""
    stem_from, stem_to = source.conf.stem, to.conf.stem
    for old, new in (
        (f"{SERVER}@{source.port}", f"{SERVER}@{to.port}"),
        (str(source.control), str(to.control)),
        (str(source.log), str(to.log)),
        (str(work / f"{stem_from}.pid"), str(work / f"{stem_to}.pid")),
    ):
        if old not in text:
            raise BenchError(f"the configuration has no {old!r}: `schoolgate unbound config` changed")
        text = text.replace(old, new)
    return text


def no_rpz_log(text: str) -> str:
    return text.replace("rpz-log: yes", "rpz-log: no")


def no_logging(text: str) -> str:
    return no_rpz_log(text).replace("log-queries: yes", "log-queries: no")


# --diagnostics: where the zones' cost is. The log lines (log-queries, rpz-log) against the look-up.
DIAGNOSTICS = (
    ("zones, no rpz-log", True, no_rpz_log),
    ("zones, no logging", True, no_logging),
    ("no zones, no logging", False, no_logging),
)
WIDTH = 22


def ask(name: str, port: int, source: str, rdtype: str = "A", timeout: float = 2) -> dns.message.Message:
    return dns.query.udp(
        dns.message.make_query(name, rdtype), SERVER, port=port, source=source, timeout=timeout
    )


def start_unbound(server: Unbound, probe: str) -> None:
    check = subprocess.run([UNBOUND_CHECKCONF, str(server.conf)], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise BenchError(
            f"unbound-checkconf refused {server.conf} ({server.name}):\n{check.stdout}{check.stderr}"
        )
    started = time.monotonic()
    # A session of its own: Ctrl-C reaches this script, which stops unbound in order.
    server.process = subprocess.Popen(
        [UNBOUND, "-d", "-c", str(server.conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = started + 300
    while True:
        try:
            ask(probe, server.port, SERVER, timeout=0.2)
            server.load_s = time.monotonic() - started
            return
        except (OSError, dns.exception.Timeout):
            if server.process.poll() is not None or time.monotonic() > deadline:
                stop(server.process, seconds=15)
                said = server.process.stderr.read().decode(errors="replace") if server.process.stderr else ""
                logged = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
                raise BenchError(f"unbound ({server.name}) did not start:\n{said[-3000:]}{logged}") from None
            time.sleep(0.01)


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM from /proc/PID/status, Pss from smaps_rollup, in KB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key.lower() + "_kb"] = int(value.split()[0])
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "Pss":
            out["pss_kb"] = int(value.split()[0])
    return out


def log_trouble(server: Unbound) -> list[str]:
    if not server.log.exists():
        return []
    words = ("error:", "fatal", "failed", "could not")
    with server.log.open(errors="replace") as text:
        return [
            line.strip() for line in text if " info: " not in line and any(w in line.lower() for w in words)
        ]


# ----------------------------------------------------------------------------------------- load


@dataclass
class Result:
    qps: float
    sent: int
    completed: int
    lost: int
    rcodes: dict[str, int]
    seconds: float
    latency_ms: float


def parse_dnsperf(output: str) -> Result:
    def number(label: str) -> str:
        found = re.search(rf"^\s*{label}:\s+([\d.]+)", output, re.MULTILINE)
        if found is None:
            raise BenchError(f"dnsperf's output has no {label!r}:\n{output[-2000:]}")
        return found.group(1)

    codes = re.search(r"^\s*Response codes:\s+(.*)$", output, re.MULTILINE)
    rcodes = {
        m.group(1): int(m.group(2)) for m in re.finditer(r"([A-Z]+) (\d+)", codes.group(1) if codes else "")
    }
    return Result(
        qps=float(number("Queries per second")),
        sent=int(number("Queries sent")),
        completed=int(number("Queries completed")),
        lost=int(number("Queries lost")),
        rcodes=rcodes,
        seconds=float(number("Run time \\(s\\)")),
        latency_ms=float(number("Average Latency \\(s\\)")) * 1000,
    )


@dataclass
class Cpus:
    """Where the measured resolvers and the load run: unbound on one CPU, dnsperf on another, so that
    neither takes the other's time or caches and the rate depends less on the scheduler's choices."""

    resolver: int | None = None
    load: int | None = None

    def split(self) -> None:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) >= 2:
            self.resolver, self.load = cpus[-1], cpus[0]

    def describe(self) -> str:
        if self.resolver is None:
            return "not pinned (one CPU)"
        return f"unbound on CPU {self.resolver}, dnsperf on CPU {self.load}"

    def pin_resolver(self, pid: int) -> None:
        if self.resolver is not None:
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.sched_setaffinity(int(task.name), {self.resolver})

    def pin_load(self) -> None:
        if self.load is not None:
            os.sched_setaffinity(0, {self.load})


CPUS = Cpus()  # main() splits them unless --no-pin


def dnsperf(port: int, queries: Path, clients: int, outstanding: int, limit: float) -> Result:
    cmd = [
        DNSPERF, "-s", SERVER, "-p", str(port), "-a", PUPILS, "-d", str(queries), "-n", "1",
        "-c", str(clients), "-q", str(outstanding), "-l", f"{limit:g}", "-t", "5",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=limit + 60, check=False, preexec_fn=CPUS.pin_load
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"dnsperf did not finish: {' '.join(cmd)}") from None
    if done.returncode != 0:
        raise BenchError(f"dnsperf failed ({' '.join(cmd)}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return parse_dnsperf(done.stdout)


def check_run(server: Unbound, result: Result, query_file: QueryFile, tolerance: float) -> None:
    name = server.name
    n = query_file.queries
    problems = []
    if result.sent != n:
        problems.append(f"{result.sent:,} of {n:,} queries sent (the time limit ended the run)")
    allowed = int(n * tolerance)
    if result.lost > allowed:
        problems.append(f"{result.lost:,} queries lost (tolerance {allowed:,})")
    if result.rcodes.get("SERVFAIL", 0) > allowed:
        problems.append(f"{result.rcodes['SERVFAIL']:,} SERVFAIL (tolerance {allowed:,})")
    if result.rcodes.get("REFUSED", 0):
        problems.append(f"{result.rcodes['REFUSED']:,} REFUSED: unbound does not take the pupils' address")
    nxdomain = result.rcodes.get("NXDOMAIN", 0)
    expected = query_file.listed_queries if server.filters else 0
    if abs(nxdomain - expected) > allowed + result.lost:
        problems.append(f"{nxdomain:,} NXDOMAIN, expected {expected:,} (the listed names' queries)")
    other = set(result.rcodes) - {"NOERROR", "NXDOMAIN", "SERVFAIL"}
    if other:
        problems.append(f"unexpected response codes: {', '.join(sorted(other))}")
    if problems:
        raise BenchError(f"{name}: " + "; ".join(problems) + f" ({result.rcodes})")


@dataclass
class Series:
    name: str
    results: list[Result] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.qps for r in self.results)


def check_answers(filtered: Unbound, baseline: Unbound, query_file: QueryFile, staff: list[str]) -> None:
    """Each configuration decides as it should, before anything is timed."""
    listed = query_file.listed_sample[0][0]
    unlisted = query_file.unlisted_sample[0]
    staff_allowed = next((n for n, c in query_file.listed_sample if c not in staff), None)
    cases = [
        (baseline, listed, PUPILS, "NOERROR"),
        (baseline, unlisted, STRANGER, "NOERROR"),
        (filtered, listed, PUPILS, "NXDOMAIN"),
        (filtered, unlisted, PUPILS, "NOERROR"),
        (filtered, unlisted, STRANGER, "NXDOMAIN"),  # `default` blocks the names no list holds
        (filtered, "use-application-dns.net", STAFF, "NXDOMAIN"),
    ]
    if staff_allowed is not None:
        cases.append((filtered, staff_allowed, STAFF, "NOERROR"))
    for server, name, source, expected in cases:
        for rdtype in ("A", "AAAA"):
            got = dns.rcode.to_text(ask(name, server.port, source, rdtype).rcode())
            if got != expected:
                raise BenchError(
                    f"{server.name}: {name} {rdtype} from {source} answered {got}, expected {expected}"
                )


def reload_times(filtered: Unbound, zones: Path, runs: int, probe: str) -> dict[str, object]:
    """`schoolgate unbound reload`'s wall time, `runs` times, and the longest a query waited for its
    answer meanwhile (a probe every 10 ms from the pupils' address)."""
    assert filtered.control is not None
    walls: list[float] = []
    waits: list[float] = []
    failures = 0
    for _ in range(runs):
        stop = threading.Event()
        longest = [0.0]
        failed = [0]

        def probe_loop(
            stop: threading.Event = stop, longest: list[float] = longest, failed: list[int] = failed
        ) -> None:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    ask(probe, filtered.port, PUPILS, timeout=10)
                except (OSError, dns.exception.Timeout):
                    failed[0] += 1
                longest[0] = max(longest[0], time.monotonic() - sent)
                time.sleep(0.01)

        thread = threading.Thread(target=probe_loop)
        thread.start()
        time.sleep(0.05)
        started = time.monotonic()
        done = subprocess.run(
            [SCHOOLGATE, "unbound", "reload", "--zones", str(zones), "--conf", str(filtered.conf),
             "--control", str(filtered.control)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        walls.append(time.monotonic() - started)
        time.sleep(0.05)
        stop.set()
        thread.join()
        if done.returncode != 0:
            raise BenchError(f"schoolgate unbound reload failed:\n{done.stdout}{done.stderr}")
        waits.append(longest[0])
        failures += failed[0]
    return {
        "wall_s": walls,
        "median_wall_s": statistics.median(walls),
        "longest_answer_wait_s": waits,
        "probe_failures": failures,
    }


# ----------------------------------------------------------------------------------------- main


@contextmanager
def stopped_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP end the bench like Ctrl-C does, through the clean-up."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def version(program: str) -> str:
    done = subprocess.run(
        [program, "-V" if program == UNBOUND else "-h"], capture_output=True, text=True, check=False
    )
    text = done.stdout + done.stderr
    found = re.search(r"Version (\S+)", text)
    return found.group(1) if found else ""


def commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"{head} (with uncommitted changes under src/)" if changed else head


def measure(args: argparse.Namespace, work: Path) -> dict[str, object]:
    cats = yardstick_categories(args.lists)
    staff = [c for c in STAFF_BLOCKS if c in cats]
    say(f"== zones: the whole UT1 snapshot ({len(cats)} categories for pupils, {len(staff)} for staff)")
    policy, zones = make_zones(work, args.lists, cats, staff)
    say(
        f"lists compile {zones.compile_s:.2f} s ({zones.index_bytes / 1e6:.1f} MB index); "
        f"rpz export {zones.export_s:.2f} s"
    )
    say(f"{'zone file':24s} {'bytes':>12s} {'records':>10s}")
    for name, size in zones.files.items():
        say(f"{name:24s} {size:>12,} {zones.records[name]:>10,}")
    say("domains blocked per group: " + ", ".join(f"{g} {n:,}" for g, n in zones.names.items()))

    say(
        f"== queries: {args.queries:,}, {args.distinct:,} distinct names, "
        f"{args.listed_share:.0%} of lookups listed"
    )
    query_file = make_queries(
        work, args.lists, cats, args.queries, args.distinct, args.listed_share, args.seed
    )
    say(
        f"{query_file.queries:,} queries ({query_file.by_type['A']:,} A, "
        f"{query_file.by_type['AAAA']:,} AAAA), "
        f"{query_file.listed_queries:,} for listed names; {query_file.distinct_names:,} distinct names, "
        f"{query_file.distinct_listed:,} of them listed"
    )
    probe = query_file.unlisted_sample[0]

    servers: list[Unbound] = []
    try:
        upstream_port = free_port()
        upstream = Unbound("upstream", upstream_port, work / "upstream.conf", work / "upstream.log")
        write_upstream_conf(upstream.conf, upstream_port, query_file.names, args.ttl)
        servers.append(upstream)
        start_unbound(upstream, probe)

        filtered = Unbound(FILTERED, free_port(), work / "c0.conf", work / "c0.log", work / "c0.ctl", True)
        run(
            [SCHOOLGATE, "unbound", "config", "--policy", str(policy), "--zones", str(zones.directory),
             "--listen", f"{SERVER}@{filtered.port}", "--network", "127.0.0.0/8",
             "--forward", f"{SERVER}@{upstream_port}", "--control", str(filtered.control),
             "--log", str(filtered.log), "--pidfile", str(work / "c0.pid"), "--user", "",
             "--output", str(filtered.conf)],
            capture_output=True,
        )  # fmt: skip
        generated = filtered.conf.read_text()
        baseline = Unbound(BASELINE, free_port(), work / "c1.conf", work / "c1.log", work / "c1.ctl")
        baseline.conf.write_text(baseline_conf(moved(generated, filtered, baseline, work)))
        configurations = [baseline, filtered]
        if args.diagnostics:
            for number, (name, filters, change) in enumerate(DIAGNOSTICS, 2):
                server = Unbound(name, free_port(), work / f"c{number}.conf", work / f"c{number}.log",
                                 work / f"c{number}.ctl", filters)  # fmt: skip
                text = moved(generated, filtered, server, work)
                server.conf.write_text(change(text if filters else baseline_conf(text)))
                configurations.append(server)
        say(
            f"== starting unbound {version(UNBOUND)}: the upstream and {len(configurations)} "
            "resolvers to measure, on 127.0.0.1; " + CPUS.describe()
        )
        for server in configurations:
            servers.append(server)
            start_unbound(server, probe)
            assert server.process is not None
            CPUS.pin_resolver(server.process.pid)
            server.memory["loaded"] = memory(server.process.pid)
            rss = server.memory["loaded"]["vmrss_kb"] / 1024
            say(f"{server.name:{WIDTH}s} answers {server.load_s:.2f} s after start, VmRSS {rss:.1f} MB")
        check_answers(filtered, baseline, query_file, staff)

        series = {server.name: Series(server.name) for server in configurations}
        by_name = {server.name: server for server in configurations}

        def one(name: str) -> Result:
            server = by_name[name]
            result = dnsperf(server.port, query_file.path, args.clients, args.outstanding, args.time_limit)
            check_run(server, result, query_file, args.tolerance)
            return result

        say(f"== warm-up ({query_file.queries:,} queries each, discarded; fills each cache)")
        for name in series:
            result = one(name)
            say(f"   warm-up  {name:{WIDTH}s} {result.qps:>10,.0f} queries/s")
        order = list(series)
        for round_number in range(args.runs):
            say(f"== round {round_number + 1} of {args.runs}")
            shift = round_number % len(order)
            for name in order[shift:] + order[:shift]:
                result = one(name)
                series[name].results.append(result)
                say(f"   {name:{WIDTH}s} {result.qps:>10,.0f} queries/s  latency {result.latency_ms:.2f} ms")
        for server in configurations:
            assert server.process is not None
            server.memory["after_runs"] = memory(server.process.pid)
            trouble = log_trouble(server)
            if trouble:
                raise BenchError(f"{server.name}: unbound's log: " + " | ".join(trouble[-5:]))
        for server in configurations[2:]:  # the diagnostics' unbounds are not needed for the reload
            stop(server.process, seconds=15)

        say(f"== reload with the zones ({args.runs} times)")
        reload = reload_times(filtered, zones.directory, args.runs, probe)
        check_answers(filtered, baseline, query_file, staff)
        say(
            "schoolgate unbound reload: " + " / ".join(f"{s:.2f}" for s in reload["wall_s"]) + " s;"  # type: ignore[attr-defined]
            " longest wait for an answer meanwhile: "
            + " / ".join(f"{s:.2f}" for s in reload["longest_answer_wait_s"])  # type: ignore[attr-defined]
            + " s"
        )
        assert filtered.process is not None
        filtered.memory["after_reload"] = memory(filtered.process.pid)
    finally:
        for server in reversed(servers):
            if server.process is not None and server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        for server in reversed(servers):
            stop(server.process, seconds=15)

    base = series[BASELINE].median
    say(f"\n{'configuration':{WIDTH}s} {'median q/s':>11s}   {'runs':44s} {'vs without':>10s} {'cost':>7s}")
    rows: dict[str, object] = {}
    for name, entry in series.items():
        ratio = entry.median / base
        runs = " / ".join(f"{r.qps:,.0f}" for r in entry.results)
        cost = "" if name == BASELINE else f"{1 - ratio:7.1%}"
        say(f"{name:{WIDTH}s} {entry.median:>11,.0f}   {runs:44s} {ratio:>10.3f} {cost:>7s}")
        rows[name] = {
            "median_qps": entry.median,
            "runs_qps": [r.qps for r in entry.results],
            "ratio_to_without": ratio,
            "median_latency_ms": statistics.median(r.latency_ms for r in entry.results),
            "runs": [r.__dict__ for r in entry.results],
        }
    ratio = series[FILTERED].median / base
    if args.diagnostics:
        bare = series["zones, no logging"].median / series["no zones, no logging"].median
        say(f"without any query logging: the zones give {bare:.3f} of the rate without them")
    say(
        f"goal: at least 0.9 of the rate without the zones: {ratio:.3f}, "
        + ("met" if ratio >= 0.9 else "NOT met")
    )
    say(f"\n{'unbound':{WIDTH}s} {'load s':>7s} {'VmRSS loaded':>13s} {'after runs':>11s} {'Pss after':>10s}")
    for server in configurations:
        loaded, after = server.memory["loaded"], server.memory["after_runs"]
        say(
            f"{server.name:{WIDTH}s} {server.load_s:>7.2f} {loaded['vmrss_kb'] / 1024:>10.1f} MB "
            f"{after['vmrss_kb'] / 1024:>8.1f} MB {after['pss_kb'] / 1024:>7.1f} MB"
        )
    say(
        f"\n({query_file.queries:,} queries a run from {PUPILS}, "
        f"dnsperf -c {args.clients} -q {args.outstanding}; "
        f"medians of {args.runs}; answers from the cache after the warm-up)"
    )
    return {
        "queries": query_file.queries,
        "clients": args.clients,
        "outstanding": args.outstanding,
        "runs": args.runs,
        "tolerance": args.tolerance,
        "upstream_ttl": args.ttl,
        "query_mix": {
            "distinct_names": query_file.distinct_names,
            "distinct_listed": query_file.distinct_listed,
            "listed_queries": query_file.listed_queries,
            "by_type": query_file.by_type,
            "listed_share_of_lookups": args.listed_share,
            "seed": args.seed,
        },
        "zones": {
            "categories_pupils": len(cats),
            "categories_staff": len(staff),
            "compile_s": zones.compile_s,
            "export_s": zones.export_s,
            "index_bytes": zones.index_bytes,
            "files_bytes": zones.files,
            "records": zones.records,
            "domains_blocked": zones.names,
        },
        "throughput": rows,
        "ratio": ratio,
        "goal_met": ratio >= 0.9,
        "unbound": {
            server.name: {"load_s": server.load_s, "memory_kb": server.memory} for server in configurations
        },
        "reload": reload,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=500_000, help="queries per run (default 500,000)")
    parser.add_argument("--clients", type=int, default=10, help="dnsperf's clients, -c (default 10)")
    parser.add_argument(
        "--outstanding", type=int, default=100, help="dnsperf's queries in flight, -q (default 100)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per configuration (default 5)")
    parser.add_argument("--distinct", type=int, default=6000, help="distinct names asked for (default 6,000)")
    parser.add_argument(
        "--listed-share", type=float, default=0.3, help="share of lookups for listed names (0.3)"
    )
    parser.add_argument(
        "--ttl", type=int, default=3600, help="TTL of the upstream's records (default 3600 s)"
    )
    parser.add_argument("--time-limit", type=float, default=120, help="dnsperf's -l per run (default 120 s)")
    parser.add_argument(
        "--tolerance", type=float, default=0.001, help="lost or SERVFAIL allowed (default 0.1 %%)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lists", type=Path, default=LISTS, help="the UT1 lists (default: shared/data/ut1)")
    parser.add_argument(
        "--diagnostics",
        action="store_true",
        help="also measure the zones without rpz-log, and both without any query logging (where the cost is)",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let the scheduler place unbound and dnsperf (default: each on a CPU of its own)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if args.queries < 2 or args.clients < 1 or args.runs < 1 or args.outstanding < args.clients:
        sys.exit("dns_throughput: --queries at least 2, --clients and --runs at least 1, -q at least -c")
    if not 0 < args.listed_share < 1 or args.distinct < 10:
        sys.exit("dns_throughput: --listed-share between 0 and 1, --distinct at least 10")
    missing = [pkg for pkg, path in (("unbound", UNBOUND), ("dnsperf", DNSPERF)) if not Path(path).exists()]
    if missing:
        sys.exit(f"dns_throughput: needs {', '.join(missing)}: `scripts/setup.sh {' '.join(missing)}`")
    if not (BENCH / "squidguard" / "gen_conf.py").exists() or not args.lists.is_dir():
        sys.exit(f"dns_throughput: the yardstick's category list or the lists are not at {SHARED}")

    if not args.no_pin:
        CPUS.split()
    load_at_start = os.getloadavg()[0]
    if load_at_start > 0.5:
        say(f"note: load average {load_at_start:.2f} at the start; the figures want a quiet machine")
    work = Path(tempfile.mkdtemp(prefix="sgdnsbench-"))
    read_lists_from(args.lists, work)
    try:
        with stopped_on_signals():
            figures = measure(args, work)
            figures["unbound_version"] = version(UNBOUND)
            figures["dnsperf_version"] = version(DNSPERF)
            figures["load_average_at_start"] = load_at_start
            figures["cpus"] = CPUS.describe()
            figures["commit"] = commit()
            figures["date"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            if args.json is not None:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(figures, indent=2))
                say(f"all figures: {args.json}")
    except BenchError as error:
        sys.exit(f"dns_throughput: {error}")
    except KeyboardInterrupt:
        sys.exit("dns_throughput: interrupted; unbound stopped, temporary files removed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
