from __future__ import annotations

import email
import email.policy
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_django import Settings

from tests.web.factories import Cast, make_cast


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(why): runs on SQLite whatever the run's database; left out of the PostgreSQL run",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL run (tests/postgresql.py) leaves out what is about SQLite's files, or makes its own
    SQLite machine (the real-school journey), which would only run the same again: deselected, not
    skipped, so that a skip always means something is missing."""
    if not os.environ.get("SCHOOLGATE_DATABASE", "sqlite").startswith("postgres"):
        return
    kept, left = [], []
    for item in items:
        (left if item.get_closest_marker("sqlite_only") else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


@dataclass
class Mailbox:
    """What a real SMTP server on 127.0.0.1 received: each message with the addresses it was sent to."""

    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]

    def text(self, message: EmailMessage) -> str:
        body = message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    def link(self, address: str) -> str:
        """The one link in the last message to `address`."""
        found = self.to(address)
        assert found, f"no e-mail to {address}: {[r for r, _ in self.received]}"
        links = re.findall(r"https?://\S+", self.text(found[-1]))
        assert len(links) == 1, links
        return links[0]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.box.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings: Settings) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, and the application set up to send through it. The
    message is in the box when the sending request returns (the server answers after keeping it)."""
    box = Mailbox(port=free_port())
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    settings.EMAIL_SET_UP = True
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = box.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "schoolgate@northfield.example"
    settings.SITE_URL = "http://testserver"
    try:
        yield box
    finally:
        controller.stop()
