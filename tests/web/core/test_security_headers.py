"""Every response's security headers, and the limits on request bodies, through the whole middleware
chain: a Content-Security-Policy everywhere, no-store on every page, bodies over a page's limit refused
before a byte is read, files sent to a page that takes none kept nowhere, and files sent to a page that
takes them kept only for someone that page lets in."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import Settings

from schoolgate.web.core.security import CONTENT_SECURITY_POLICY, max_body_bytes, upload_limits
from schoolgate.web.incidents.actions import EVIDENCE_MAX_BYTES
from tests.web.factories import PASSWORD, Cast
from tests.web.pages import device_for, logged_in
from tests.web.sitemap import PUBLIC, every_page

MB = 1024 * 1024
BOUNDARY = "schoolgate-test-boundary"


class HostileBody(io.RawIOBase):
    """A request body of `size` bytes, made as it is read: `head`, then `fill`, then `tail` (its last
    bytes). It counts what is read and notes any file that appears in `watch` meanwhile; it ends early
    after `stop` bytes, so that a server that reads it all fails the test quickly."""

    def __init__(
        self, head: bytes, size: int, watch: Path, stop: int = 8 * MB, fill: bytes = b"\0", tail: bytes = b""
    ) -> None:
        self.head, self.size, self.watch, self.stop, self.fill = head, size, watch, stop, fill
        self.tail = tail
        self.taken = 0
        self.seen: set[str] = set()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.seen.update(p.name for p in self.watch.iterdir())
        n = min(len(buffer), self.size - self.taken, self.stop - self.taken)
        if n <= 0:
            return 0
        start, tail_at = self.taken, self.size - len(self.tail)
        chunk = (self.head[start : start + n]).ljust(min(n, max(tail_at - start, 0)), self.fill)
        chunk += self.tail[max(start - tail_at, 0) : max(start + n - tail_at, 0)]
        buffer[:n] = chunk
        self.taken += n
        return n


def multipart_head(field: str = "file", filename: str = "big.bin") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def post_body(client: Client, path: str, body: HostileBody, content_type: str, length: str) -> Any:
    return client.generic(
        "POST", path, b"", **{"wsgi.input": body, "CONTENT_LENGTH": length, "CONTENT_TYPE": content_type}
    )


@pytest.fixture
def uploads(settings: Settings, tmp_path: Path) -> Path:
    """Django's temporary upload files go here, where the test can see them."""
    where = tmp_path / "uploads"
    where.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(where)
    return where


# --------------------------------------------------------------------------------- request bodies


def test_a_200_mb_upload_to_the_login_page_is_refused_before_a_byte_is_read(db: None, uploads: Path) -> None:
    body = HostileBody(multipart_head(), 200 * MB, uploads)
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    response = post_body(Client(enforce_csrf_checks=True), "/login/", body, multipart, str(200 * MB))
    assert response.status_code == 413
    assert "Too large to send" in response.content.decode()
    assert body.taken == 0 and not body.seen
    assert not list(uploads.iterdir())


@pytest.mark.parametrize("length", [str(2 * MB + 1), "000000000000000000000000000209715200", "9" * 5000])
def test_a_form_over_the_limit_is_refused_unread(db: None, uploads: Path, length: str) -> None:
    body = HostileBody(b"username=alice&password=", 200 * MB, uploads)
    response = post_body(Client(), "/login/", body, "application/x-www-form-urlencoded", length)
    assert response.status_code == 413 and body.taken == 0
    assert "up to 2 MB of text" in response.content.decode()


def test_a_form_at_the_limit_is_read(db: None, uploads: Path) -> None:
    text = b"username=nobody&password="
    body = HostileBody(text, settings.DATA_UPLOAD_MAX_MEMORY_SIZE, uploads, fill=b"a")
    response = post_body(Client(), "/login/", body, "application/x-www-form-urlencoded", str(body.size))
    assert response.status_code == 200 and body.taken == body.size
    assert "Log in to Schoolgate" in response.content.decode()  # the form, answered


@pytest.mark.parametrize("length", ["-1", "1e9", "12 34", "٣٤"])
def test_a_length_that_is_not_a_number_is_refused(db: None, uploads: Path, length: str) -> None:
    body = HostileBody(b"", 10, uploads)
    response = post_body(Client(), "/login/", body, "application/x-www-form-urlencoded", length)
    assert response.status_code == 400 and body.taken == 0


