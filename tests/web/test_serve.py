"""`schoolgate web serve` as a school runs it: waitress on 127.0.0.1 behind a real nginx that ends
TLS, started by the test with its own configuration (nginx must be installed: `make test` installs
Debian's; a missing nginx fails these tests, it does not skip them).

Loopback has many addresses: nginx reaches waitress from PROXY, the trusted proxy; browsers come from
CLIENT and OTHER_CLIENT, so the test can tell whose address the application sees."""

from __future__ import annotations

import http.client
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.timeout(180)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SCHOOLGATE = [sys.executable, "-m", "schoolgate.cli"]
PROXY = "127.0.0.7"
CLIENT = "127.0.0.9"
OTHER_CLIENT = "127.0.0.10"
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(data: Path, https: bool, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(
        SCHOOLGATE_DATA=str(data),
        SCHOOLGATE_HTTPS="1" if https else "0",
        SCHOOLGATE_ALLOWED_HOSTS="127.0.0.1",
        TMPDIR=str(data / "tmp"),  # where waitress and Django would put a body's temporary files
        **extra,
    )
    return env


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    data: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def serve(data: Path, https: bool, *args: str) -> Served:
    """`schoolgate web serve` on a free port of 127.0.0.1, once it says where it listens."""
    log = data / f"serve-{'https' if https else 'http'}.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*SCHOOLGATE, "web", "serve", "--listen", "127.0.0.1:0", "--threads", "4", *args],
            env=environment(data, https),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 120)  # migrating a new database first
    line = process.stdout.readline() if ready else ""
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if found is None:
        process.kill()
        process.wait()
        pytest.fail(f"schoolgate web serve did not start: {line!r} {log.read_text()[-3000:]}")
    return Served(process, int(found.group(1)), data)


