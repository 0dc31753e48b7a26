"""A real Squid on 127.0.0.1, configured by `schoolgate squid config`, in front of a local origin server.

Squid must be installed (`make test` installs Debian's squid-openssl); a missing Squid fails these tests,
it does not skip them. Squid runs its helpers as the `proxy` user, so the files it reads live in a
directory that user can read, and the spool in one it can write; if the project's Python is under a
directory `proxy` cannot enter (pyenv's under /root, say), the session lets it through (search
permission only) and puts the mode back afterwards.
"""

from __future__ import annotations

import base64
import http.client
import os
import pwd
import shutil
import socket
import socketserver
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.school import compile_index, run_schoolgate
from tests.servers import accepts_tcp, free_port, stop, wait_until_serving

SQUID = shutil.which("squid") or "/usr/sbin/squid"
SQUID_USER = "proxy"
ZONE = ZoneInfo("Europe/London")
PASSWORDS = {"ks2-amelia": "amelia-pw", "mr.patel": "patel-pw", "stranger": "stranger-pw"}
CLASS_DEVICE = "127.0.0.2"  # the policy's KS1 class-device range: no login asked
BLOCK_PAGE_ADDRESS = "127.0.0.5"  # blocked.test: the block page server listens here, on port 80


# ----------------------------------------------------------------------------------------- origin


@dataclass
class Seen:
    method: str
    host: str
    path: str
    headers: dict[str, str]


@dataclass
class Origin:
    port: int
    seen: list[Seen] = field(default_factory=list)
    request_lines: list[bytes] = field(default_factory=list)  # every one, those it could not read too


class _OriginHandler(BaseHTTPRequestHandler):
    def parse_request(self) -> bool:
        origin: Origin = self.server.origin  # type: ignore[attr-defined]
        origin.request_lines.append(self.raw_requestline)
        return super().parse_request()

    def do_GET(self) -> None:
        origin: Origin = self.server.origin  # type: ignore[attr-defined]
        origin.seen.append(Seen("GET", self.headers.get("Host", ""), self.path, dict(self.headers)))
        body = f"origin says hello to {self.headers.get('Host', '')}{self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def origin() -> Iterator[Origin]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OriginHandler)
    server.daemon_threads = True
    state = Origin(server.server_address[1])
    server.origin = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = self.request.recv(4096)
        self.request.sendall(b"echo:" + data)


@pytest.fixture(scope="session")
def tls_port_echo() -> Iterator[str]:
    """A plain TCP echo server on 127.0.0.3:443: what an allowed CONNECT tunnel reaches."""
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.3", 443), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.3"
    server.shutdown()
    server.server_close()


# ----------------------------------------------------------------------------------------- policy


def window_times(contains_now: bool, now: datetime) -> str:
    """A daily span that contains the present minute, or one that does not. A span may cross midnight
    ("22:00-02:00"), and the windows are every day, so this holds at any hour."""
    if contains_now:
        start, end = now - timedelta(hours=2), now + timedelta(hours=2)
    else:
        start, end = now + timedelta(hours=3), now + timedelta(hours=5)
    return f'"{start:%H:%M}-{end:%H:%M}"'


def write_policy(path: Path, block_page: str, lessons_now: bool) -> None:
    """The test school: KS2 pupils may not play games in lessons; gambling is blocked for everyone;
    the school's own site is allowed to everyone, the default group included."""
    now = datetime.now(ZONE)
    lists = path.parent
    (lists / "games.txt").write_text("games.test\n")
    (lists / "gambling.txt").write_text("bet.test\n")
    (lists / "school.txt").write_text("school.test\nallowed.test\n")
    lessons = window_times(lessons_now, now)
    lunch = window_times(not lessons_now, now)
    text = f"""
schema_version = 1

[school]
name = "Squid Test Primary"
timezone = "Europe/London"
block_page = "{block_page}"

[lists.games]
format = "domains"
path = "games.txt"

[lists.gambling]
format = "domains"
path = "gambling.txt"

[lists.school]
format = "domains"
path = "school.txt"

[groups.default]
default = "block"

[groups.ks1]
default = "allow"

[groups.ks2]
default = "allow"

[groups.staff]
default = "allow"

[[identities]]
group = "ks2"
users = ["ks2-amelia"]

[[identities]]
group = "staff"
users = ["mr.patel"]

[[identities]]
group = "ks1"
networks = ["{CLASS_DEVICE}/32"]
label = "KS1 class devices"

[windows.lessons]
days = ["mon-sun"]
times = [{lessons}]

[windows.lunchtime]
days = ["mon-sun"]
times = [{lunch}]

[categories.games]
sources = ["games"]

[categories.gambling]
sources = ["gambling"]
uksic = "gambling"

[categories.school]
sources = ["school"]

[[rules]]
name = "the school's own sites"
categories = ["school"]
action = "allow"

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"
alert = "medium"

[[rules]]
name = "no games in lessons"
groups = ["ks2"]
categories = ["games"]
window = "lessons"
action = "block"
"""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)  # the helper sees the whole new file or the old one


# ----------------------------------------------------------------------------------------- squid


def _let_proxy_user_run_python(restore: list[tuple[Path, int]]) -> None:
    """Give `proxy` search permission on the directories above this Python that it cannot enter."""
    user = pwd.getpwnam(SQUID_USER)
    for target in (Path(sys.executable).resolve(), Path(sys.executable).absolute(), Path.cwd()):
        for directory in reversed(target.parents):
            mode = directory.stat().st_mode
            if directory.stat().st_uid != user.pw_uid and not mode & stat.S_IXOTH:
                if os.geteuid() != 0:
                    pytest.fail(f"Squid's user {SQUID_USER} cannot enter {directory}; run the tests as root")
                restore.append((directory, stat.S_IMODE(mode)))
                os.chmod(directory, stat.S_IMODE(mode) | stat.S_IXOTH)


