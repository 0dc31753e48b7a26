"""A small school for the block page: its policy and key in a temporary directory, signed addresses
made with the real `signing.sign`, and the WSGI application called directly with environ dicts."""

from __future__ import annotations

import io
from base64 import urlsafe_b64encode
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from schoolgate.activity.reviews import ReviewWriter
from schoolgate.gateways.blockpage.app import BlockPageApp
from schoolgate.gateways.blockpage.signing import create_key, sign
from schoolgate.policyfile.load import load_policy
from tests.school import write_lists

AT = 1796121125  # Tuesday 1 December 2026, 10:32:05 in London (GMT)

POLICY = """\
schema_version = 1

[school]
name = "St Mary's & St John's Primary"
timezone = "Europe/London"
block_page = "http://127.0.0.1:8080/blocked"

[lists.x]
format = "squidguard"
path = "lists"

[groups.ks2]
default = "allow"

[groups.default]
default = "block"

[[identities]]
group = "ks2"
users = ["ks2-amelia"]

[categories.gambling]
sources = ["x/gambling"]
uksic = "gambling"

[categories.games]
sources = ["x/games"]

[categories.weird-stuff]
sources = ["x/weird"]
uksic = "misinformation"

[categories.odd-things]
sources = ["x/odd"]

[[rules]]
name = "curriculum"
domains = ["bbc.co.uk"]
action = "allow"

[[rules]]
name = "no games"
categories = ["games"]
action = "block"

[[rules]]
name = "everyone may not gamble"
categories = ["weird-stuff", "odd-things"]
action = "block"

[[rules]]
name = "pupils may not gamble"
categories = ["gambling"]
action = "block"
"""


def url64(url: str) -> str:
    return urlsafe_b64encode(url.encode("utf-8", "surrogateescape")).rstrip(b"=").decode()


def query(
    reason: str = "rule",
    group: str = "ks2",
    category: str | None = "gambling",
    rule: int | None = 4,
    url: str = "http://bet365.com/",
    who: str = "ks2-amelia",
    at: int = AT,
) -> str:
    """The unsigned query string the Squid helper makes, field for field."""
    text = f"reason={quote(reason, safe='')}&group={quote(group, safe='')}"
    if category is not None:
        text += f"&category={quote(category, safe='')}"
    if rule is not None:
        text += f"&rule={rule}"
    return text + f"&url64={url64(url)}&who={quote(who, safe='')}&at={at}"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


@dataclass
class School:
    root: Path
    key: bytes
    app: BlockPageApp
    log: io.StringIO = field(default_factory=io.StringIO)

    @property
    def policy(self) -> Path:
        return self.root / "policy.toml"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def key_path(self) -> Path:
        return self.root / "block-page.key"

    def signed(self, unsigned: str | None = None, **fields: Any) -> str:
        text = unsigned if unsigned is not None else query(**fields)
        return f"{text}&sig={sign(self.key, text)}"

    def call(
        self,
        method: str = "GET",
        path: str = "/blocked",
        query_string: str = "",
        body: bytes = b"",
        content_type: str = "application/x-www-form-urlencoded",
        **extra: str,
    ) -> Response:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query_string,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080",
            "REMOTE_ADDR": "10.0.0.7",
            "HTTP_USER_AGENT": "TestBrowser/1.0",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            **extra,
        }
        if method == "POST":
            environ["CONTENT_TYPE"] = content_type
            environ["CONTENT_LENGTH"] = str(len(body))
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
            seen["status"] = int(status.split(maxsplit=1)[0])
            seen["headers"] = dict(headers)

        chunks = self.app(environ, start_response)
        return Response(seen["status"], seen["headers"], b"".join(chunks).decode("utf-8"))

    def get(self, query_string: str) -> Response:
        return self.call("GET", "/blocked", query_string)

    def post(self, **form: str) -> Response:
        return self.call("POST", "/blocked", body=urlencode(form).encode())


def write_policy(root: Path, text: str = POLICY) -> Path:
    """The policy file and the (tiny) lists it names."""
    lists = {"gambling": "bet365.com", "games": "games.example", "weird": "w.example", "odd": "odd.example"}
    write_lists(root / "lists", {name: domain + "\n" for name, domain in lists.items()})
    path = root / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def make_school(root: Path, now: float = AT + 60) -> School:
    write_policy(root)
    key = create_key(root / "block-page.key")
    log = io.StringIO()
    policy = load_policy(root / "policy.toml").policy
    app = BlockPageApp(key, policy, ReviewWriter(root / "spool"), now=lambda: now, log=log)
    return School(root, key, app, log)


@pytest.fixture
def school(tmp_path: Path) -> Iterator[School]:
    made = make_school(tmp_path)
    yield made
    made.app.reviews.close()
