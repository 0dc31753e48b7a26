"""The agreement page: what a pupil or member of staff reads and accepts before their first page.

Squid's agreement helper (`schoolgate.gateways.squid.agreement`) answers ERR for a user who must still
accept this school year's agreement, and Squid's `deny_info` sends the browser here:

    GET  /agreement?t=TOKEN&u=ADDRESS    the agreement, in plain words, and "I agree"
    POST /agreement                      t=TOKEN, u=ADDRESS: the acceptance, then 303 to ...
    GET  /agreement?done=1&t=TOKEN&u=ADDRESS   "Thank you", with a link on to the page asked for

The token (the helper's, signed with the block page key) says who is accepting which version; the
browser cannot change it without the signature failing, so the page never trusts the browser for who
accepts. It is checked again on POST: its signature, its age (at most an hour), and that its version is
still the one the agreements file names for its audience and school year. No separate anti-forgery
token is needed: a POST does something only with a valid token, which only that user's proxy session is
given, and all it can do is record that this user agreed, which is what the page is for.

The acceptance is written to the spool (`schoolgate.activity.agreements`), where the Squid helper sees
it at once (the user's next request goes straight through) and the worker records it against the
person. The address asked for is shown as a link only when it is an http or https address: the page
never redirects to it, and a `javascript:` or other address is not linked.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit
from wsgiref.types import WSGIEnvironment

from schoolgate.activity.agreements import DIRECTORY, AcceptanceRecord, is_accepted, record_acceptance
from schoolgate.gateways.blockpage.page import MONITORED, _document, _e, render_message_page
from schoolgate.gateways.squid.agreement import AgreementsFile, Token, VersionText, read_token

__all__ = ["AGREEMENT_PATH", "MAX_ADDRESS", "AgreementPage", "onward_link", "paragraphs"]

AGREEMENT_PATH = "/agreement"
MAX_ADDRESS = 2048  # characters of the address asked for that are kept
MAX_BODY = 8 * 1024  # bytes of the form posted: a token and an address
# Characters of the query Squid sends: the token and the address asked for, escaped twice over (an
# address too long to link to is left out, but the agreement is still shown).
MAX_QUERY = 64 * 1024

Answer = tuple[HTTPStatus, str, list[tuple[str, str]]]


def onward_link(text: str | None) -> str | None:
    """The address asked for, if it may be linked to: http or https, with a host, no more than
    MAX_ADDRESS characters and nothing unprintable. Anything else (javascript:, data:) is not."""
    if not text or len(text) > MAX_ADDRESS or not text.isprintable() or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return text


def paragraphs(text: str) -> list[str]:
    """An agreement's text as paragraphs: blank lines part them; a line starting "- " or "* " is a
    point of a list, shown as its own paragraph with a bullet."""
    out: list[str] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        current: list[str] = []
        for line in lines:
            if line[:2] in ("- ", "* "):
                if current:
                    out.append(" ".join(current))
                    current = []
                out.append("• " + line[2:].strip())
            else:
                current.append(line)
        if current:
            out.append(" ".join(current))
    return out


class AgreementPage:
    """The agreement page's answers; part of the block page application (app.py routes to it)."""

    def __init__(
        self, key: bytes, agreements: AgreementsFile, spool: Path, *, now: Callable[[], float] = time.time
    ) -> None:
        self.key = key
        self.agreements = agreements
        self.directory = spool / DIRECTORY
        self.now = now

    def respond(self, environ: WSGIEnvironment, school: str, own_path: str) -> Answer:
        method = environ.get("REQUEST_METHOD", "GET")
        if method in ("GET", "HEAD"):
            fields = _fields(environ.get("QUERY_STRING", ""))
            if fields is None:
                return self._broken(school)
            if fields.get("done") == "1":
                # Only with the token that was accepted: a made-up link must not show the school's
                # "You have agreed" (nothing was recorded) or a link on to anywhere under its name.
                if read_token(self.key, fields.get("t", ""), self.now()) is None:
                    return self._stale(school)
                return HTTPStatus.OK, self._thanks(school, onward_link(fields.get("u"))), []
            return self._show(fields, school, own_path)
        if method == "POST":
            form = _form(environ)
            if form is None:
                return self._broken(school)
            return self._accept(form, environ, school, own_path)
        page = render_message_page("Not allowed", school, "This page can only be viewed or sent.")
        return HTTPStatus.METHOD_NOT_ALLOWED, page, [("Allow", "GET, HEAD, POST")]

    def _current(self, fields: dict[str, str]) -> tuple[Token, VersionText] | None:
        """The token's (who, version) if the token holds and its version is still the one to accept."""
        token = read_token(self.key, fields.get("t", ""), self.now())
        if token is None:
            return None
        agreements = self.agreements.get()
        version = agreements.versions.get(token.audience)
        if version is None or version.number != token.version or agreements.year != token.year:
            return None
        if token.school != agreements.school:  # made for another school sharing the key
            return None
        return token, version

    def _show(self, fields: dict[str, str], school: str, own_path: str) -> Answer:
        found = self._current(fields)
        if found is None:
            return self._stale(school)
        token, version = found
        # Squid 5 writes %u of a deny_info address HTML-escaped, then URL-escaped (`&` as `%26amp%3B`):
        # the address asked for is what remains once both are undone. (Only here, from Squid; the
        # hidden field and the thank-you address carry it as it is.)
        link = onward_link(html.unescape(fields.get("u", "")))
        if is_accepted(self.directory, token.who, token.audience, token.version, token.year):
            return HTTPStatus.OK, self._thanks(school, link), []
        body = (
            "<h1>Before you use the internet</h1>\n"
            f'<p class="why">Please read the school\'s agreement, {_e(token.who)}. '
            "Press “I agree” at the end to go on.</p>\n"
            f"<section>\n<h2>{_e(version.title)}</h2>\n"
            + "".join(f"<p>{_e(p)}</p>\n" for p in paragraphs(version.text))
            + f'<form method="post" action="{_e(own_path)}">\n'
            f'<input type="hidden" name="t" value="{_e(fields.get("t", ""))}">\n'
            + (f'<input type="hidden" name="u" value="{_e(link)}">\n' if link else "")
            + '<button type="submit">I agree</button>\n</form>\n</section>\n'
            f'<p class="monitored">{_e(MONITORED)}</p>\n'
            "<p>If you do not understand something, ask your teacher before you press “I agree”.</p>\n"
        )
        return HTTPStatus.OK, _document("The school's internet agreement", school, body), []

    def _accept(self, form: dict[str, str], environ: WSGIEnvironment, school: str, own_path: str) -> Answer:
        found = self._current(form)
        if found is None:
            return self._stale(school)
        token, _ = found
        if is_accepted(self.directory, token.who, token.audience, token.version, token.year):
            # Written already (the button pressed twice, or posted over and over): each write is
            # made durable (fsync), so a repeat must cost nothing.
            link = onward_link(form.get("u"))
            return (
                HTTPStatus.SEE_OTHER,
                self._thanks(school, link),
                [("Location", self._done(form, link, own_path))],
            )
        record = AcceptanceRecord(
            t=self.now(),
            who=token.who,
            audience=token.audience,
            version=token.version,
            year=token.year,
            ip=str(environ.get("REMOTE_ADDR") or ""),
            user_agent=str(environ.get("HTTP_USER_AGENT") or ""),
        )
        try:
            record_acceptance(self.directory, record)
        except (OSError, ValueError) as exc:
            log = environ.get("wsgi.errors")
            if log is not None:
                log.write(f"schoolgate block-page: cannot record an acceptance: {exc}\n")
            page = render_message_page(
                "Your answer was not saved",
                school,
                "Your answer could not be saved just now. Try again in a minute, or tell your teacher.",
            )
            return HTTPStatus.SERVICE_UNAVAILABLE, page, []
        link = onward_link(form.get("u"))
        return (
            HTTPStatus.SEE_OTHER,
            self._thanks(school, link),
            [("Location", self._done(form, link, own_path))],
        )

    @staticmethod
    def _done(form: dict[str, str], link: str | None, own_path: str) -> str:
        """The thank-you page's address: the token accepted, and the address asked for."""
        return (
            own_path
            + f"?done=1&t={quote(form.get('t', ''), safe='')}"
            + (f"&u={quote(link, safe='')}" if link else "")
        )

    def _thanks(self, school: str, link: str | None) -> str:
        onward = ""
        if link is not None:
            host = urlsplit(link).hostname or link
            onward = f'<p><a href="{_e(link)}">Go on to {_e(host)}</a></p>\n'
        body = (
            "<h1>Thank you</h1>\n"
            '<p class="why">You have agreed to the school\'s rules for using the internet. '
            "You can use the internet now.</p>\n" + onward
        )
        return _document("Thank you", school, body)

    def _stale(self, school: str) -> Answer:
        page = render_message_page(
            "Please open your page again",
            school,
            "This agreement page is out of date, or its address was changed.",
            "Open the website you wanted again: if you still need to agree, the agreement will be shown.",
        )
        return HTTPStatus.BAD_REQUEST, page, []

    def _broken(self, school: str) -> Answer:
        page = render_message_page(
            "Please open your page again",
            school,
            "The address of this page is not complete. Open the website you wanted again.",
        )
        return HTTPStatus.BAD_REQUEST, page, []


def _fields(query: str) -> dict[str, str] | None:
    """The query's fields, each given once; None for anything else (more than a link ever has)."""
    if len(query) > MAX_QUERY:
        return None
    try:
        found = parse_qs(query, keep_blank_values=True, max_num_fields=4)
    except ValueError:
        return None
    if any(len(values) != 1 for values in found.values()):
        return None
    return {name: values[0] for name, values in found.items()}


def _form(environ: WSGIEnvironment) -> dict[str, str] | None:
    content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    return _fields(body.decode("utf-8", "replace"))