def test_a_body_of_unknown_length_is_refused(db: None) -> None:
    response = Client().generic(
        "POST",
        "/login/",
        b"",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_TYPE="application/x-www-form-urlencoded",
    )
    assert response.status_code == 411


def test_a_file_sent_to_a_page_that_takes_none_is_kept_nowhere(
    cast: Cast, settings: Settings, uploads: Path
) -> None:
    """With every file kept on disk (no memory threshold), the login page still writes none, and still
    reads the form's other fields."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    fields = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("username", "alice"), ("password", PASSWORD))
    ).encode()
    file_part = multipart_head() + b"\0" * MB + f"\r\n--{BOUNDARY}--\r\n".encode()
    whole = fields + file_part
    body = HostileBody(whole, len(whole), uploads)
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    response = post_body(Client(), "/login/", body, multipart, str(len(whole)))
    assert response.status_code == 302 and response["Location"].endswith("/login/set-up/")
    assert body.taken == len(whole) and not body.seen
    assert not list(uploads.iterdir())


def test_the_pages_that_take_files_take_their_own_limit(cast: Cast, uploads: Path) -> None:
    client = logged_in(cast.alice)
    pages = {p.name: p for p in every_page()}
    evidence = pages["incidents:evidence-add"].url(cast, cast.a)
    assert upload_limits()["incidents:evidence-add"] == EVIDENCE_MAX_BYTES + MB
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    too_big = HostileBody(multipart_head(), EVIDENCE_MAX_BYTES + MB + 1, uploads)
    response = post_body(client, evidence, too_big, multipart, str(too_big.size))
    assert response.status_code == 413 and too_big.taken == 0
    assert "files of up to 20 MB" in response.content.decode()
    api = pages["incidents:api-evidence"].url(cast, cast.a)
    response = post_body(client, api, HostileBody(b"", 10, uploads), multipart, str(too_big.size))
    assert response.status_code == 413 and response.json()["error"] == "too-large"
    # The MIS import takes its three files of up to 5 MB each.
    response = post_body(
        client, reverse("people:import"), HostileBody(b"", 10, uploads), multipart, str(16 * MB + 1)
    )
    assert response.status_code == 413 and "files of up to 15 MB" in response.content.decode()
    assert max_body_bytes() == EVIDENCE_MAX_BYTES + MB  # what `schoolgate web serve` refuses beyond


# ------------------------------------------------------------------- files on the pages that take them

UPLOAD_PAGES = ("incidents:evidence-add", "incidents:api-evidence", "people:import")


def _upload_address(name: str, ref: str = "ABCD-EFGH") -> str:
    """The page's address; the reference of an incident need not exist for the file to be read."""
    return reverse(name, kwargs={"ref": ref}) if name.startswith("incidents:") else reverse(name)


def _checking_csrf(client: Client) -> Client:
    """A logged-in client whose requests are checked for CSRF as a browser's are (the check reads the
    form, with its files), with its CSRF cookie."""
    client.handler.enforce_csrf_checks = True
    client.get(reverse("core:home"))
    return client


def _csrf_client(who: str, cast: Cast) -> Client:
    """A client that checks CSRF as a browser's request is checked, with its cookie from the login page:
    nobody logged in, a session that has given alice's password but not yet her code, or alice's login
    whose second factor no longer counts (her authenticator was taken away after she logged in)."""
    if who == "unverified":
        client = _checking_csrf(logged_in(cast.alice))
        TOTPDevice.objects.filter(user=cast.alice).delete()
    else:
        client = Client(enforce_csrf_checks=True)
        client.get("/login/")
    if who == "password only":
        device_for(cast.alice)
        token = client.cookies["csrftoken"].value
        answer = client.post(
            "/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
        assert answer.status_code == 302 and answer["Location"].endswith("/login/code/")
    return client


def _post_file(client: Client, address: str, size: int, uploads: Path) -> tuple[Any, HostileBody]:
    """Posts a well-formed multipart form of `size` bytes: the CSRF token (the client's own, so that
    the check reads the form and lets it through), kind=file, and one file of all but the rest."""
    fields = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, "kind": "file"}
    head = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ).encode() + multipart_head(filename="pupils.csv")
    body = HostileBody(head, size, uploads, stop=size, tail=f"\r\n--{BOUNDARY}--\r\n".encode())
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    return post_body(client, address, body, multipart, str(size)), body


