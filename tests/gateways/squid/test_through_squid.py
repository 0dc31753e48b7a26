"""Filtering real traffic through a real Squid configured by `schoolgate squid config`."""

from __future__ import annotations

import base64
import os
import signal
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from schoolgate.activity.spool import read_events
from schoolgate.gateways.blockpage.signing import load_key, verify
from tests.gateways.squid.conftest import CLASS_DEVICE, PASSWORDS, Origin, Proxy, write_policy


def block_reason(headers: dict[str, str], proxy: Proxy) -> dict[str, str]:
    """The block page redirect's parameters (one value each)."""
    location = headers["location"]
    assert location.startswith(proxy.block_page + "?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def events(proxy: Proxy) -> list[dict[str, object]]:
    found = []
    for file in sorted(proxy.spool.glob("*.jsonl*")):
        found += list(read_events(file))
    return found


def test_an_allowed_site_is_fetched_through_the_proxy(proxy: Proxy, origin: Origin) -> None:
    url = f"http://school.test:{origin.port}/timetable"
    status, _, body = proxy.request(url, user="ks2-amelia")
    assert status == 200
    assert body == f"origin says hello to school.test:{origin.port}/timetable".encode()


def test_a_blocked_site_is_sent_to_the_block_page_with_its_reason(proxy: Proxy, origin: Origin) -> None:
    before = len(origin.seen)
    status, headers, _ = proxy.request(f"http://bet.test:{origin.port}/odds", user="mr.patel")
    assert status == 302
    reason = block_reason(headers, proxy)
    assert reason["reason"] == "rule"
    assert reason["group"] == "staff"
    assert reason["category"] == "gambling"
    assert len(origin.seen) == before  # the origin never saw it


def test_a_ks2_pupil_is_blocked_from_games_in_lessons_and_staff_are_not(proxy: Proxy, origin: Origin) -> None:
    url = f"http://games.test:{origin.port}/play"
    status, headers, _ = proxy.request(url, user="ks2-amelia")
    assert status == 302
    reason = block_reason(headers, proxy)
    assert reason | {"url64": "", "at": "", "sig": ""} == {
        "reason": "rule",
        "group": "ks2",
        "category": "games",
        "rule": "3",
        "url64": "",
        "who": "ks2-amelia",
        "at": "",
        "sig": "",
    }
    assert abs(int(reason["at"]) - time.time()) < 60
    query = urlsplit(headers["location"]).query
    assert verify(load_key(proxy.work / "block-page.key"), query)  # signed: the block page can trust it
    status, _, _ = proxy.request(url, user="mr.patel")
    assert status == 200


def test_a_user_the_policy_does_not_know_gets_the_default_group(proxy: Proxy, origin: Origin) -> None:
    status, headers, _ = proxy.request(f"http://other.test:{origin.port}/", user="stranger")
    assert status == 302
    assert block_reason(headers, proxy)["group"] == "default"
    assert block_reason(headers, proxy)["reason"] == "group-default"
    # ...who may still reach what everyone may.
    status, _, _ = proxy.request(f"http://school.test:{origin.port}/", user="stranger")
    assert status == 200


def test_a_login_is_asked_for_except_from_class_devices(proxy: Proxy, origin: Origin) -> None:
    status, headers, _ = proxy.request(f"http://school.test:{origin.port}/")
    assert status == 407
    assert "basic" in headers["proxy-authenticate"].lower()
    # A class device (identified by address) needs none, and gets its group.
    status, _, _ = proxy.request(f"http://games.test:{origin.port}/", source=CLASS_DEVICE)
    assert status == 200
    status, headers, _ = proxy.request(f"http://bet.test:{origin.port}/", source=CLASS_DEVICE)
    assert status == 302
    assert block_reason(headers, proxy)["group"] == "ks1"


def test_a_wrong_password_is_refused(proxy: Proxy, origin: Origin) -> None:
    import base64
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=20)
    token = base64.b64encode(b"ks2-amelia:not-her-password").decode()
    connection.request(
        "GET", f"http://school.test:{origin.port}/", headers={"Proxy-Authorization": f"Basic {token}"}
    )
    assert connection.getresponse().status == 407
    connection.close()


