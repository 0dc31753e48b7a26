"""HTTPS with interception, through a real Squid configured by `schoolgate squid config --intercept`.

The school's CA is made by `schoolgate ca init`; it also issues the certificate of the test's HTTPS
origin (127.0.0.4:443, answering to every test name), which Squid trusts through `--trust-ca`. The
client trusts only the school's CA, as a school device does.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from schoolgate.activity.spool import read_events
from tests.gateways.squid.conftest import (
    PASSWORDS,
    SQUID,
    SQUID_USER,
    Origin,
    _let_proxy_user_run_python,
    _OriginHandler,
    start_squid,
    stop_squid,
    write_passwords,
)
from tests.school import compile_index, run_schoolgate
from tests.servers import free_port

CERTGEN = "/usr/lib/squid/security_file_certgen"
TLS_ORIGIN = "127.0.0.4"
NAMES = [
    "www.google.com",
    "www.youtube.com",
    "secure.school.test",
    "health.test",
    "bet.test",
    "staff.school.test",
]

POLICY = """
schema_version = 1

[school]
name = "Interception Test Primary"
timezone = "Europe/London"
block_page = "http://blocked.test/blocked"

[lists.gambling]
format = "domains"
path = "gambling.txt"

[groups.default]
default = "block"

[groups.ks2]
default = "allow"
safe_search = true
youtube = "strict"

[groups.staff]
default = "allow"
safe_search = false
youtube = "moderate"

[[identities]]
group = "ks2"
users = ["ks2-amelia"]

[[identities]]
group = "staff"
users = ["mr.patel"]

[categories.gambling]
sources = ["gambling"]
uksic = "gambling"

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"

[[rules]]
name = "not the staff room pages"
groups = ["ks2"]
urls = ["secure.school.test/staff-room"]
action = "block"

[[rules]]
name = "not the staff site"
groups = ["ks2"]
domains = ["staff.school.test"]
action = "block"
"""


@dataclass
class BumpingProxy:
    port: int
    work: Path
    spool: Path
    ca_cert: Path
    origin_cert: bytes  # DER: what the origin itself shows
    process: subprocess.Popen[bytes]

    def get(self, host: str, path: str, user: str, headers: dict[str, str] | None = None) -> Fetched:
        """GET https://host/path through the proxy, trusting only the school's CA."""
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=20, context=context)
        token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
        connection.set_tunnel(host, 443, headers={"Proxy-Authorization": f"Basic {token}"})
        try:
            connection.request("GET", path, headers=headers or {})
            assert isinstance(connection.sock, ssl.SSLSocket)
            peer = connection.sock.getpeercert(binary_form=True)
            response = connection.getresponse()
            return Fetched(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(), peer
            )
        finally:
            connection.close()


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes
    peer_cert: bytes | None


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext) -> None:
        super().__init__(address, _OriginHandler)
        self.context = context

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address


