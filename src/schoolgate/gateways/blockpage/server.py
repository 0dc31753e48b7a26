"""`schoolgate block-page serve`: the block page application on a threading WSGI server.

Standard library only (wsgiref with socketserver's ThreadingMixIn): one thread per browser, so a slow
one does not hold up the others; each connection gives up after TIMEOUT seconds of silence. SIGTERM
or Ctrl-C stops it cleanly: it stops accepting, lets the requests in hand finish, closes the review
file and exits 0.

The access log names the method, the path and the status, never the query string: that names the
pupil and the site.
"""

from __future__ import annotations

import ipaddress
import re
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import TCPServer, ThreadingMixIn
from types import FrameType
from typing import Any, TextIO
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from schoolgate.activity.reviews import DAILY_BYTES, ReviewWriter
from schoolgate.gateways.blockpage.agreement import AgreementPage
from schoolgate.gateways.blockpage.app import (
    BlockPageApp,
    PolicySource,
    WebAddressError,
    page_path,
    web_address,
)
from schoolgate.gateways.blockpage.limits import ReviewLimits
from schoolgate.gateways.blockpage.signing import BlockPageKeyError, load_key
from schoolgate.gateways.blockpage.status import RequestStatus, status_path
from schoolgate.gateways.squid.agreement import AgreementsFile, agreements_path
from schoolgate.policyfile.errors import PolicyFileError

__all__ = ["BlockPageServer", "ServeError", "ServerConfig", "make_server", "parse_listen", "serve"]

TIMEOUT = 30.0  # seconds a connection may stay silent


class ServeError(Exception):
    """The server cannot start: a message for the network manager, in one line."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    listen: str
    key: Path
    policy: Path
    spool: Path
    limits: ReviewLimits = field(default_factory=ReviewLimits)  # review requests per address, hour
    daily_bytes: int = DAILY_BYTES  # of review requests written a day
    requests_status: Path | None = None  # the requests status file; None: beside the policy file
    web: str | None = None  # the web application's address, for staff's "Ask for this to be unblocked"
    agreements: Path | None = None  # the agreements file (agreement page); None: beside the policy file


def parse_listen(text: str) -> tuple[str, int]:
    """'127.0.0.1:8080', '[::1]:8080', '0.0.0.0:80' or '8080' (on 127.0.0.1) -> (address, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "127.0.0.1", text
    host = host.removeprefix("[").removesuffix("]") if host.startswith("[") else host
    problem = f"--listen {text!r}: give ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080, or a PORT"
    if not (port_text.isascii() and port_text.isdigit() and int(port_text) <= 65535) or not host:
        raise ServeError(problem)
    if ":" in host or host.replace(".", "").isdigit():
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ServeError(problem) from None
    return host, int(port_text)


class _Handler(WSGIRequestHandler):
    timeout = TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        log: TextIO | None = getattr(self.server, "log", None)
        if log is not None:
            text = _QUERY.sub("?…", format % args)  # a query string names the pupil and the site
            log.write(f"{self.address_string()} - {text}\n")
            log.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0] if isinstance(self.path, str) else "-"
        self.log_message('"%s %s" %s', getattr(self, "command", "-"), path, code)


_QUERY = re.compile(r"\?[^\s\"']*")


class BlockPageServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server with a thread per connection; closing it waits for the requests in hand."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    log: TextIO | None = None

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the address up in the DNS (socket.getfqdn): slow, and not needed.
        TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()


class _BlockPageServer6(BlockPageServer):
    address_family = socket.AF_INET6


def make_server(host: str, port: int, app: BlockPageApp, log: TextIO | None = sys.stderr) -> BlockPageServer:
    """A server bound to (host, port) for `app`; port 0 takes a free one."""
    cls = _BlockPageServer6 if ":" in host else BlockPageServer
    server = cls((host, port), _Handler)
    server.log = log
    server.set_app(app)
    return server


def serve(config: ServerConfig, log: TextIO = sys.stderr) -> int:
    """Serve the block page until SIGTERM or Ctrl-C. Raises ServeError for what stops it starting."""
    host, port = parse_listen(config.listen)
    try:
        key = load_key(config.key)
    except BlockPageKeyError as exc:
        raise ServeError(str(exc)) from None
    try:
        web = web_address(config.web) if config.web else None
    except WebAddressError as exc:
        raise ServeError(f"--web-address: {exc}") from None
    try:
        policy = PolicySource(config.policy, log)
    except PolicyFileError as exc:
        raise ServeError(str(exc).replace("\n", "; ")) from None
    try:
        reviews = ReviewWriter(config.spool, config.daily_bytes)
    except OSError as exc:
        raise ServeError(f"cannot use the spool directory {config.spool}: {exc.strerror or exc}") from None
    status = RequestStatus(config.requests_status or status_path(config.policy), log)
    agreements = AgreementsFile(config.agreements or agreements_path(config.policy), log, name="block-page")
    agreement = AgreementPage(key, agreements, config.spool)
    app = BlockPageApp(
        key, policy, reviews, log=log, limits=config.limits, status=status, web=web, agreement=agreement
    )
    try:
        server = make_server(host, port, app, log)
    except OSError as exc:
        raise ServeError(f"cannot listen on {config.listen}: {exc.strerror or exc}") from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=server.serve_forever, name="block-page", kwargs={"poll_interval": 0.2})
    try:
        thread.start()
        bound_host, bound_port = server.server_name, server.server_port
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        school = policy.get().school or "the school"
        log.write(
            f"schoolgate block-page: serving {school}'s block page on "
            f"http://{shown}:{bound_port}{page_path(policy.get())}\n"
        )
        log.flush()
        while not stop.wait(0.5):
            if not thread.is_alive():
                break
    finally:
        server.shutdown()
        server.server_close()  # waits for the requests in hand
        thread.join()
        reviews.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.write("schoolgate block-page: stopped\n")
    log.flush()
    return 0