def test_https_without_interception_is_filtered_by_host(proxy: Proxy) -> None:
    status, reply = proxy.connect("allowed.test", user="ks2-amelia")
    assert status == 200
    assert reply == b"echo:hello"  # the tunnel reaches the site
    status, _ = proxy.connect("bet.test", user="ks2-amelia")
    assert status != 200  # refused: no tunnel to a blocked host


def test_every_decision_is_in_the_spool_with_who_and_what(proxy: Proxy, origin: Origin) -> None:
    proxy.request(f"http://bet.test:{origin.port}/spooled", user="ks2-amelia")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [e for e in events(proxy) if str(e["url"]).endswith("/spooled")]
        if found:
            break
        time.sleep(0.1)
    [event] = found
    assert event["user"] == "ks2-amelia"
    assert event["ip"] == "127.0.0.1"
    assert event["verdict"] == "block"
    assert event["category"] == "gambling"
    assert event["group"] == "ks2"
    assert event["host"] == "bet.test"
    assert event["method"] == "GET"


def raw_request(proxy: Proxy, target: bytes, user: str) -> int:
    """A GET whose request line goes to Squid byte for byte (http.client would refuse these); its status."""
    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode())
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=20) as s:
        s.sendall(
            b"GET " + target + b" HTTP/1.1\r\nHost: games.test\r\nProxy-Authorization: Basic " + token
            + b"\r\nConnection: close\r\n\r\n"
        )  # fmt: skip
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            assert chunk, head
            head += chunk
    return int(head.split(b" ", 2)[1])


def events_for(proxy: Proxy, marker: str) -> list[dict[str, object]]:
    """The spool's events whose URL holds `marker`, once there are some (the helper writes them before it
    answers; the wait is for the file, not the event)."""
    deadline = time.monotonic() + 10
    while not (found := [e for e in events(proxy) if marker in str(e["url"])]):
        assert time.monotonic() < deadline, f"no event for {marker}"
        time.sleep(0.1)
    return found


# What Squid passes on inside a URL's path as it came (those it refuses, \x1c-\x1f and the like, never
# reach the helper), each of which is white space to Unicode: it must not separate the helper's fields.
URL_TRICKS = ["\u2028", "\xa0", "\x85", "\x0b", "\x0c", "\u3000", "\u1680", "\u2029", "\u205f"]


