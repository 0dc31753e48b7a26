"""`schoolgate block-page serve` and `schoolgate block-page key`, run as real processes on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from schoolgate.blockpage.reviews import read_reviews
from schoolgate.blockpage.signing import load_key, sign

from .conftest import SCHOOLGATE, query, write_policy

pytestmark = pytest.mark.timeout(60)


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCHOOLGATE, *args], check=False, cwd=cwd, capture_output=True, text=True, timeout=30, env=env
    )


def one_clear_line(finished: subprocess.CompletedProcess[str]) -> str:
    assert finished.returncode == 2, finished
    assert "Traceback" not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("schoolgate: ")
    return lines[0]


# ------------------------------------------------------------------------------------------ key


def test_key_makes_a_key_the_server_can_load(tmp_path: Path) -> None:
    finished = run("block-page", "key", "keys/block-page.key", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert len(load_key(tmp_path / "keys" / "block-page.key")) == 32
    assert (tmp_path / "keys" / "block-page.key").stat().st_mode & 0o007 == 0


def test_key_defaults_to_the_environment_then_var(tmp_path: Path) -> None:
    env = {**os.environ, "SCHOOLGATE_BLOCK_PAGE_KEY": str(tmp_path / "from-env.key")}
    assert run("block-page", "key", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / "from-env.key").exists()
    env.pop("SCHOOLGATE_BLOCK_PAGE_KEY")
    assert run("block-page", "key", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / "var" / "block-page.key").exists()


def test_key_never_overwrites_a_key(tmp_path: Path) -> None:
    (tmp_path / "k").write_text("keep me\n")
    line = one_clear_line(run("block-page", "key", "k", cwd=tmp_path))
    assert "k already exists: not overwriting it" in line
    assert (tmp_path / "k").read_text() == "keep me\n"


# ---------------------------------------------------------------------------------------- serve


@pytest.fixture
def school_dir(tmp_path: Path) -> Path:
    write_policy(tmp_path)
    assert run("block-page", "key", "block-page.key", cwd=tmp_path).returncode == 0
    return tmp_path


def serve_args(*extra: str, listen: str = "127.0.0.1:0") -> list[str]:
    return [
        "block-page",
        "serve",
        "--listen",
        listen,
        "--key",
        "block-page.key",
        "--policy",
        "policy.toml",
        "--spool",
        "spool",
        *extra,
    ]


def test_a_missing_key_is_one_clear_line(school_dir: Path) -> None:
    (school_dir / "block-page.key").unlink()
    line = one_clear_line(run(*serve_args(), cwd=school_dir))
    assert "cannot read the block page key block-page.key" in line


def test_a_key_file_that_is_not_a_key_is_one_clear_line(school_dir: Path) -> None:
    (school_dir / "block-page.key").write_text("not a key\n")
    line = one_clear_line(run(*serve_args(), cwd=school_dir))
    assert "block-page.key is not a block page key" in line
    assert "schoolgate block-page key block-page.key" in line


@pytest.mark.parametrize(
    "listen", ["127.0.0.1:http", "127.0.0.1:70000", "nowhere", "1.2.3:80", ":8080", "[::1"]
)
def test_a_bad_listen_address_is_one_clear_line(school_dir: Path, listen: str) -> None:
    line = one_clear_line(run(*serve_args(listen=listen), cwd=school_dir))
    assert f"--listen {listen!r}: give ADDRESS:PORT" in line


def test_an_address_in_use_is_one_clear_line(school_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_clear_line(run(*serve_args(listen=f"127.0.0.1:{port}"), cwd=school_dir))
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_an_unreadable_policy_is_one_clear_line(school_dir: Path) -> None:
    (school_dir / "policy.toml").unlink()
    line = one_clear_line(run(*serve_args(), cwd=school_dir))
    assert "policy.toml" in line
    assert "cannot read the policy file" in line


def test_a_broken_policy_is_one_clear_line(school_dir: Path) -> None:
    (school_dir / "policy.toml").write_text("schema_version = 1\n[school]\nnmae = 'x'\n")
    line = one_clear_line(run(*serve_args(), cwd=school_dir))
    assert "policy.toml" in line


class Server:
    """`schoolgate block-page serve` in the background; `port` from its first line."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.process = subprocess.Popen(
            [*SCHOOLGATE, *serve_args()], cwd=cwd, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stderr is not None
        ready, _, _ = select.select([self.process.stderr], [], [], 20)
        assert ready, "the server did not start"
        self.first_line = self.process.stderr.readline()
        assert "serving St Mary's & St John's Primary's block page on http://127.0.0.1:" in self.first_line
        self.port = int(self.first_line.rsplit(":", 1)[1].split("/", 1)[0])
        self.key = load_key(cwd / "block-page.key")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=20)
        return self.process.returncode, stderr


@pytest.fixture
def server(school_dir: Path) -> Iterator[Server]:
    started = Server(school_dir)
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait()


def test_the_server_serves_a_signed_page_and_takes_a_review(server: Server) -> None:
    signed = query() + "&sig=" + sign(server.key, query())
    status, headers, page = server.request("GET", "/blocked?" + signed)
    assert status == 200
    assert "bet365.com" in page
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    body = urlencode({"q": signed, "message": "for a maths lesson on chance"}).encode()
    status, headers, _ = server.request(
        "POST", "/blocked", body, {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "t/1"}
    )
    assert status == 303
    assert headers["Location"] == "/blocked?sent=1"
    [review] = list(read_reviews(server.cwd / "spool"))
    assert review["message"] == "for a maths lesson on chance"
    assert review["ip"] == "127.0.0.1"
    assert review["user_agent"] == "t/1"
    code, stderr = server.stop()
    assert code == 0
    assert "stopped" in stderr
    assert '"GET /blocked" 200' in stderr
    assert "ks2-amelia" not in stderr  # the access log leaves the query string out
    assert "url64" not in stderr


def test_a_slow_browser_does_not_hold_up_the_others(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall(b"GET /blocked?reason=filter-unavailable HTTP/1.1\r\nHost: x\r\n")  # never finished
        for _ in range(3):
            status, _, page = server.request("GET", "/blocked?reason=filter-unavailable")
            assert status == 200
            assert "could not check this page" in page


def test_sigterm_stops_it_cleanly_while_a_request_is_in_hand(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall(b"GET /blocked?reason=filter-unavailable HTTP/1.0\r\n")
        time.sleep(0.2)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        slow.sendall(b"\r\n")  # the request in hand is still answered
        answer = slow.recv(65536)
    assert answer.startswith(b"HTTP/1.0 200")
    _, stderr = server.process.communicate(timeout=20)
    assert server.process.returncode == 0
    assert "Traceback" not in stderr


def test_ctrl_c_stops_it_cleanly(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    _, stderr = server.process.communicate(timeout=20)
    assert server.process.returncode == 0
    assert "Traceback" not in stderr