@pytest.fixture(scope="module")
def tls_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Origin, Path]]:
    """The CA (made by `schoolgate ca init`) and an HTTPS origin whose certificate it issued."""
    ca_dir = tmp_path_factory.mktemp("school-ca") / "ca"
    run_schoolgate("ca", "init", "--dir", str(ca_dir), "--school", "Interception Test Primary")
    run_schoolgate("ca", "issue", *NAMES, "--dir", str(ca_dir), "--out", str(ca_dir / "origin"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(ca_dir / "origin.pem"), str(ca_dir / "origin.key"))
    ThreadingHTTPServer.allow_reuse_address = True
    server = _TLSServer((TLS_ORIGIN, 443), context)
    state = Origin(443)
    server.origin = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, ca_dir
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxy(tls_origin: tuple[Origin, Path]) -> Iterator[BumpingProxy]:
    yield from _squid(tls_origin, "--intercept")


@pytest.fixture(scope="module")
def peeking_proxy(tls_origin: tuple[Origin, Path]) -> Iterator[BumpingProxy]:
    yield from _squid(tls_origin, "--peek")


def _squid(tls_origin: tuple[Origin, Path], https: str) -> Iterator[BumpingProxy]:
    """A Squid for the test school, with HTTPS interception (`--intercept`) or SNI checks (`--peek`)."""
    if not Path(SQUID).exists() or not Path(CERTGEN).exists():
        pytest.fail("Squid with TLS is not installed: `scripts/setup.sh squid-openssl` installs it")
    _, ca_dir = tls_origin
    restore: list[tuple[Path, int]] = []
    work = Path(tempfile.mkdtemp(prefix="schoolgate-bump-"))
    process = None
    try:
        _let_proxy_user_run_python(restore)
        os.chmod(work, 0o755)
        ca = work / "ca"
        shutil.copytree(ca_dir, ca)
        shutil.chown(ca / "ca.key", group=SQUID_USER)
        spool = work / "spool"
        spool.mkdir()
        os.chmod(spool, 0o777)
        state = work / "state"
        state.mkdir()
        shutil.chown(state, SQUID_USER, SQUID_USER)
        subprocess.run(
            [CERTGEN, "-c", "-s", str(state / "ssl_db"), "-M", "16MB"], check=True, capture_output=True
        )
        subprocess.run(["chown", "-R", f"{SQUID_USER}:{SQUID_USER}", str(state / "ssl_db")], check=True)
        (work / "gambling.txt").write_text("bet.test\n")
        policy = work / "policy.toml"
        policy.write_text(POLICY)
        index = work / "lists.sgidx"
        compile_index(policy, index)
        os.chmod(index, 0o644)
        key = work / "block-page.key"
        run_schoolgate("block-page", "key", str(key))
        os.chmod(key, 0o644)
        passwords = write_passwords(work / "passwords")
        hosts = work / "hosts"
        hosts.write_text(f"{TLS_ORIGIN} {' '.join(NAMES)}\n127.0.0.1 blocked.test\n")
        os.chmod(hosts, 0o644)
        nobump = work / "nobump.txt"
        nobump.write_text("# health sites\n.health.test\n")
        os.chmod(nobump, 0o644)
        port = free_port()
        conf = work / "squid.conf"
        run_schoolgate(
            "squid", "config", "--policy", str(policy), "--index", str(index), "--spool", str(spool),
            "--listen", f"127.0.0.1:{port}", "--network", "127.0.0.0/8", "--auth", "basic",
            "--passwords", str(passwords), "--state-dir", str(state), "--hosts-file", str(hosts),
            "--children", "2", "--concurrency", "4", "--block-page-key", str(key),
            https, str(ca), "--trust-ca", str(ca / "ca.pem"),
            *(["--nobump", str(nobump)] if https == "--intercept" else []),
            "--output", str(conf),
        )  # fmt: skip
        process = start_squid(conf, state, port)
        origin_cert = ssl.PEM_cert_to_DER_cert((ca_dir / "origin.pem").read_text())
        yield BumpingProxy(port, work, spool, ca / "ca.pem", origin_cert, process)
    finally:
        stop_squid(process)
        for directory, mode in reversed(restore):
            os.chmod(directory, mode)
        shutil.rmtree(work, ignore_errors=True)


def seen(origin: Origin, host: str, path_start: str) -> list[str]:
    return [s.path for s in origin.seen if s.host == host and s.path.startswith(path_start)]


def test_an_allowed_https_page_is_fetched_through_the_school_ca(
    proxy: BumpingProxy, tls_origin: tuple[Origin, Path]
) -> None:
    got = proxy.get("secure.school.test", "/timetable", "ks2-amelia")
    assert got.status == 200
    assert got.body == b"origin says hello to secure.school.test/timetable"
    assert got.peer_cert != proxy.origin_cert  # Squid's certificate for the site, not the site's own


def test_a_blocked_path_on_an_allowed_https_site_gets_the_block_page(
    proxy: BumpingProxy, tls_origin: tuple[Origin, Path]
) -> None:
    origin, _ = tls_origin
    got = proxy.get("secure.school.test", "/staff-room/minutes", "ks2-amelia")
    assert got.status == 302
    location = urlsplit(got.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://blocked.test/blocked"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["reason"] == "rule"
    assert query["rule"] == "2"
    assert query["who"] == "ks2-amelia"
    assert base64.urlsafe_b64decode(query["url64"] + "==") == b"https://secure.school.test/staff-room/minutes"
    assert "sig" in query
    assert seen(origin, "secure.school.test", "/staff-room") == []  # never reached the site
    # Staff may.
    assert proxy.get("secure.school.test", "/staff-room/minutes", "mr.patel").status == 200


def test_google_search_gets_safe_search_for_pupils(
    proxy: BumpingProxy, tls_origin: tuple[Origin, Path]
) -> None:
    origin, _ = tls_origin
    assert proxy.get("www.google.com", "/search?q=cats&safe=off", "ks2-amelia").status == 200
    assert seen(origin, "www.google.com", "/search?q=cats") == ["/search?q=cats&safe=active"]
    # Staff's group has safe search off: the search goes as it was asked.
    assert proxy.get("www.google.com", "/search?q=dogs", "mr.patel").status == 200
    assert seen(origin, "www.google.com", "/search?q=dogs") == ["/search?q=dogs"]


def test_the_search_term_is_in_the_spool_over_https(proxy: BumpingProxy) -> None:
    proxy.get("www.google.com", "/search?q=how+to+spell+necessary", "ks2-amelia")
    deadline = time.monotonic() + 10
    while True:
        events = [e for f in sorted(proxy.spool.glob("*.jsonl*")) for e in read_events(f)]
        found = [e for e in events if "necessary" in str(e["url"])]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    [event] = found
    assert event["url"] == "https://www.google.com/search?q=how+to+spell+necessary"
    assert event["user"] == "ks2-amelia"
    assert event["verdict"] == "allow"


def test_youtube_requests_carry_the_group_s_restriction(
    proxy: BumpingProxy, tls_origin: tuple[Origin, Path]
) -> None:
    origin, _ = tls_origin
    proxy.get("www.youtube.com", "/watch?v=pupil", "ks2-amelia", headers={"YouTube-Restrict": "Off"})
    proxy.get("www.youtube.com", "/watch?v=staff", "mr.patel")
    restrict = {
        s.path: [v for k, v in s.headers.items() if k.lower() == "youtube-restrict"]
        for s in origin.seen
        if s.host == "www.youtube.com"
    }
    assert restrict["/watch?v=pupil"] == ["Strict"]  # the pupil's own "Off" was dropped
    assert restrict["/watch?v=staff"] == ["Moderate"]


def test_a_nobump_site_is_not_opened(proxy: BumpingProxy, tls_origin: tuple[Origin, Path]) -> None:
    got = proxy.get("health.test", "/appointments", "ks2-amelia")
    assert got.status == 200
    assert got.peer_cert == proxy.origin_cert  # the site's own certificate: Squid did not open it


def test_a_blocked_https_site_is_refused(proxy: BumpingProxy, tls_origin: tuple[Origin, Path]) -> None:
    origin, _ = tls_origin
    with pytest.raises(OSError):
        proxy.get("bet.test", "/odds", "ks2-amelia")
    assert seen(origin, "bet.test", "/") == []


def tunnel(proxy: BumpingProxy, address: str, user: str = "ks2-amelia") -> socket.socket:
    """A CONNECT tunnel to `address`:443 for `user`, once the proxy has said 200."""
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=20)
    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
    sock.sendall(
        f"CONNECT {address}:443 HTTP/1.1\r\nHost: {address}:443\r\n"
        f"Proxy-Authorization: Basic {token}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def tls_through(proxy: BumpingProxy, address: str, server_name: str | None) -> bytes:
    """CONNECT to a bare address, then TLS with `server_name` in the hello; the page / answers."""
    sock = tunnel(proxy, address)
    try:
        context = ssl.create_default_context(cafile=str(proxy.ca_cert))
        if server_name is None:  # a hello without a site name
            context.check_hostname = False
        with context.wrap_socket(sock, server_hostname=server_name) as tls:
            tls.sendall(f"GET / HTTP/1.0\r\nHost: {server_name}\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):  # HTTP/1.0: the server closes when it has answered
                answer += chunk
            return answer
    finally:
        sock.close()


def test_without_interception_the_tls_hello_s_site_name_is_checked(
    peeking_proxy: BumpingProxy, tls_origin: tuple[Origin, Path]
) -> None:
    """A CONNECT to a bare address is allowed by address; the name in the TLS hello then decides."""
    assert b"origin says hello to secure.school.test/" in tls_through(
        peeking_proxy, TLS_ORIGIN, "secure.school.test"
    )
    origin, _ = tls_origin
    before = len(origin.seen)
    # Squid closes the connection before the TLS handshake ends (not a timeout: that would fail here).
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        tls_through(peeking_proxy, TLS_ORIGIN, "bet.test")
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):  # no name: no way to know
        tls_through(peeking_proxy, TLS_ORIGIN, None)
    assert len(origin.seen) == before  # neither reached the site


def test_without_interception_an_allowed_https_site_keeps_its_own_certificate(
    peeking_proxy: BumpingProxy,
) -> None:
    got = peeking_proxy.get("secure.school.test", "/", "ks2-amelia")
    assert got.status == 200
    assert got.peer_cert == peeking_proxy.origin_cert


def test_a_nobump_name_in_front_of_a_bare_address_is_opened(proxy: BumpingProxy) -> None:
    """A tool that puts a health site's name in its TLS hello while connecting to an address that no
    list names: the connection is opened (Squid's own certificate) and filtered like any other."""
    context = ssl.create_default_context(cafile=str(proxy.ca_cert))
    sock = tunnel(proxy, TLS_ORIGIN)
    try:
        with context.wrap_socket(sock, server_hostname="health.test") as tls:
            assert tls.getpeercert(binary_form=True) != proxy.origin_cert  # opened, not spliced
    finally:
        sock.close()


def test_a_site_whose_reverse_name_is_the_block_page_s_is_still_filtered(proxy: BumpingProxy) -> None:
    """The block page is let through unfiltered; an address whose reverse DNS name is the block page's
    (here 127.0.0.1, named blocked.test in Squid's hosts file) must not be."""
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=20)
    token = base64.b64encode(f"stranger:{PASSWORDS['stranger']}".encode()).decode()
    try:
        connection.request(
            "GET", "http://127.0.0.1/secret", headers={"Proxy-Authorization": f"Basic {token}"}
        )
        response = connection.getresponse()
        assert response.status == 302  # the helper decided: the default group, which blocks
        assert "reason=group-default" in (response.getheader("Location") or "")
    finally:
        connection.close()


def client_hello(server_name: bytes) -> bytes:
    """A TLS hello, as Python's own, with any bytes for its site name (Python would refuse these)."""
    stand_in = bytes(b"."[0] if n % 40 == 39 else b"x"[0] for n in range(len(server_name)))  # labels < 64
    context = ssl.create_default_context()
    context.check_hostname = False
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=stand_in.decode())
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert hello.count(stand_in) == 1
    return hello.replace(stand_in, server_name)


