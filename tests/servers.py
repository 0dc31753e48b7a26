"""Real servers on this machine's loopback for the tests: a free port to give one, waiting until it
serves, and stopping it. One home for what the Squid, unbound and block page tests all do."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def free_port(host: str = "127.0.0.1", udp: bool = False) -> int:
    """A TCP port no socket holds on `host`; with `udp`, one free for both UDP and TCP (a DNS server
    listens on both)."""
    if not udp:
        with socket.socket() as s:
            s.bind((host, 0))
            return int(s.getsockname()[1])
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagrams:
            datagrams.bind((host, 0))
            port = int(datagrams.getsockname()[1])
            with socket.socket() as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port


def wait_until_serving(
    process: subprocess.Popen[bytes], serving: Callable[[], bool], seconds: float, pause: float = 0.1
) -> bool:
    """Whether `serving()` came true within `seconds` while `process` still ran: False as soon as the
    process has ended or the time is up, and the caller says why the server did not start."""
    deadline = time.monotonic() + seconds
    while True:
        if serving():
            return True
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(pause)


def stop(process: subprocess.Popen[bytes] | None, seconds: float = 10) -> None:
    """SIGTERM and a wait for a clean stop; SIGKILL if it takes longer than `seconds`, to its whole
    process group when it leads a session of its own (start_new_session), so that what it started
    goes with it."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        try:
            leads = os.getpgid(process.pid) == process.pid
        except ProcessLookupError:  # it ended just now
            leads = False
        if leads:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()


def accepts_tcp(host: str, port: int) -> Callable[[], bool]:
    """A `serving` check for `wait_until_serving`: a TCP connection to host:port is accepted."""

    def check() -> bool:
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            return False
        return True

    return check


def write_upstream_unbound(path: Path, host: str, port: int, records: Iterable[str]) -> None:
    """The configuration of an unbound that stands for the internet, listening on host@port: it
    answers from `records` (local-data lines such as "bet.test. 60 IN A 192.0.2.1") and every other
    name with NXDOMAIN. Its pid file and log are beside `path`."""
    work = path.parent
    lines = [
        "server:",
        f"    interface: {host}@{port}",
        "    access-control: 127.0.0.0/8 allow",
        '    module-config: "iterator"',
        '    username: ""',
        '    chroot: ""',
        f'    directory: "{work}"',
        f'    pidfile: "{work / "upstream.pid"}"',
        "    use-syslog: no",
        f'    logfile: "{work / "upstream.log"}"',
        "    verbosity: 1",
        # Nothing is asked of the internet: the root zone is this server's, and holds only these.
        '    local-zone: "." static',
        *(f'    local-data: "{record}"' for record in records),
        "remote-control:",
        "    control-enable: no",
        "",
    ]
    path.write_text("\n".join(lines))