@pytest.mark.parametrize("char", URL_TRICKS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_url_cannot_pose_as_the_client_and_user_it_is_decided_for(
    proxy: Proxy, origin: Origin, char: str
) -> None:
    """A KS2 pupil may not play games in lessons; staff may. A request whose path holds a client, a user
    (a member of staff) and a method, separated by a character that is white space to Unicode, is still
    decided, and recorded, for the pupil who sent it."""
    marker = f"trick-{ord(char):04x}-"
    path = f"/{marker}{char}10.9.9.9/forged-pc{char}mr.patel{char}GET"
    target = f"http://games.test:{origin.port}{path}".encode()
    assert raw_request(proxy, target, "ks2-amelia") == 302
    assert not [line for line in origin.request_lines if marker.encode() in line]  # never reached the site
    [event] = events_for(proxy, marker)
    assert (event["user"], event["ip"], event["verdict"], event["group"]) == (
        "ks2-amelia",
        "127.0.0.1",
        "block",
        "ks2",
    )
    assert event.get("device") != "forged-pc"
    assert event["url"] == target.decode()


def test_a_published_policy_reaches_the_helpers_without_a_restart(proxy: Proxy, origin: Origin) -> None:
    """Lunchtime: the new policy moves the present minute out of lessons; amelia may play. Requests
    keep flowing while it is published and none fails."""
    url = f"http://games.test:{origin.port}/play"
    failures: list[object] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                status, _, _ = proxy.request(f"http://school.test:{origin.port}/load", user="mr.patel")
                if status != 200:
                    failures.append(status)
            except Exception as exc:  # recorded, and the test says what it was
                failures.append(repr(exc))

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert proxy.request(url, user="ks2-amelia")[0] == 302
        write_policy(proxy.policy, proxy.block_page, lessons_now=False)
        deadline = time.monotonic() + 20
        while proxy.request(url, user="ks2-amelia")[0] != 200:
            assert time.monotonic() < deadline, "the helpers did not take up the new policy"
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        write_policy(proxy.policy, proxy.block_page, lessons_now=True)
    assert failures == []


def cache_log(proxy: Proxy) -> str:
    return (proxy.work / "state" / "cache.log").read_text(errors="replace")


def running_helpers(proxy: Proxy, at_least: int = 1) -> list[int]:
    """The helpers' process ids, once there are `at_least`: Squid starts them as requests need them."""
    deadline = time.monotonic() + 15
    while len(running := proxy.helpers()) < at_least:
        assert proxy.process.poll() is None, f"Squid stopped:\n{cache_log(proxy)[-3000:]}"
        assert time.monotonic() < deadline, (
            f"fewer than {at_least} helpers: {running}\n{cache_log(proxy)[-3000:]}"
        )
        time.sleep(0.1)
    return running


# Squid 5.7 (Debian 12) has a bug of its own here: when a helper dies while Squid is writing a request
# to it, Squid's worker process sometimes aborts ("assertion failed: Write.cc:40"). Squid's master
# process, which is how Debian's service runs Squid and how these tests run it, starts a new worker at
# once; while it does, new connections are refused and those open are closed.
SQUID_WORKER_ABORT = "assertion failed: Write.cc:"


def test_a_killed_helper_is_restarted_and_requests_keep_being_answered(proxy: Proxy, origin: Origin) -> None:
    """Helpers are killed while requests flow. No request reaches the site unfiltered, Squid starts
    new helpers, and requests are answered again."""
    assert proxy.request(f"http://school.test:{origin.port}/", user="mr.patel")[0] == 200
    reached = len([seen for seen in origin.seen if seen.host.startswith("bet.test")])
    results: list[object] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                status, headers, _ = proxy.request(f"http://bet.test:{origin.port}/", user="mr.patel")
                results.append((status, block_reason(headers, proxy)["reason"] if status == 302 else None))
            except Exception as exc:  # recorded, and the test says what it was
                results.append(type(exc).__name__)
                time.sleep(0.05)

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    killed: list[int] = []
    try:
        for _ in range(3):  # a helper dies, then another, seconds apart, while requests flow
            time.sleep(1.5)
            victim = running_helpers(proxy, at_least=2)[0]  # under load Squid keeps a spare
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    log = cache_log(proxy)
    assert proxy.process.poll() is None, f"Squid stopped:\n{log[-2000:]}"
    assert set(running_helpers(proxy)) - set(killed), "Squid did not start new helpers"
    # None went through: not one reached the site...
    assert len([seen for seen in origin.seen if seen.host.startswith("bet.test")]) == reached
    # ...each got the filter's answer or, if its helper died with it, a refusal that says the filter
    # was not available (Squid on its own would have let it through); a failed connection only while
    # Squid's worker was being restarted.
    answered = {(302, "rule"), (302, "filter-unavailable")}
    assert (302, "rule") in results
    if SQUID_WORKER_ABORT in log:
        answered |= {
            "ConnectionRefusedError",
            "ConnectionResetError",
            "RemoteDisconnected",
            "BrokenPipeError",
        }
    assert set(results) <= answered, (set(results) - answered, log[-2000:])
    deadline = time.monotonic() + 20
    while True:  # and requests are answered again
        try:
            if proxy.request(f"http://bet.test:{origin.port}/", user="mr.patel")[0] == 302:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, f"Squid answers no more requests:\n{cache_log(proxy)[-2000:]}"
        time.sleep(0.2)


def test_the_generated_configuration_is_what_squid_runs(proxy: Proxy) -> None:
    text = Path(proxy.work / "squid.conf").read_text()
    assert "url_rewrite_bypass off" in text
    assert "concurrency=2" in text