def first_answer_to_hello(proxy: BumpingProxy, server_name: bytes, user: str = "ks2-amelia") -> bytes:
    """What comes back to a TLS hello naming `server_name` sent through a tunnel to the TLS origin: the
    site's own TLS answer when Squid let the connection through, nothing when it closed it."""
    sock = tunnel(proxy, TLS_ORIGIN, user)
    try:
        sock.sendall(client_hello(server_name))
        try:
            return sock.recv(5)
        except ConnectionResetError:
            return b""
    finally:
        sock.close()


TLS_HANDSHAKE = b"\x16\x03"


@pytest.mark.parametrize("separator", [" ", "\u2028", "\xa0", "\x0b"], ids=["space", "U+2028", "NBSP", "VT"])
def test_a_tls_hello_s_site_name_cannot_pose_as_the_client_and_user(
    peeking_proxy: BumpingProxy, separator: str
) -> None:
    """A TLS hello's site name is whatever the client writes in it. One that holds a client, a user (a
    member of staff) and a method is still decided, and recorded, for the pupil whose connection it is."""
    # The staff site: closed to the pupil, open to staff (and the check itself can tell them apart).
    assert first_answer_to_hello(peeking_proxy, b"staff.school.test", "mr.patel").startswith(TLS_HANDSHAKE)
    assert first_answer_to_hello(peeking_proxy, b"staff.school.test") == b""
    marker = f"posing-{ord(separator):04x}"
    name = f"staff.school.test{separator}127.0.0.9{separator}mr.patel{separator}CONNECT{separator}{marker}"
    assert first_answer_to_hello(peeking_proxy, name.encode()) == b""
    deadline = time.monotonic() + 10
    while not (found := [e for e in spool_events(peeking_proxy) if marker in str(e["url"])]):
        assert time.monotonic() < deadline, "the site name was not recorded"
        time.sleep(0.1)
    [event] = found
    assert (event["url"], event["ip"], event["verdict"]) == (name, "127.0.0.1", "block")
    assert event.get("user") == "ks2-amelia"


def spool_events(proxy: BumpingProxy) -> list[dict[str, object]]:
    return [e for f in sorted(proxy.spool.glob("*.jsonl*")) for e in read_events(f)]
