#!/usr/bin/env python3
"""Requests per second through a real Squid: no helper, Schoolgate's helper, and squidGuard's, in one run.

    .venv/bin/python bench/squid_throughput.py [--requests N] [--concurrency C] [--runs R]

Everything is on 127.0.0.1: a local origin server (asyncio, a fixed 6-byte body, `Cache-Control:
no-store`, so every request reaches it), three Squids started the way Debian's service runs them
(`squid --foreground -n NAME -f CONF`, as root, `cache_effective_user proxy`) from the configuration
`schoolgate squid config` writes, and ApacheBench (`ab -X`, from apache2-utils) as the load:

1. **no helper**: the generated configuration without the filter's lines (every `url_rewrite_*` and
   `adapted_http_access` line, the ACLs on the helper's notes and what uses them);
2. **Schoolgate**: the generated configuration as it is, with the spool on and block page addresses
   signed with a key made for the run;
3. **squidGuard 1.6** as the `url_rewrite_program`, on the same 66 UT1 categories (the squidGuard
   configuration and databases `../shared/bench/squidguard/gen_conf.py` and `squidGuard -C all` make,
   Schoolgate's equivalent policy from `bench/sg_policy.py` and its compiled index). squidGuard has no
   concurrency: it gets `url_rewrite_children N startup=1 idle=1`, the same N processes at most as
   Schoolgate's `url_rewrite_children N startup=1 idle=1 concurrency=K`.

Two URLs: one allowed by both helpers (a host no list names, answered by the origin), and one blocked
by both (a UT1 gambling host: both helpers answer with a 302 to the block page and Squid never
contacts the origin; without a helper it goes to the origin like the first). Each configuration and
URL gets a warm-up run (discarded), then R rounds in which the configurations take turns, in an order
that rotates from round to round, so that drift reaches them all alike. The origin alone (`ab`
straight at it) is measured in every round too: it has to be well above the proxied figures.

A failed request, a refused connection, an unexpected status (anything but 302 for the blocked URL
with a helper, anything but 2xx otherwise), an origin that did not see exactly the requests it
should have, or a helper queue overload in Squid's cache.log stops the bench with the reason.
Squid, the origin and the temporary directory are removed afterwards, on failure or Ctrl-C too.

`ab` runs with keep-alive (`-k`), as browsers do; `--no-keep-alive` measures without it. Around each
run the CPU time of Squid, its helpers, ab and the origin is read from /proc, and printed per
request: where the time goes. `--diagnostics` adds Schoolgate with its spool off and a trivial
Python helper in Schoolgate's place. `--json FILE` writes every figure; `--without-squidguard`
leaves squidGuard out (for a smoke test on a machine without it; the figures are then not the
comparison the bench is for).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# The benches are scripts side by side: their shared pieces are imported from this folder, and what
# they share with the tests (a free loopback port, stopping a server) from the tests' own helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from tests.servers import free_port, stop

from sg_policy import read_lists_from, yardstick_categories

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "bench"
LISTS = SHARED / "data" / "ut1"
VENV_BIN = Path(sys.executable).parent
SCHOOLGATE = str(VENV_BIN / "schoolgate")
PYTHON = sys.executable
SQUID = shutil.which("squid") or "/usr/sbin/squid"
SQUID_USER = "proxy"
AB = shutil.which("ab") or "/usr/bin/ab"
SQUIDGUARD = shutil.which("squidGuard") or "/usr/bin/squidGuard"

ALLOWED_HOST = "origin.bench.test"  # in no list: allowed by both helpers
BLOCKED_HOST = "www.bet365.com"  # bet365.com is in UT1's gambling list: blocked by both
BLOCK_PAGE = "http://127.0.0.1/blocked.html"  # the yardstick's; Squid answers 302 to it itself
BODY = b"hello\n"
COUNT_PATH = b"/__count"  # the origin answers how many other requests it has served

NO_HELPER = "no helper"
SCHOOLGATE_CONF = "Schoolgate (spool on)"
SQUIDGUARD_CONF = "squidGuard 1.6"
ORIGIN_ALONE = "origin alone (no Squid)"
FLOOR_CONF = "floor helper (allows all)"
NO_SPOOL_CONF = "Schoolgate (spool off)"

# --diagnostics: the least a url_rewrite helper in Python can do, in Schoolgate's place (same Squid
# configuration, same children and concurrency): read a batch, answer every line "allowed" with the
# note the configuration asks for. The cost it shows is Squid's, and the protocol's, not a filter's.
FLOOR_HELPER = """\
import os
pending = b""
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    lines = (pending + chunk).split(b"\\n")
    pending = lines.pop()
    os.write(1, b"".join(line.split(b" ", 1)[0] + b" OK schoolgate=allow\\n" for line in lines))