@pytest.mark.parametrize("size", [1 * MB, 15 * MB], ids=["held in memory", "written to disk"])
@pytest.mark.parametrize("who", ["nobody", "password only", "unverified"])
def test_a_file_from_someone_not_logged_in_with_both_factors_is_kept_nowhere(
    cast: Cast, uploads: Path, who: str, size: int
) -> None:
    """Django reads a form's files in the CSRF check, before any page checks the login: into memory up
    to 2 MB, into a temporary file beyond. On the pages that take files, a file from a request the page
    would not let in is read past and kept nowhere; the rest of the form is read as usual (the CSRF
    token is found in it), and the page then asks for the login."""
    assert size <= min(upload_limits()[name] for name in UPLOAD_PAGES) - MB  # within every page's limit
    for name in UPLOAD_PAGES:
        client = _csrf_client(who, cast)
        response, body = _post_file(client, _upload_address(name), size, uploads)
        assert response.status_code == 302 and "/login/?next=" in response["Location"], name
        assert response.wsgi_request.user.is_authenticated is (who == "unverified")
        assert body.taken == size, name  # read past to its end
        assert not response.wsgi_request.FILES, name  # not held in memory
        assert not body.seen and not list(uploads.iterdir()), name  # nor written to disk


def test_a_file_from_staff_without_the_pages_capability_is_kept_nowhere(cast: Cast, uploads: Path) -> None:
    """A teacher, logged in with both factors, deals with no incident's evidence and imports nothing."""
    client = _checking_csrf(logged_in(cast.tom))
    for name in UPLOAD_PAGES:
        response, body = _post_file(client, _upload_address(name), 3 * MB, uploads)
        assert response.status_code == 403 and body.taken == body.size, name
        assert not response.wsgi_request.FILES, name
        assert not body.seen and not list(uploads.iterdir()), name


def test_staff_with_the_pages_capability_still_send_files(
    cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    """The DSL adds evidence by the page and by the API, and the network manager imports from the MIS,
    their requests checked for CSRF as a browser's are."""
    from schoolgate.web.people.models import ImportBatch
    from tests.web.factories import csv_file
    from tests.web.incidents.make import report

    settings.EVIDENCE_DIR = tmp_path / "evidence"
    incident = report(cast.a, cast.tom)
    dsl = _checking_csrf(logged_in(cast.alice))
    for name, status in (("incidents:evidence-add", 302), ("incidents:api-evidence", 201)):
        file = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        file.name = "screenshot.png"
        token = dsl.cookies["csrftoken"].value
        form = {"csrfmiddlewaretoken": token, "kind": "file", "file": file}
        response = dsl.post(_upload_address(name, incident.reference), form)
        assert response.status_code == status, response.content.decode()[:2000]
    assert incident.evidence.filter(kind="file").count() == 2
    manager = _checking_csrf(logged_in(cast.nina))
    form = {"csrfmiddlewaretoken": manager.cookies["csrftoken"].value, "pupils": csv_file("sims_pupils.csv")}
    response = manager.post(reverse("people:import"), form)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/people/import/{batch.pk}/"
    assert batch.files.get().content  # the CSV was read and kept for the check


# ---------------------------------------------------------------------------------------- headers


def _headers_right(response: Any, where: str) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy")
    if csp != CONTENT_SECURITY_POLICY:
        problems.append(f"{where}: Content-Security-Policy {csp!r}")
    cache = response.get("Cache-Control")
    if cache != "no-store, private":
        problems.append(f"{where}: Cache-Control {cache!r}")
    return problems


def test_the_content_security_policy_is_strict() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def test_the_login_pages_and_errors_are_never_stored(cast: Cast) -> None:
    client = Client()
    problems = _headers_right(client.get("/login/"), "/login/")
    problems += _headers_right(client.get("/no-such-page/"), "a missing page")
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    problems += _headers_right(response, "the password's answer")
    problems += _headers_right(client.get(response["Location"]), response["Location"])
    problems += _headers_right(Client().get("/people/"), "a page asking to log in")
    assert not problems, "\n".join(problems)


def test_every_page_the_dsl_opens_is_never_stored(cast: Cast) -> None:
    client = logged_in(cast.alice)
    problems = []
    for page in every_page():
        if page.name in PUBLIC:
            continue  # the login pages: above
        url = page.url(cast, cast.a)
        response = client.get(url)
        if page.name in {"incidents:detail", "incidents:chronology", "incidents:evidence-file"}:
            assert response.status_code == 200, url
        problems += _headers_right(response, url)
    assert not problems, "\n".join(problems)


def test_static_files_keep_their_caching() -> None:
    response = Client().get("/static/schoolgate/site.css")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "no-store" not in response["Cache-Control"] and "max-age" in response["Cache-Control"]