def write_passwords(path: Path) -> Path:
    """The test users' logins, made with `schoolgate squid passwd`."""
    for user, password in PASSWORDS.items():
        run_schoolgate("squid", "passwd", path, user, stdin=password + "\n")
    return path


def start_squid(conf: Path, state: Path, port: int) -> subprocess.Popen[bytes]:
    """Squid as Debian's service runs it (`--foreground`: a master that restarts its worker), once
    `squid -k parse` accepts the configuration; returned when it takes connections on `port`."""
    # A service name of its own: Squid names its shared memory after it, so two test Squids, or one
    # killed earlier and a new one, never share a segment.
    service = f"sgtest{port}"
    parse = subprocess.run(
        [SQUID, "-k", "parse", "-n", service, "-f", str(conf)], capture_output=True, text=True, check=False
    )
    assert parse.returncode == 0, parse.stderr
    process = subprocess.Popen(
        [SQUID, "--foreground", "-n", service, "-f", str(conf)], stderr=subprocess.DEVNULL
    )
    if not wait_until_serving(process, accepts_tcp("127.0.0.1", port), seconds=30):
        stop_squid(process)
        log = (state / "cache.log").read_text() if (state / "cache.log").exists() else ""
        pytest.fail(f"Squid did not start with {conf}:\n{conf.read_text()}\n{log[-3000:]}")
    return process


def stop_squid(process: subprocess.Popen[bytes] | None) -> None:
    stop(process, seconds=15)


@dataclass
class Proxy:
    port: int
    work: Path
    policy: Path
    spool: Path
    block_page: str
    process: subprocess.Popen[bytes]

    def helpers(self) -> list[int]:
        """Process ids of the running Schoolgate helpers."""
        out = subprocess.run(
            ["pgrep", "-f", f"squid-helper --policy {self.policy}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return [int(pid) for pid in out.stdout.split()]

    def request(
        self,
        url: str,
        user: str | None = None,
        source: str = "127.0.0.1",
        method: str = "GET",
    ) -> tuple[int, dict[str, str], bytes]:
        # Bound to a source address only where the test needs one: a socket bound before it connects
        # takes a port no other socket holds, TIME_WAIT ones included, and a busy loop runs out of them.
        bind = None if source == "127.0.0.1" else (source, 0)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20, source_address=bind)
        headers = {}
        if user is not None:
            token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
            headers["Proxy-Authorization"] = f"Basic {token}"
        try:
            connection.request(method, url, headers=headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def connect(self, host: str, port: int = 443, user: str | None = None) -> tuple[int, bytes]:
        """CONNECT through the proxy; on 200, send a line through the tunnel and return what comes back."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as s:
            lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
            if user is not None:
                token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
                lines.append(f"Proxy-Authorization: Basic {token}")
            s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
            status = int(head.split(b" ", 2)[1])
            if status != 200:
                return status, head
            s.sendall(b"hello")
            return status, s.recv(4096)


@pytest.fixture(scope="module")
def proxy(origin: Origin, tls_port_echo: str) -> Iterator[Proxy]:
    if not Path(SQUID).exists():
        pytest.fail("Squid is not installed: `scripts/setup.sh squid-openssl` installs it")
    restore: list[tuple[Path, int]] = []
    work = Path(tempfile.mkdtemp(prefix="schoolgate-squid-"))
    process = None
    try:
        _let_proxy_user_run_python(restore)
        os.chmod(work, 0o755)
        spool = work / "spool"
        spool.mkdir(mode=0o777)
        os.chmod(spool, 0o777)
        state = work / "state"
        state.mkdir()
        shutil.chown(state, SQUID_USER, SQUID_USER)
        policy = work / "policy.toml"
        index = work / "lists.sgidx"
        block_page = "http://blocked.test/blocked"
        write_policy(policy, block_page, lessons_now=True)
        compile_index(policy, index)
        os.chmod(index, 0o644)
        key = work / "block-page.key"
        run_schoolgate("block-page", "key", str(key))
        os.chmod(key, 0o644)
        passwords = write_passwords(work / "passwords")
        hosts = work / "hosts"
        hosts.write_text(
            "127.0.0.1 school.test games.test bet.test other.test\n"
            f"{tls_port_echo} allowed.test secure-bet.test\n"
            f"{BLOCK_PAGE_ADDRESS} blocked.test\n"  # the block page server, where a test runs one
        )
        os.chmod(hosts, 0o644)
        port = free_port()
        conf = work / "squid.conf"
        # Two requests at a time per helper: four clients keep two or three helpers busy, so that a test
        # can kill one while others run (Squid stops if its last helper dies soon after one started).
        run_schoolgate(
            "squid", "config", "--policy", str(policy), "--index", str(index), "--spool", str(spool),
            "--listen", f"127.0.0.1:{port}", "--network", "127.0.0.0/8", "--auth", "basic",
            "--passwords", str(passwords), "--state-dir", str(state), "--hosts-file", str(hosts),
            "--children", "4", "--concurrency", "2", "--block-page-key", str(key), "--output", str(conf),
        )  # fmt: skip
        process = start_squid(conf, state, port)
        yield Proxy(port, work, policy, spool, block_page, process)
    finally:
        stop_squid(process)
        for directory, mode in reversed(restore):
            os.chmod(directory, mode)
        shutil.rmtree(work, ignore_errors=True)