"""


class BenchError(RuntimeError):
    """A measurement that cannot be trusted: the bench stops with this message."""


def say(text: str) -> None:
    print(text, flush=True)


# ------------------------------------------------------------------------------------------ origin


class _OriginProtocol(asyncio.Protocol):
    """HTTP/1.x with keep-alive and pipelining, GET without a body only: as little work per request
    as Python allows, so that the origin is not what limits Squid."""

    served = 0

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        buffer = self.buffer + data
        out = []
        keep = True
        while keep:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head, buffer = buffer[:end].lower(), buffer[end + 4 :]
            line, _, headers = head.partition(b"\r\n")
            parts = line.split()
            if len(parts) != 3:
                self.transport.close()
                return
            if parts[2] == b"http/1.1":
                keep = b"connection: close" not in headers
            else:
                keep = b"connection: keep-alive" in headers
            if parts[1] == COUNT_PATH:
                body = str(_OriginProtocol.served).encode()
            else:
                _OriginProtocol.served += 1
                body = BODY
            out.append(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\n"
                b"Content-Length: %d\r\nConnection: %s\r\n\r\n%s"
                % (len(body), b"keep-alive" if keep else b"close", body)
            )
        self.buffer = buffer
        self.transport.write(b"".join(out))
        if not keep:
            self.transport.close()


def serve_origin() -> None:
    """The origin server, in a process of its own: prints its port, serves until stopped."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_OriginProtocol, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
        await stop

    asyncio.run(main())