NGINX_CONF = """\
daemon off;
master_process off;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {work}/web.pem;
        ssl_certificate_key {work}/web.key;
        client_max_body_size 21m;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_bind {proxy};
            # What docs/web.md asks of the school's proxy. ($http_host keeps this test's port.)
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    port: int
    tls: ssl.SSLContext


def start_nginx(work: Path, upstream: int) -> Nginx:
    assert Path(NGINX).exists(), f"{NGINX} is missing: install Debian's nginx (make test does)"
    for made in (
        [*SCHOOLGATE, "ca", "init", "--dir", str(work / "ca"), "--school", "Serve Test Primary"],
        [*SCHOOLGATE, "ca", "issue", "--dir", str(work / "ca"), "--out", str(work / "web"), "127.0.0.1"],
    ):
        subprocess.run(made, check=True, capture_output=True, timeout=60)
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=port, upstream=upstream, proxy=PROXY))
    command = [NGINX, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nginx did not start: {(work / 'error.log').read_text()[-3000:]}")
            time.sleep(0.1)
    return Nginx(process, port, ssl.create_default_context(cafile=str(work / "ca" / "ca.pem")))


def stop_nginx(nginx: Nginx) -> None:
    nginx.process.send_signal(signal.SIGQUIT)
    try:
        nginx.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        nginx.process.kill()
        nginx.process.wait()


@dataclass
class Site:
    """The HTTPS server behind nginx, and a plain HTTP one on the same database trusting the same
    proxy (so that a client that is not the proxy can reach a page and be seen)."""

    https: Served
    plain: Served
    nginx: Nginx
    data: Path

    def failures(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.data / "schoolgate.sqlite3") as db:
            return db.execute("SELECT username, address FROM accounts_loginfailure ORDER BY id").fetchall()

    def audit_reasons(self) -> list[str]:
        with sqlite3.connect(self.data / "schoolgate.sqlite3") as db:
            rows = db.execute("SELECT reason FROM audit_auditentry WHERE action = 'login-failed' ORDER BY id")
            return [r[0] for r in rows]

    def forget_failures(self) -> None:
        with sqlite3.connect(self.data / "schoolgate.sqlite3") as db:
            db.execute("DELETE FROM accounts_loginfailure")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("serve")
    (data / "tmp").mkdir()
    https = serve(data, True, "--trusted-proxy", PROXY)
    plain = serve(data, False, "--trusted-proxy", PROXY, "--no-migrate")
    nginx = start_nginx(tmp_path_factory.mktemp("nginx"), https.port)
    yield Site(https, plain, nginx, data)
    stop_nginx(nginx)
    https.stop()
    plain.stop()


Answer = tuple[int, dict[str, str], str]
Ask = Callable[..., Answer]


def through_proxy(site: Site, method: str, path: str, source: str = CLIENT, **kwargs: object) -> Answer:
    conn = http.client.HTTPSConnection(
        "127.0.0.1", site.nginx.port, context=site.nginx.tls, timeout=30, source_address=(source, 0)
    )
    return _ask(conn, method, path, **kwargs)


def direct(server: Served, method: str, path: str, source: str = CLIENT, **kwargs: object) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30, source_address=(source, 0))
    return _ask(conn, method, path, **kwargs)


def _ask(conn: http.client.HTTPConnection, method: str, path: str, **kwargs: object) -> Answer:
    try:
        conn.request(method, path, **kwargs)  # type: ignore[arg-type]
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        conn.close()


def wrong_password(ask: Ask, origin: str, **headers: str) -> Answer:
    """The login page, then a wrong password for `dsl.jones` sent from it, as a browser does."""
    status, answer_headers, page = ask("GET", "/login/", headers=headers)
    assert status == 200, (status, answer_headers, page[:500])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    cookie = re.search(r"csrftoken=([^;]+)", answer_headers["set-cookie"])
    assert token is not None and cookie is not None
    form = urlencode({"csrfmiddlewaretoken": token.group(1), "username": "dsl.jones", "password": "wrong"})
    sent = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookie.group(1)}",
        "Origin": origin,
        "Referer": f"{origin}/login/",
        **headers,
    }
    return ask("POST", "/login/", body=form, headers=sent)


# ------------------------------------------------------------------------------- behind the proxy


def test_https_through_the_proxy_does_not_redirect_in_a_loop(site: Site) -> None:
    status, headers, page = through_proxy(site, "GET", "/login/")
    assert status == 200, (status, headers.get("location"))
    assert "Log in" in page
    assert headers["strict-transport-security"].startswith("max-age=")
    assert "; secure" in headers["set-cookie"].lower()
    assert headers["cache-control"] == "no-store, private"
    assert headers["content-security-policy"].startswith("default-src 'self'")


def test_failures_through_the_proxy_carry_the_clients_address_and_lock_out_only_that_client(
    site: Site,
) -> None:
    site.forget_failures()
    origin = f"https://127.0.0.1:{site.nginx.port}"

    def client(method: str, path: str, **kwargs: object) -> Answer:
        return through_proxy(site, method, path, CLIENT, **kwargs)

    # The browser's own X-Forwarded-For is a claim: nginx adds the address it really came from.
    status, _, page = wrong_password(client, origin, **{"X-Forwarded-For": "10.66.6.6"})
    assert status == 200 and "user name or password is not right" in page
    assert site.failures() == [("dsl.jones", CLIENT)]
    assert site.audit_reasons()[-1] == f"wrong user name or password, from {CLIENT}"
    for _ in range(4):
        wrong_password(client, origin)
    status, _, page = wrong_password(client, origin)
    assert status == 429 and "Too many attempts" in page
    # Everyone else in the school comes through the same proxy, and is not locked out.

    def other(method: str, path: str, **kwargs: object) -> Answer:
        return through_proxy(site, method, path, OTHER_CLIENT, **kwargs)

    status, _, page = wrong_password(other, origin)
    assert status == 200 and "user name or password is not right" in page
    assert {address for _, address in site.failures()} == {CLIENT, OTHER_CLIENT}


# -------------------------------------------------------------------------- not through the proxy


def test_a_client_that_is_not_the_proxy_cannot_claim_https(site: Site) -> None:
    status, headers, _ = direct(
        site.https, "GET", "/login/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.66.6.6"}
    )
    assert status == 301 and headers["location"] == f"https://127.0.0.1:{site.https.port}/login/"


def test_a_client_that_is_not_the_proxy_cannot_choose_its_address(site: Site) -> None:
    site.forget_failures()
    origin = f"http://127.0.0.1:{site.plain.port}"

    def client(method: str, path: str, **kwargs: object) -> Answer:
        return direct(site.plain, method, path, CLIENT, **kwargs)

    status, _, _ = wrong_password(client, origin, **{"X-Forwarded-For": "10.66.6.6"})
    assert status == 200
    assert site.failures() == [("dsl.jones", CLIENT)]


def test_the_proxy_must_say_whose_request_it_is(site: Site) -> None:
    """A proxy set up without X-Forwarded-For would make every user the proxy: refused, and said."""
    status, _, text = direct(site.https, "GET", "/login/", PROXY, headers={"X-Forwarded-Proto": "https"})
    assert status == 400 and "did not send X-Forwarded-For" in text
    status, _, text = direct(site.https, "GET", "/login/", PROXY, headers={"X-Forwarded-For": CLIENT})
    assert status == 400 and "did not send X-Forwarded-Proto" in text


# ------------------------------------------------------------------------------------ large bodies


def test_a_200_mb_upload_is_refused_before_it_is_read(site: Site) -> None:
    head = (
        "POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {200 * MB}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", site.plain.port), timeout=30) as s:
        s.sendall(head.encode())  # the headers alone: the answer comes before any of the body is sent
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert not list((site.data / "tmp").iterdir())


def test_a_chunked_body_over_the_forms_limit_is_refused(site: Site) -> None:
    chunk = b"a" * 65536
    with socket.create_connection(("127.0.0.1", site.plain.port), timeout=30) as s:
        s.sendall(
            b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for _ in range(3 * MB // len(chunk)):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        s.sendall(b"0\r\n\r\n")
        answer = b""
        while b"</html>" not in answer:
            more = s.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Too large to send" in answer
    assert not list((site.data / "tmp").iterdir())


# ------------------------------------------------------------------------------------ the command


def one_clear_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("schoolgate: "), done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "https", "extra", "said"),
    [
        ([], True, {}, "give its address with --trusted-proxy or SCHOOLGATE_TRUSTED_PROXY"),
        (["--trusted-proxy", "*"], True, {}, "--trusted-proxy='*': give the one address"),
        (["--trusted-proxy", "10.0.0.0/8"], True, {}, "--trusted-proxy='10.0.0.0/8': give the one address"),
        ([], True, {"SCHOOLGATE_TRUSTED_PROXY": "nginx"}, "SCHOOLGATE_TRUSTED_PROXY='nginx': give the one"),
        (["--threads", "0"], False, {}, "--threads 0: give a number from 1 to 64"),
        (["--listen", "127.0.0.1:" + "9" * 5000], False, {}, "give ADDRESS:PORT"),
    ],
)
def test_a_wrong_setting_is_one_clear_line(
    tmp_path: Path, args: list[str], https: bool, extra: dict[str, str], said: str
) -> None:
    done = subprocess.run(
        [*SCHOOLGATE, "web", "serve", *args],
        env=environment(tmp_path, https, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert said in one_clear_line(done)
