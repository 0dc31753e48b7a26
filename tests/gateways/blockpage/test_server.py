"""`schoolgate block-page serve` and `schoolgate block-page key`, run as real processes on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from schoolgate.activity.reviews import DAILY_BYTES, ReviewWriter, read_reviews
from schoolgate.gateways.blockpage.app import BlockPageApp
from schoolgate.gateways.blockpage.server import make_server
from schoolgate.gateways.blockpage.signing import load_key, sign
from schoolgate.gateways.blockpage.status import VERSION, StatusEntry, entry_key
from schoolgate.policyfile.load import load_policy
from tests.school import SCHOOLGATE

from .conftest import AT, School, make_school, query, write_policy
from .test_page import visible

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


def test_a_web_address_that_is_not_one_is_one_clear_line(school_dir: Path) -> None:
    finished = run(*serve_args("--web-address", "ftp://x.example"), cwd=school_dir)
    assert finished.returncode == 2
    assert "--web-address: 'ftp://x.example' is not the web application's address" in one_clear_line(finished)


def test_a_broken_policy_is_one_clear_line(school_dir: Path) -> None:
    (school_dir / "policy.toml").write_text("schema_version = 1\n[school]\nnmae = 'x'\n")
    line = one_clear_line(run(*serve_args(), cwd=school_dir))
    assert "policy.toml" in line


# Runs the rest of its arguments with files limited to argv[1] bytes, as on a disk that fills up.
WITH_FILE_SIZE_LIMIT = (
    "import os, resource, sys; size = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (size, size)); os.execv(sys.argv[2], sys.argv[2:])"
)


class Server:
    """`schoolgate block-page serve` in the background; `port` from its first line. With
    `file_size_limit`, no file it writes may grow past that many bytes."""

    def __init__(self, cwd: Path, file_size_limit: int | None = None) -> None:
        self.cwd = cwd
        command = [*SCHOOLGATE, *serve_args()]
        if file_size_limit is not None:
            command = [sys.executable, "-c", WITH_FILE_SIZE_LIMIT, str(file_size_limit), *command]
        self.process = subprocess.Popen(command, cwd=cwd, stderr=subprocess.PIPE, text=True)
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
    # The web application writes the requests status file beside the policy: the page tells the pupil.
    entry = StatusEntry("review", "open", AT)
    document = {"v": VERSION, "entries": {entry_key("ks2-amelia", "bet365.com"): entry.as_json()}}
    (server.cwd / "policy-requests.json").write_text(json.dumps(document), encoding="utf-8")
    # (on the page of a block just now: an old block page says nothing of requests)
    status, _, page = server.request("GET", "/blocked?" + signed_now(server.key))
    assert status == 200 and "A teacher is looking at it." in visible(page)
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


# -------------------------------------------------------------------------------- review limits

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NOT_SENT = "Your request was not sent"


def review_body(signed: str, message: str = "for a maths lesson on chance") -> bytes:
    return urlencode({"q": signed, "message": message}).encode()


def signed_now(key: bytes, **fields: Any) -> str:
    """A signed address as the helper makes it now (the server's own clock judges its age)."""
    unsigned = query(at=int(time.time()), **fields)
    return f"{unsigned}&sig={sign(key, unsigned)}"


def test_one_signed_address_takes_three_requests_then_a_kind_no(server: Server) -> None:
    signed = signed_now(server.key)
    answers = [server.request("POST", "/blocked", review_body(signed), FORM) for _ in range(6)]
    assert [status for status, _, _ in answers] == [303, 303, 303, 429, 429, 429]
    refused = visible(answers[3][2])
    assert NOT_SENT in refused
    assert "You have already asked for a review of this page" in refused
    assert "ask your teacher" in refused
    assert "Retry-After" not in answers[3][1]  # not later either: never, from this address
    assert len(list(read_reviews(server.cwd / "spool"))) == 3
    status, _, page = server.request("GET", "/blocked?" + signed)
    assert status == 200 and "<form" not in page  # the page no longer offers what would be refused
    assert "You have already asked for a review of this page." in visible(page)
    status, _, page = server.request("GET", "/blocked?" + signed_now(server.key, url="http://games.example/"))
    assert status == 200 and "<form" in page  # another block: another address
    code, stderr = server.stop()
    assert code == 0
    limit_lines = [line for line in stderr.splitlines() if "its limit" in line]
    assert limit_lines == [
        "schoolgate block-page: a block page address has been used for 3 review requests, its limit: "
        "more from it are refused"
    ]  # once, not once a request; and naming neither the pupil nor the site
    assert "ks2-amelia" not in stderr and "bet365" not in stderr


def test_a_huge_user_agent_is_cut(server: Server) -> None:
    headers = {**FORM, "User-Agent": "Mozilla/5.0 " + "A" * 60_000}
    status, _, _ = server.request("POST", "/blocked", review_body(signed_now(server.key)), headers)
    assert status == 303
    [review] = list(read_reviews(server.cwd / "spool"))
    assert review["user_agent"].startswith("Mozilla/5.0 AAAA")
    assert len(review["user_agent"]) == 512 and review["user_agent"].endswith("…")
    [path] = (server.cwd / "spool").glob("reviews-blockpage-*.jsonl")
    assert path.stat().st_size < 2048


def test_a_full_disk_says_not_sent_and_the_server_carries_on(school_dir: Path) -> None:
    """Past a file size limit, as on a full disk, a write goes through part of the way and then fails.
    The pupil is told "sent" only for a request that is whole on disk; the others get the not-sent
    page, and the server goes on answering."""
    server = Server(school_dir, file_size_limit=1000)
    try:
        answers = [
            server.request(
                "POST", "/blocked", review_body(signed_now(server.key, url=f"http://b{n}.example/")), FORM
            )
            for n in range(6)
        ]
        statuses = [status for status, _, _ in answers]
        assert statuses[0] == 303 and 503 in statuses
        sent = statuses.count(303)
        assert statuses == [303] * sent + [503] * (6 - sent)
        assert NOT_SENT in visible(answers[-1][2]) and "tell your teacher" in visible(answers[-1][2])
        [path] = (school_dir / "spool").glob("reviews-blockpage-*.jsonl")
        data = path.read_bytes()
        assert data.endswith(b"\n")
        assert len(list(read_reviews(path))) == sent == data.count(b"\n")  # every "sent" is whole on disk
        status, _, page = server.request("GET", "/blocked?reason=filter-unavailable")
        assert status == 200 and "could not check this page" in page
        code, stderr = server.stop()
        assert code == 0
        assert "cannot record a review request" in stderr
        assert "Traceback" not in stderr
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


@dataclass
class Served:
    """The block page application on the real threaded server, on 127.0.0.1, in this process (so that
    its clock can be held still: the limits count in hours of the wall clock)."""

    school: School
    port: int

    def post(self, signed: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/blocked", review_body(signed), {**FORM, **(headers or {})})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def get(self, signed: str) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/blocked?" + signed)
            return conn.getresponse().read().decode()
        finally:
            conn.close()

    def written(self) -> int:
        return len(list(read_reviews(self.school.spool))) if self.school.spool.exists() else 0

    def log_lines(self, words: str) -> list[str]:
        return [line for line in self.school.log.getvalue().splitlines() if words in line]


@contextmanager
def serving(tmp_path: Path, daily_bytes: int = DAILY_BYTES) -> Iterator[Served]:
    school = make_school(tmp_path)
    policy = load_policy(school.policy).policy
    reviews = ReviewWriter(school.spool, daily_bytes, clock=lambda: NOW)
    school.app = BlockPageApp(school.key, policy, reviews, now=lambda: NOW, log=school.log)
    server = make_server("127.0.0.1", 0, school.app, log=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(school, server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        reviews.close()


NOW = AT + 60
REST_OF_HOUR = str(3600 - NOW % 3600)


def test_one_pupil_takes_ten_an_hour(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        school = served.school
        for n in range(10):
            assert served.post(school.signed(url=f"http://b{n}.example/"))[0] == 303
        for n in range(10, 13):
            status, headers, page = served.post(school.signed(url=f"http://b{n}.example/"))
            assert status == 429 and headers["Retry-After"] == REST_OF_HOUR
            assert NOT_SENT in visible(page)
            assert (
                "A lot of requests have been sent by you or from your computer in the last hour"
                in visible(page)
            )
            assert "Ask your teacher" in visible(page)
        assert served.post(school.signed(who="ks2-ben"))[0] == 303  # another pupil is not held up
        assert served.written() == 11
        assert served.log_lines("the limit") == [
            "schoolgate block-page: one pupil or device has sent 10 review requests this hour, the limit: "
            "more from them are refused until the hour is over"
        ]


def test_the_server_takes_three_hundred_an_hour(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        school = served.school
        for n in range(300):
            status, _, _ = served.post(school.signed(who=f"pupil{n // 10}", url=f"http://b{n}.example/"))
            assert status == 303
        for n in range(3):
            status, headers, page = served.post(school.signed(who=f"new{n}"))
            assert status == 429 and headers["Retry-After"] == REST_OF_HOUR
            assert "The school has had a lot of requests in the last hour" in visible(page)
        assert served.written() == 300
        assert len(served.log_lines("300 review requests this hour, its limit")) == 1


def test_a_day_of_requests_has_a_limit_in_bytes(tmp_path: Path) -> None:
    with serving(tmp_path, daily_bytes=2000) as served:
        statuses = [served.post(served.school.signed(who=f"p{n}"))[0] for n in range(20)]
        assert statuses[0] == 303 and 429 in statuses
        sent = statuses.count(303)
        assert statuses == [303] * sent + [429] * (20 - sent)
        assert served.school.spool.joinpath(served.school.app.reviews.path.name).stat().st_size <= 2000
        status, headers, page = served.post(served.school.signed(who="another"))
        assert status == 429 and headers["Retry-After"] == str(86400 - NOW % 86400)
        assert "The school has had a lot of requests today" in visible(page)
        assert len(served.log_lines("daily limit of 2,000 bytes")) == 1


def test_a_block_more_than_a_week_old_takes_no_review(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        school = served.school
        old = school.signed(at=NOW - 8 * 24 * 3600)
        page = visible(served.get(old))
        assert "This message is old" in page and "To ask for a review, open the website again" in page
        assert "<form" not in served.get(old)
        status, headers, answer = served.post(old)
        assert status == 429 and "Retry-After" not in headers
        assert (
            "This block page is too old to ask for a review from. It is from Monday 23 November"
            in visible(answer)
        )
        ahead = school.signed(at=NOW + 2 * 24 * 3600)  # a helper whose clock is days ahead
        assert "<form" not in served.get(ahead)
        status, _, answer = served.post(ahead)
        assert status == 429 and "The time on this block page is not right" in visible(answer)
        assert served.post(school.signed(at=NOW - 6 * 24 * 3600))[0] == 303  # six days: still fresh
        assert served.written() == 1
        assert served.log_lines("limit") == []


def test_requests_from_many_threads_at_once_are_counted_exactly(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        signed = served.school.signed()
        statuses: list[int] = []
        start = threading.Barrier(12)

        def send() -> None:
            start.wait()
            statuses.append(served.post(signed)[0])

        threads = [threading.Thread(target=send) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [303] * 3 + [429] * 9
        assert served.written() == 3