def origin_served(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", COUNT_PATH.decode())
        return int(connection.getresponse().read())
    finally:
        connection.close()


# ------------------------------------------------------------------------------------------ squid


@dataclass
class Squid:
    name: str
    port: int
    conf: Path
    state: Path
    helper_marker: str | None  # text in a helper's command line, to count its processes
    helper_log: Path | None = None  # squidGuard's own log, where it says it went into emergency mode
    allowed_only: bool = False  # the floor helper blocks nothing: measured on the allowed URL only
    process: subprocess.Popen[bytes] | None = None
    helpers_seen: int = 0


def without_filter(text: str) -> list[str]:
    """The generated squid.conf without Schoolgate's filter: every `url_rewrite_*` and
    `adapted_http_access` line, the ACLs on the helper's notes (`schoolgate_decided`, YouTube's
    strictness) and every line that uses one (`deny_info`, `request_header_add`), and the
    `request_header_access` lines for the headers those add. What is left is the same in all three
    configurations: the port, the logs, who may use the proxy, the block page's own access line."""
    directives = [line.split() for line in text.splitlines()]
    notes = {w[1] for w in directives if len(w) > 2 and w[0] == "acl" and w[2] == "note"}
    added = {w[1].lower() for w in directives if len(w) > 1 and w[0] == "request_header_add"}
    out = []
    for line, words in zip(text.splitlines(), directives, strict=True):
        if words and not words[0].startswith("#"):
            if words[0].startswith(("url_rewrite", "adapted_http_access")):
                continue
            if notes.intersection(word.lstrip("!") for word in words):  # the ACL itself, or a use
                continue
            if words[0] == "request_header_access" and words[1:2] and words[1].lower() in added:
                continue
        out.append(line)
    return out


def no_helper_conf(text: str) -> str:
    lines = without_filter(text)
    directives = [line.split() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    # Nothing of the filter is left: above all no `adapted_http_access deny !schoolgate_decided`,
    # which would refuse every request, since no helper decides any.
    assert not any(words[0].startswith(("url_rewrite", "adapted_http_access")) for words in directives)
    assert not any("note" in words or "!schoolgate_decided" in words for words in directives)
    return "\n".join(["# bench: the configuration without the filter (no url_rewrite helper)", *lines, ""])


def squidguard_conf(text: str, sg_conf: Path, children: int) -> str:
    """The no-helper configuration with squidGuard as the url_rewrite program, set up as Schoolgate's
    helper is (same processes at most, started the same way, never bypassed), but without
    concurrency, which squidGuard does not support."""
    lines = [
        "# bench: the configuration with squidGuard as the url_rewrite helper",
        *without_filter(text),
        "# --- bench: squidGuard decides every request (one at a time per process: no concurrency).",
        f"url_rewrite_program {SQUIDGUARD} -c {sg_conf}",
        f"url_rewrite_children {children} startup=1 idle=1",
        "url_rewrite_bypass off",
        "",
    ]
    return "\n".join(lines)


def process_table() -> dict[int, tuple[int, float, str]]:
    """Every process: its parent, the CPU time it has used (user + system, s) and its command line."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
            cmdline = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()  # from the state, the third field, on
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        table[int(entry.name)] = (int(fields[1]), cpu, cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return table


def cpu_by_role(squid: Squid | None, origin_pid: int) -> dict[str, float]:
    """CPU seconds used so far by Squid's own processes, its helpers, ab (children of this script
    that have been waited for) and the origin."""
    table = process_table()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {"squid": 0.0, "helpers": 0.0, "ab": usage.ru_utime + usage.ru_stime}
    out["origin"] = table[origin_pid][1] if origin_pid in table else 0.0
    if squid is not None:
        for pid in squid_tree(squid, table):
            _, cpu, cmdline = table[pid]
            helper = squid.helper_marker is not None and squid.helper_marker in cmdline
            out["helpers" if helper else "squid"] += cpu
    return out


def floor_conf(text: str, helper: Path) -> str:
    """Schoolgate's configuration, every line of it, with the floor helper as the program."""
    out = ["# bench: Schoolgate's configuration with a trivial helper that allows everything"]
    for line in text.splitlines():
        if line.split()[:1] == ["url_rewrite_program"]:
            line = f"url_rewrite_program {PYTHON} {helper}"
        out.append(line)
    return "\n".join([*out, ""])


def squid_tree(squid: Squid, table: dict[int, tuple[int, float, str]]) -> list[int]:
    """The processes of one Squid: its master, its worker and their helpers."""
    if squid.process is None:
        return []
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    tree, stack = [], [squid.process.pid]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        if pid in table:
            tree.append(pid)
    return tree


def helper_processes(squid: Squid) -> int:
    table = process_table()
    marker = squid.helper_marker
    return sum(1 for pid in squid_tree(squid, table) if marker is not None and marker in table[pid][2])


def start_squid(squid: Squid) -> None:
    service = f"sgbench{squid.port}"  # Squid names its shared memory after it: one of its own
    parse = subprocess.run(
        [SQUID, "-k", "parse", "-n", service, "-f", str(squid.conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    if parse.returncode != 0:
        raise BenchError(f"squid -k parse refused {squid.conf} ({squid.name}):\n{parse.stderr[-3000:]}")
    # A session of its own: Ctrl-C reaches this script, which stops Squid in order.
    squid.process = subprocess.Popen(
        [SQUID, "--foreground", "-n", service, "-f", str(squid.conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", squid.port), timeout=1).close()
            return
        except OSError:
            if squid.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"Squid ({squid.name}) did not start:\n{cache_log(squid)[-3000:]}") from None
            time.sleep(0.1)


def cache_log(squid: Squid) -> str:
    path = squid.state / "cache.log"
    return path.read_text(errors="replace") if path.exists() else ""


def helper_trouble(squid: Squid) -> list[str]:
    """cache.log lines saying that requests waited on, or went around, the helpers."""
    words = ("queue overload", "are busy", "bypass", "FATAL", "assertion failed", "exited")
    trouble = [line for line in cache_log(squid).splitlines() if any(w in line for w in words)]
    if squid.helper_log is not None and squid.helper_log.exists():
        text = squid.helper_log.read_text(errors="replace")
        trouble += [line for line in text.splitlines() if "FATAL" in line or "emergency" in line]
    return trouble


def proxied(squid: Squid, url: str) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", squid.port, timeout=20)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read()
    finally:
        connection.close()


# --------------------------------------------------------------------------------------- set-up


def squid_version() -> str:
    out = subprocess.run([SQUID, "-v"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0] if out else ""


def commit() -> str:
    """The commit measured, and whether the working tree differed from it (read-only git calls)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"{head} (with uncommitted changes under src/)" if changed else head


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def let_proxy_user_run_python(restore: list[tuple[Path, int]]) -> None:
    """Give `proxy` search permission on the directories above this Python (and the project) that it
    cannot enter, as tests/gateways/squid/conftest.py does; the modes are put back afterwards."""
    user = pwd.getpwnam(SQUID_USER)
    for target in (Path(sys.executable).resolve(), Path(sys.executable).absolute(), ROOT):
        for directory in reversed(target.parents):
            mode = directory.stat().st_mode
            if directory.stat().st_uid != user.pw_uid and not mode & stat.S_IXOTH:
                restore.append((directory, stat.S_IMODE(mode)))
                os.chmod(directory, stat.S_IMODE(mode) | stat.S_IXOTH)


def prepare_schoolgate(work: Path, lists: Path, cats: list[str]) -> tuple[Path, Path, Path, Path]:
    """The yardstick policy, its index, the spool directory, and a block page key of this run's own
    (block page addresses signed, as a school runs it; not whatever var/ or the environment holds)."""
    policy, index, spool = work / "yardstick.toml", work / "yardstick.sgidx", work / "spool"
    key = work / "block-page.key"
    run(
        [
            PYTHON,
            str(ROOT / "bench" / "sg_policy.py"),
            "--lists",
            str(lists),
            "--categories",
            ",".join(cats),
            "--block-page",
            BLOCK_PAGE,
            "--out",
            str(policy),
        ]
    )
    run([SCHOOLGATE, "lists", "compile", "--quiet", "--policy", str(policy), "--index", str(index)])
    run([SCHOOLGATE, "block-page", "key", str(key)], capture_output=True)
    for path in (policy, index):
        os.chmod(path, 0o644)
    shutil.chown(key, group=SQUID_USER)
    os.chmod(key, 0o640)
    spool.mkdir()
    shutil.chown(spool, SQUID_USER, SQUID_USER)
    return policy, index, spool, key


def prepare_squidguard(work: Path, lists: Path, cats: list[str]) -> Path:
    """gen_conf.py's configuration and `squidGuard -C all`'s databases, as run_squidguard.sh makes
    them, in a directory of this run's own; the block page is a 302 redirect, as Schoolgate's is."""
    home = work / "squidguard"
    db, log = home / "db", home / "log"
    shutil.copytree(lists, db)
    for path in db.rglob("*.db"):
        path.unlink()
    log.mkdir(parents=True)
    conf = home / "squidGuard.conf"
    run(
        [
            PYTHON,
            str(BENCH / "squidguard" / "gen_conf.py"),
            "--dbhome",
            str(db),
            "--logdir",
            str(log),
            "--lists-from",
            str(lists),
            "--categories",
            ",".join(cats),
            "--redirect",
            f"302:{BLOCK_PAGE}",
            "--out",
            str(conf),
        ]
    )
    run([SQUIDGUARD, "-c", str(conf), "-C", "all"], stdin=subprocess.DEVNULL, capture_output=True)
    # squidGuard opens its .db files for writing (as proxy it otherwise falls into emergency mode
    # and answers ERR, i.e. allows, to everything): the whole directory is the proxy user's.
    for path in [home, *home.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
        shutil.chown(path, SQUID_USER, SQUID_USER)
    return conf


# ----------------------------------------------------------------------------------------- load


@dataclass
class Result:
    rps: float
    complete: int
    failed: int
    non_2xx: int
    keep_alive: int
    seconds: float


def parse_ab(output: str) -> Result:
    def number(label: str, default: str | None = None) -> str:
        found = re.search(rf"^{label}:\s+([\d.]+)", output, re.MULTILINE)
        if found is None:
            if default is None:
                raise BenchError(f"ab's output has no {label!r}:\n{output[-2000:]}")
            return default
        return found.group(1)

    return Result(
        rps=float(number("Requests per second")),
        complete=int(number("Complete requests")),
        failed=int(number("Failed requests")) + int(number("Write errors", "0")),
        non_2xx=int(number("Non-2xx responses", "0")),
        keep_alive=int(number("Keep-Alive requests", "0")),
        seconds=float(number("Time taken for tests")),
    )


def ab(url: str, requests: int, concurrency: int, keep_alive: bool, proxy_port: int | None) -> Result:
    cmd = [AB, "-q", "-n", str(requests), "-c", str(concurrency), "-s", "30"]
    if keep_alive:
        cmd.append("-k")
    if proxy_port is not None:
        cmd += ["-X", f"127.0.0.1:{proxy_port}"]
    cmd.append(url)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"ab did not finish in 600 s: {' '.join(cmd)}") from None
    if done.returncode != 0:
        raise BenchError(f"ab failed ({' '.join(cmd)}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return parse_ab(done.stdout)


@dataclass
class Series:
    configuration: str
    url: str
    runs: list[float] = field(default_factory=list)
    details: list[dict[str, float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


# ----------------------------------------------------------------------------------------- main


@contextmanager
def stopped_on_signals() -> Iterator[None]:
    """SIGINT (even where a shell started the bench with it ignored), SIGTERM and SIGHUP end the
    bench like Ctrl-C does, through the clean-up below."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def measure(
    args: argparse.Namespace, squids: list[Squid], origin_port: int, origin_pid: int
) -> dict[str, object]:
    lists: Path = args.lists
    allowed_url = f"http://{ALLOWED_HOST}:{origin_port}/"
    blocked_url = f"http://{BLOCKED_HOST}:{origin_port}/"
    urls = {"allowed": allowed_url, "blocked": blocked_url}

    # Each configuration decides as it should, before anything is timed.
    for squid in squids:
        for kind, url in urls.items():
            if kind == "blocked" and squid.allowed_only:
                continue
            status, location, body = proxied(squid, url)
            if kind == "blocked" and squid.helper_marker is not None:
                if status != 302 or not location.startswith(BLOCK_PAGE):
                    raise BenchError(
                        f"{squid.name}: {url} should be blocked (302 to {BLOCK_PAGE}), got {status}"
                    )
            elif status != 200 or body != BODY:
                raise BenchError(
                    f"{squid.name}: {url} should reach the origin (200), got {status} {location}"
                )

    def one(name: str, kind: str, requests: int) -> tuple[Result, dict[str, float]]:
        squid = next((s for s in squids if s.name == name), None)
        url = urls[kind] if squid is not None else f"http://127.0.0.1:{origin_port}/"
        before = origin_served(origin_port)
        cpu_before = cpu_by_role(squid, origin_pid)
        result = ab(url, requests, args.concurrency, args.keep_alive, squid.port if squid else None)
        cpu_after = cpu_by_role(squid, origin_pid)
        reached = origin_served(origin_port) - before
        cpu = {role: (cpu_after[role] - cpu_before[role]) / requests * 1e6 for role in cpu_after}
        blocked = kind == "blocked" and squid is not None and squid.helper_marker is not None
        problems = []
        if result.complete != requests or result.failed:
            problems.append(f"{result.complete} of {requests} complete, {result.failed} failed")
        if result.non_2xx != (requests if blocked else 0):
            problems.append(f"{result.non_2xx} non-2xx answers (expected {requests if blocked else 0})")
        if reached != (0 if blocked else requests):
            problems.append(f"the origin served {reached} (expected {0 if blocked else requests})")
        if squid is not None:
            trouble = helper_trouble(squid)
            if trouble:
                problems.append("cache.log: " + " | ".join(trouble[-5:]))
            if squid.helper_marker is not None:
                squid.helpers_seen = max(squid.helpers_seen, helper_processes(squid))
        if problems:
            raise BenchError(f"{name}, {urls[kind]}: " + "; ".join(problems))
        return result, cpu

    names = [s.name for s in squids]
    series: dict[tuple[str, str], Series] = {}
    blocking = [s.name for s in squids if not s.allowed_only]
    plan = [(kind, [*names, ORIGIN_ALONE] if kind == "allowed" else blocking) for kind in urls]
    warmup = args.requests if args.warmup is None else min(args.warmup, args.requests)
    say(f"== warm-up ({warmup:,} requests each, discarded)")
    for kind, order in plan:
        for name in order:
            one(name, kind, warmup)
            series[(name, kind)] = Series(name, urls[kind] if name != ORIGIN_ALONE else "origin")
    for round_number in range(args.runs):
        say(f"== round {round_number + 1} of {args.runs}")
        for kind, order in plan:
            shift = round_number % len(order)
            for name in order[shift:] + order[:shift]:
                result, cpu = one(name, kind, args.requests)
                entry = series[(name, kind)]
                entry.runs.append(result.rps)
                entry.details.append(
                    {
                        "rps": result.rps,
                        "seconds": result.seconds,
                        "keep_alive_requests": result.keep_alive,
                        "non_2xx": result.non_2xx,
                        **{f"cpu_us_per_request_{role}": value for role, value in cpu.items()},
                    }
                )
                say(f"   {kind:8s} {name:26s} {result.rps:>10,.0f} requests/s")

    figures: dict[str, object] = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "runs": args.runs,
        "warmup_requests": warmup,
        "keep_alive": args.keep_alive,
        "children": args.children,
        "helper_concurrency": args.helper_concurrency,
        "lists": str(lists),
        "urls": urls,
        "helper_processes_seen": {s.name: s.helpers_seen for s in squids if s.helper_marker},
    }
    for kind, url in urls.items():
        base = series[(NO_HELPER, kind)].median
        rows: dict[str, object] = {}
        say(f"\n{kind} URL: {url}")
        say(f"{'configuration':26s} {'median req/s':>12s}   {'runs':30s} {'vs no helper':>12s} {'cost':>8s}")
        names_here = [*names, ORIGIN_ALONE] if kind == "allowed" else blocking
        for name in names_here:
            entry = series[(name, kind)]
            ratio = entry.median / base
            runs = " / ".join(f"{r:,.0f}" for r in entry.runs)
            cost = "" if name in (NO_HELPER, ORIGIN_ALONE) else f"{1 - ratio:8.1%}"
            say(f"{name:26s} {entry.median:>12,.0f}   {runs:30s} {ratio:>12.3f} {cost:>8s}")
            rows[name] = {
                "median_rps": entry.median,
                "runs_rps": entry.runs,
                "ratio_to_no_helper": ratio,
                "cost_vs_no_helper": None if name in (NO_HELPER, ORIGIN_ALONE) else 1 - ratio,
                "runs": entry.details,
            }
        figures[kind] = rows
    roles = ("squid", "helpers", "ab", "origin")
    say("\nCPU per request, µs (medians; /proc, 10 ms ticks): where the time goes")
    say(f"{'configuration':26s} {'URL':8s} " + " ".join(f"{role:>8s}" for role in roles) + f" {'total':>8s}")
    for kind in urls:
        for name in [*names, ORIGIN_ALONE] if kind == "allowed" else blocking:
            details = series[(name, kind)].details
            cpu = {r: statistics.median(d[f"cpu_us_per_request_{r}"] for d in details) for r in roles}
            say(
                f"{name:26s} {kind:8s} "
                + " ".join(f"{cpu[r]:8.1f}" for r in roles)
                + f" {sum(cpu.values()):8.1f}"
            )
            row = figures[kind]
            assert isinstance(row, dict)
            row[name]["cpu_us_per_request"] = cpu
    say(
        "\n(keep-alive "
        + ("on" if args.keep_alive else "off")
        + f"; {args.requests:,} requests per run at concurrency {args.concurrency}; medians of {args.runs})"
    )
    if "blocked" in urls:
        say("(blocked URL: with a helper Squid answers 302 itself; with none it fetches from the origin)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000, help="requests per run (default 20,000)")
    parser.add_argument("--concurrency", type=int, default=20, help="ab's concurrent clients (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per configuration (default 3)")
    parser.add_argument(
        "--warmup", type=int, help="requests of the discarded warm-up run (default: as many as a run)"
    )
    parser.add_argument("--children", type=int, default=8, help="helper processes at most, for both helpers")
    parser.add_argument(
        "--helper-concurrency", type=int, default=50, help="Schoolgate's concurrency= (default 50)"
    )
    parser.add_argument("--no-keep-alive", dest="keep_alive", action="store_false", help="ab without -k")
    parser.add_argument("--lists", type=Path, default=LISTS, help="the UT1 lists (default: shared/data/ut1)")
    parser.add_argument("--without-squidguard", action="store_true", help="leave squidGuard out (smoke test)")
    parser.add_argument(
        "--diagnostics",
        action="store_true",
        help="also measure Schoolgate with its spool off, and a trivial Python helper in its place "
        "(where the cost is)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--serve-origin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_origin:
        serve_origin()
        return
    if args.requests < 1 or args.concurrency < 1 or args.runs < 1 or args.concurrency > args.requests:
        sys.exit("squid_throughput: --requests, --concurrency and --runs must be at least 1, C at most N")
    if os.geteuid() != 0:
        sys.exit("squid_throughput: run as root (Squid starts as root and runs as `proxy`)")
    missing = [
        what for what, path in (("squid-openssl", SQUID), ("apache2-utils", AB)) if not Path(path).exists()
    ]
    if not args.without_squidguard and not Path(SQUIDGUARD).exists():
        missing.append("squidguard")
    if missing:
        sys.exit(f"squid_throughput: needs {', '.join(missing)}: `scripts/setup.sh {' '.join(missing)}`")
    if not (BENCH / "squidguard" / "gen_conf.py").exists() or not args.lists.is_dir():
        sys.exit(f"squid_throughput: the squidGuard yardstick or the lists are not at {SHARED}")

    load_at_start = os.getloadavg()[0]
    if load_at_start > 0.5:
        say(f"note: load average {load_at_start:.2f} at the start; the figures want a quiet machine")
    restore: list[tuple[Path, int]] = []
    squids: list[Squid] = []
    origin: subprocess.Popen[bytes] | None = None
    work = Path(tempfile.mkdtemp(prefix="sgthroughput-"))
    read_lists_from(args.lists, work)
    try:
        with stopped_on_signals():
            let_proxy_user_run_python(restore)
            os.chmod(work, 0o755)
            origin = subprocess.Popen(
                [PYTHON, __file__, "--serve-origin"], stdout=subprocess.PIPE, start_new_session=True
            )
            assert origin.stdout is not None
            origin_port = int(origin.stdout.readline() or 0)
            if not origin_port:
                raise BenchError("the origin server did not start")

            say("== lists: Schoolgate's policy and index, squidGuard's configuration and databases")
            cats = yardstick_categories(args.lists)
            policy, index, spool, key = prepare_schoolgate(work, args.lists, cats)
            sg_conf = None if args.without_squidguard else prepare_squidguard(work, args.lists, cats)
            hosts = work / "hosts"
            hosts.write_text(f"127.0.0.1 {ALLOWED_HOST} {BLOCKED_HOST}\n")
            os.chmod(hosts, 0o644)

            wanted = [NO_HELPER, SCHOOLGATE_CONF] + ([] if sg_conf is None else [SQUIDGUARD_CONF])
            if args.diagnostics:
                wanted += [NO_SPOOL_CONF, FLOOR_CONF]
                floor = work / "floor_helper.py"
                floor.write_text(FLOOR_HELPER)
                os.chmod(floor, 0o644)
            for number, name in enumerate(wanted):
                state = work / f"squid{number}"
                state.mkdir()
                shutil.chown(state, SQUID_USER, SQUID_USER)
                port = free_port()
                conf = work / f"squid{number}.conf"
                run(
                    [
                        SCHOOLGATE, "squid", "config", "--policy", str(policy), "--index", str(index),
                        "--spool", str(spool), "--block-page-key", str(key),
                        "--listen", f"127.0.0.1:{port}", "--network", "127.0.0.0/8",
                        "--state-dir", str(state), "--hosts-file", str(hosts),
                        "--children", str(args.children), "--concurrency", str(args.helper_concurrency),
                        "--output", str(conf),
                    ]
                )  # fmt: skip
                squid = Squid(name, port, conf, state, "squid-helper")
                if name == NO_HELPER:
                    conf.write_text(no_helper_conf(conf.read_text()))
                    squid.helper_marker = None
                elif name == SQUIDGUARD_CONF:
                    assert sg_conf is not None
                    conf.write_text(squidguard_conf(conf.read_text(), sg_conf, args.children))
                    squid.helper_marker = f"-c {sg_conf}"  # Squid runs it as "(squidGuard) -c CONF"
                    squid.helper_log = sg_conf.parent / "log" / "squidGuard.log"
                elif name == NO_SPOOL_CONF:
                    conf.write_text(conf.read_text().replace(f" --spool {spool}", " --no-spool"))
                    assert " --no-spool" in conf.read_text()
                elif name == FLOOR_CONF:
                    conf.write_text(floor_conf(conf.read_text(), floor))
                    squid.helper_marker, squid.allowed_only = str(floor), True
                squids.append(squid)
            say(f"== starting {len(squids)} Squids (one per configuration) and the origin on 127.0.0.1")
            for squid in squids:
                start_squid(squid)

            figures = measure(args, squids, origin_port, origin.pid)
            figures["squidguard"] = sg_conf is not None
            figures["squid_version"] = squid_version()
            figures["load_average_at_start"] = load_at_start
            figures["commit"] = commit()
            figures["date"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            if args.json is not None:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(figures, indent=2))
                say(f"all figures: {args.json}")
    except BenchError as error:
        sys.exit(f"squid_throughput: {error}")
    except KeyboardInterrupt:
        sys.exit("squid_throughput: interrupted; Squid and the origin stopped, temporary files removed")
    finally:
        # All asked to stop at once: each Squid takes its shutdown_lifetime (3 s) to go.
        for process in [*(squid.process for squid in squids), origin]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*(squid.process for squid in squids), origin]:
            stop(process, seconds=15)
        for directory, mode in reversed(restore):
            os.chmod(directory, mode)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
