"""The block page as a plain WSGI application (standard library only, so it can also be mounted in the
web app).

    GET  <block page path>?<signed query>   the block page (notice.py says what it may show)
    GET  <block page path>?sent=1           "your request has been sent"
    POST <block page path>                  a review request: q (the signed query), message, name
    GET  <block page path>?report=1[&q=..]  the form for reporting a site that should be blocked
    POST <block page path>                  with form=report: a report: site, message, name, q
    GET  <block page path>?reported=1       "thank you for telling us"
    GET  /                                  a short "this is the school's block page" notice
    GET, POST /agreement                    the agreement page, when served (agreement.py)

A signed block page also tells the pupil what became of their own request about that site (the
requests status file the web application writes: status.py), and, under "Details for staff", links to
the web application's "Request a site" for the address when the server knows the web application's
address (`web_address`). A report made from a signed block page carries who was blocked there (as
signed); one made from the reporting form opened directly names nobody but the address it came from.

The path is the one in the policy's `[school] block_page`. The server never redirects anywhere the
request names: after a review request it sends the browser back to its own path (303, `?sent=1`).
Every answer carries a strict Content-Security-Policy (no script at all; the one inline style sheet
allowed by its hash), and none may be cached, framed or followed by a Referer.

Review requests are limited (limits.py: per signed address, per pupil or device, in all; reviews.py:
the bytes a day), and reports the same way with counts of their own: a request over a limit gets a
kind page saying it was not sent and to ask a teacher (429), and the limit's first refusal in its
window is logged, naming neither the pupil nor the site. A request that cannot be written (a full
disk) gets the same kind of page (503).
"""

from __future__ import annotations

import contextlib
import ipaddress
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, quote, urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

from schoolgate.activity.reviews import REPORT_KIND, ReviewSpaceError, ReviewWriter
from schoolgate.engine.policy import Policy
from schoolgate.gateways.blockpage.agreement import AGREEMENT_PATH, AgreementPage
from schoolgate.gateways.blockpage.limits import Limit, Refusal, ReviewLimiter, ReviewLimits, client_key
from schoolgate.gateways.blockpage.notice import Notice, host_of, read_notice
from schoolgate.gateways.blockpage.page import (
    MAX_MESSAGE,
    MAX_NAME,
    MAX_SITE,
    STYLE_HASH,
    FormInput,
    ReportInput,
    render_block_page,
    render_message_page,
    render_report_page,
    render_reported,
    render_thanks,
)
from schoolgate.gateways.blockpage.status import RequestStatus, status_line
from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.load import LISTS_NOT_READ
from schoolgate.policyfile.snapshot import load_snapshot
from schoolgate.policyfile.watch import FileWatcher

__all__ = [
    "MAX_BODY",
    "REQUEST_PAGE",
    "BlockPageApp",
    "PolicySource",
    "WebAddressError",
    "page_path",
    "reported_site",
    "web_address",
]

STATUS_MAX_AGE = 3600  # seconds: how old a block page may be to say what became of a request
MAX_BODY = 64 * 1024  # bytes in a review request's form (the message is at most MAX_MESSAGE characters)
RELOAD_SECONDS = 2.0  # how often the policy file is looked at for changes, at most
REQUEST_PAGE = "/requests/new/"  # the web application's "Request a site", under its address

HEADERS = [
    (
        "Content-Security-Policy",
        f"default-src 'none'; style-src '{STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
]


def page_path(policy: Policy) -> str:
    """The path of the block page, from the policy's block page address."""
    return urlsplit(policy.block_page).path or "/"


class WebAddressError(ValueError):
    """The web application's address given to the block page is not one."""


def web_address(text: str) -> str:
    """The web application's address as the block page links to it: http(s)://HOST[:PORT][/PATH], with
    no query, fragment or final slash. Raises WebAddressError saying what to give."""
    problem = f"{text!r} is not the web application's address: give https://HOST[:PORT][/PATH]"
    try:
        parts = urlsplit(text.strip())
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise WebAddressError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise WebAddressError(problem)
    if not port_ok or parts.username is not None or any(c.isspace() for c in text.strip()):
        raise WebAddressError(problem)
    return text.strip().rstrip("/")


def reported_site(text: str) -> tuple[str, str] | None:
    """(address, host) of a site a pupil typed into the reporting form (`games.example.com`,
    `https://games.example.com/play`), or None when it names no site: no host name with a dot in it
    (or an IP address), or a scheme other than http and https."""
    text = text.strip()
    if not text or len(text) > MAX_SITE or any(not c.isprintable() or c.isspace() for c in text):
        return None
    scheme, found, rest = text.partition("://")
    if found:
        if scheme.lower() not in ("http", "https"):
            return None
        url = scheme.lower() + "://" + rest
    else:
        url = "http://" + text
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a port that is not one raises ValueError
    except ValueError:
        return None
    if not host:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    labels = ascii_host.rstrip(".").split(".")
    is_name = len(labels) >= 2 and all(
        0 < len(label) <= 63 and all(c.isascii() and (c.isalnum() or c == "-") for c in label)
        for label in labels
    )
    if not is_name:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return None
    return url, host_of(url) or host


class PolicySource:
    """The policy file, read again when it changes; a broken change keeps the last good policy.

    It is read and checked as every gateway reads it (`load_snapshot`, without the lists, which the
    block page never needs), and a change is noticed the same way (`FileWatcher`), looked for at most
    every RELOAD_SECONDS."""

    def __init__(self, path: Path, log: TextIO = sys.stderr) -> None:
        self.path = path
        self.log = log
        self._lock = threading.Lock()
        self._watcher = FileWatcher(path)
        states = self._watcher.look()
        # PolicyFileError at start: the caller reports it.
        self._policy = load_snapshot(path, None, LISTS_NOT_READ).policy
        self._watcher.settle(states)
        self._checked = time.monotonic()

    def get(self) -> Policy:
        now = time.monotonic()
        if now - self._checked < RELOAD_SECONDS:
            return self._policy
        with self._lock:
            if now - self._checked >= RELOAD_SECONDS:
                self._checked = now
                if self._watcher.changed():
                    states = self._watcher.look()
                    self._watcher.settle(states)  # a broken file is not read again until it changes
                    try:
                        self._policy = load_snapshot(self.path, None, LISTS_NOT_READ).policy
                    except PolicyFileError as exc:
                        self.log.write(f"schoolgate block-page: {exc}\nkeeping the last good policy\n")
                        self.log.flush()
        return self._policy


class BlockPageApp:
    """The WSGI application. `policy` is a Policy or something that gives the current one."""

    def __init__(
        self,
        key: bytes,
        policy: Policy | PolicySource,
        reviews: ReviewWriter,
        *,
        now: Callable[[], float] = time.time,
        log: TextIO = sys.stderr,
        limits: ReviewLimits | None = None,
        status: RequestStatus | None = None,
        web: str | None = None,
        agreement: AgreementPage | None = None,
    ) -> None:
        self.key = key
        self.agreement = agreement  # the agreement page at AGREEMENT_PATH (agreement.py), if served
        self._policy = policy
        self.reviews = reviews
        self.now = now
        self.log = log
        self.limiter = ReviewLimiter(limits or ReviewLimits())
        self.report_limiter = ReviewLimiter(limits or ReviewLimits())  # reports have counts of their own
        self.status = status
        self.web = web_address(web) if web else None

    @property
    def policy(self) -> Policy:
        return self._policy if isinstance(self._policy, Policy) else self._policy.get()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, html, extra = self.respond(environ)
        except Exception:
            self._say("error answering a request\n" + traceback.format_exc().rstrip("\n"))
            status, extra = HTTPStatus.INTERNAL_SERVER_ERROR, []
            html = render_message_page(
                "Something went wrong",
                "",
                "The block page could not be shown just now. Try again in a minute.",
            )
        body = html.encode("utf-8")
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *HEADERS,
            *extra,
        ]
        start_response(f"{status.value} {status.phrase}", headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def respond(self, environ: WSGIEnvironment) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        """(status, page, extra headers) for one request."""
        policy = self.policy
        own_path = environ.get("SCRIPT_NAME", "") + page_path(policy)
        path = environ.get("SCRIPT_NAME", "") + (environ.get("PATH_INFO", "") or "/")
        method = environ.get("REQUEST_METHOD", "GET")
        agreement_path = environ.get("SCRIPT_NAME", "") + AGREEMENT_PATH
        if self.agreement is not None and path == agreement_path and path != own_path:
            return self.agreement.respond(environ, policy.school, agreement_path)
        if path != own_path:
            if path == "/" and method in ("GET", "HEAD"):
                return HTTPStatus.OK, self._front_page(policy), []
            return (
                HTTPStatus.NOT_FOUND,
                render_message_page("Page not found", policy.school, "There is no page at this address."),
                [],
            )
        if method in ("GET", "HEAD"):
            query = environ.get("QUERY_STRING", "")
            if query == "sent=1":
                return HTTPStatus.OK, render_thanks(policy.school), []
            if query == "reported=1":
                return HTTPStatus.OK, render_reported(policy.school), []
            now = self.now()
            if query == "report=1" or query.startswith("report=1&"):
                return HTTPStatus.OK, self._report_form(query, policy, own_path, now), []
            notice = read_notice(self.key, query, policy, now)
            asked = notice.signature is not None and self.limiter.used_up(notice.signature, now)
            page = render_block_page(
                notice,
                own_path,
                asked=asked,
                status=self._status(notice, policy, now),
                report_link=self._report_link(notice, own_path),
                ask_link=self._ask_link(notice),
            )
            return HTTPStatus.OK, page, []
        if method == "POST":
            return self._post(environ, policy, own_path)
        return (
            HTTPStatus.METHOD_NOT_ALLOWED,
            render_message_page("Not allowed", policy.school, "This page can only be viewed or sent."),
            [("Allow", "GET, HEAD, POST")],
        )

    def _front_page(self, policy: Policy) -> str:
        whose = f"{policy.school}'s" if policy.school else "the school's"
        return render_message_page(
            "Block page",
            policy.school,
            f"This is {whose} block page. When the school's filter blocks a website, "
            "this server shows why, and lets you ask for a review.",
            f"To tell the school about a website that should be blocked, open {page_path(policy)}?report=1 "
            "on this server.",
        )

    def _status(self, notice: Notice, policy: Policy, now: float) -> str | None:
        """The line for this pupil's own request about this site, if any. Never fails the page: the
        status file is the web application's, and a block page must be shown whatever it holds."""
        # Only on a page of the last hour (each block makes a new one): an old link in a shared
        # computer's history must not show the next pupil what became of the last one's request.
        if self.status is None or not notice.trusted or not notice.fresh or notice.at is None:
            return None
        if abs(now - notice.at.timestamp()) > STATUS_MAX_AGE:
            return None
        try:
            entry = self.status.find(notice.who, notice.host)
            return status_line(entry, now, policy.timezone) if entry is not None else None
        except Exception:
            self._say("cannot read the requests status\n" + traceback.format_exc().rstrip("\n"))
            return None

    def _report_link(self, notice: Notice, own_path: str) -> str:
        """The reporting form's address; from a fresh signed page it carries that page's address, which
        says who reports."""
        link = own_path + "?report=1"
        if notice.trusted and notice.fresh and notice.query:
            link += "&q=" + quote(notice.query, safe="")
        return link

    def _ask_link(self, notice: Notice) -> str | None:
        """The web application's "Request a site" for the blocked address: for staff, who sign in there.
        None without the web application's address, for an unsigned page and for a locked list (which
        can never be requested)."""
        if self.web is None or not notice.trusted or not notice.reviewable or not notice.url:
            return None
        return f"{self.web}{REQUEST_PAGE}?url={quote(notice.url, safe='')}&from=block-page"

    def _report_form(self, query: str, policy: Policy, own_path: str, now: float) -> str:
        try:
            fields = parse_qs(query, keep_blank_values=True, max_num_fields=5)
        except ValueError:  # more fields than the form's link ever has
            fields = {}
        values = fields.get("q") or []
        signed = values[0] if len(values) == 1 else None
        if signed is not None and not read_notice(self.key, signed, policy, now).fresh:
            signed = None  # an unsigned, forged or old address says nothing: the report names nobody
        return render_report_page(policy.school, own_path, signed)

    def _post(
        self, environ: WSGIEnvironment, policy: Policy, own_path: str
    ) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        form = self._read_form(environ)
        if form is None:
            return HTTPStatus.BAD_REQUEST, self._not_sent(policy), []
        if form.get("form") == "report":
            return self._report(environ, form, policy, own_path)
        return self._review(environ, form, policy, own_path)

    def _report(
        self, environ: WSGIEnvironment, form: dict[str, str], policy: Policy, own_path: str
    ) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        """A report that a site should be blocked: checked, limited and written as reviews are."""
        now = self.now()
        query = form.get("q") or None
        notice: Notice | None = None
        if query is not None:
            notice = read_notice(self.key, query, policy, now)
            if not notice.trusted:
                return HTTPStatus.BAD_REQUEST, self._not_sent(policy), []
            if not notice.fresh or notice.at is None or notice.signature is None:
                notice, query = None, None  # too old to say who reports: the report names nobody
        message = form.get("message", "").replace("\r\n", "\n").strip()
        name = " ".join(form.get("name", "").split())
        typed_site = form.get("site", "")
        site = reported_site(typed_site)
        error, error_field = None, "site"
        if not typed_site.strip():
            error = "Please write the address of the website."
        elif site is None:
            error = "Please write the address of one website, for example: games.example.com"
        elif len(message) > MAX_MESSAGE:
            error, error_field = (
                f"Please make your message shorter: it has {len(message):,} characters, "
                f"and it can have {MAX_MESSAGE:,} at most.",
                "message",
            )
        elif len(name) > MAX_NAME:
            error, error_field = f"Please make your name shorter: {MAX_NAME} characters at most.", "name"
        if error is not None or site is None:
            typed = ReportInput(
                typed_site[:MAX_SITE],
                form.get("message", "")[:MAX_MESSAGE],
                form.get("name", "")[:MAX_NAME],
                error,
                error_field,
            )
            page = render_report_page(policy.school, own_path, query, typed)
            return HTTPStatus.UNPROCESSABLE_ENTITY, page, []
        who = client_key(notice.who if notice is not None else None, environ.get("REMOTE_ADDR"))
        at = int(notice.at.timestamp()) if notice is not None and notice.at is not None else int(now)
        refusal = self.report_limiter.admit(notice.signature if notice is not None else None, who, at, now)
        if refusal is not None:
            return self._refused(policy, refusal, self.report_limiter, "reports")
        url, host = site
        fields: dict[str, object] = {
            "url": url,
            "host": host,
            "who": notice.who if notice is not None else None,
            "at": at if notice is not None else None,
            "group": notice.group if notice is not None else None,
            "message": message,
            "name": name or None,
            "ip": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        failed = self._write(policy, fields, now, REPORT_KIND)
        if failed is not None:
            return failed
        return HTTPStatus.SEE_OTHER, render_reported(policy.school), [("Location", own_path + "?reported=1")]

    def _write(
        self, policy: Policy, fields: dict[str, object], now: float, kind: str | None = None
    ) -> tuple[HTTPStatus, str, list[tuple[str, str]]] | None:
        """Write one line to the review file; None when it was written, else the page to answer with."""
        try:
            if kind is None:
                self.reviews.record(fields)
            else:
                self.reviews.record(fields, kind)
        except ReviewSpaceError as exc:
            if exc.first:
                self._say(str(exc))
            retry = 86400 - int(now % 86400)
            return self._refused_page(policy, "The school has had a lot of requests today", retry)
        except (OSError, ValueError) as exc:
            self._say(f"cannot record a review request: {exc}")
            return (
                HTTPStatus.SERVICE_UNAVAILABLE,
                render_message_page(
                    "Your request was not sent",
                    policy.school,
                    "Your request could not be saved just now. Try again in a few minutes, "
                    "or tell your teacher.",
                ),
                [],
            )
        return None

    def _review(
        self, environ: WSGIEnvironment, form: dict[str, str], policy: Policy, own_path: str
    ) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        query = form.get("q", "")
        now = self.now()
        notice = read_notice(self.key, query, policy, now)
        if not notice.trusted or not notice.reviewable or notice.signature is None:
            # The signature is checked again: the hidden field is the pupil's to edit.
            return HTTPStatus.BAD_REQUEST, self._not_sent(policy), []
        message = form.get("message", "").replace("\r\n", "\n").strip()
        name = " ".join(form.get("name", "").split())
        error = None
        if not message:
            error = "Please write why you need this page."
        elif len(message) > MAX_MESSAGE:
            error = (
                f"Please make your message shorter: it has {len(message):,} characters, "
                f"and it can have {MAX_MESSAGE:,} at most."
            )
        elif len(name) > MAX_NAME:
            error = f"Please make your name shorter: {MAX_NAME} characters at most."
        if error is not None and notice.fresh:
            typed = FormInput(form.get("message", ""), form.get("name", ""), error)
            return HTTPStatus.UNPROCESSABLE_ENTITY, render_block_page(notice, own_path, typed), []
        if not notice.fresh or notice.at is None:
            return HTTPStatus.TOO_MANY_REQUESTS, self._too_old(policy, notice), []
        who = client_key(notice.who, environ.get("REMOTE_ADDR"))
        refusal = self.limiter.admit(notice.signature, who, int(notice.at.timestamp()), now)
        if refusal is not None:
            return self._refused(policy, refusal, self.limiter, "review requests")
        failed = self._write(policy, _review_fields(notice, message, name, environ), now)
        if failed is not None:
            return failed
        return HTTPStatus.SEE_OTHER, render_thanks(policy.school), [("Location", own_path + "?sent=1")]

    def _too_old(self, policy: Policy, notice: Notice) -> str:
        """For a block older than MAX_AGE_SECONDS, or one whose time cannot be right (days ahead)."""
        if notice.old and notice.when:
            why = f"This block page is too old to ask for a review from. It is from {notice.when}."
        else:
            why = "The time on this block page is not right, so a review cannot be asked for from it."
        return render_message_page(
            "Your request was not sent",
            policy.school,
            why,
            "Open the website again: if it is still blocked, you can ask from the new page. "
            "Or ask your teacher.",
        )

    def _refused(
        self, policy: Policy, refusal: Refusal, limiter: ReviewLimiter, what: str
    ) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        limits = limiter.limits
        if refusal.limit is Limit.PAGE:
            if refusal.first:
                self._say(
                    f"a block page address has been used for {limits.per_page} {what}, "
                    "its limit: more from it are refused"
                )
            already = (
                "You have already sent reports from this page, so this one was not sent."
                if what == "reports"
                else "You have already asked for a review of this page, so this request was not sent."
            )
            page = render_message_page(
                "Your request was not sent",
                policy.school,
                already,
                "If you still need the page for your school work, ask your teacher."
                if what != "reports"
                else "If you need to tell us about another website, tell your teacher.",
            )
            return HTTPStatus.TOO_MANY_REQUESTS, page, []
        if refusal.limit is Limit.CLIENT:
            if refusal.first:
                self._say(
                    f"one pupil or device has sent {limits.per_client} {what} this hour, "
                    "the limit: more from them are refused until the hour is over"
                )
            reason = "A lot of requests have been sent by you or from your computer in the last hour"
        else:
            if refusal.first:
                self._say(
                    f"the block page has taken {limits.total} {what} this hour, its limit: "
                    "more are refused until the hour is over"
                )
            reason = "The school has had a lot of requests in the last hour"
        return self._refused_page(policy, reason, refusal.retry_after)

    def _refused_page(
        self, policy: Policy, reason: str, retry_after: int | None
    ) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        page = render_message_page(
            "Your request was not sent",
            policy.school,
            f"{reason}, so this one was not sent.",
            "Ask your teacher to help you with the page you need, or try again later.",
        )
        extra = [("Retry-After", str(retry_after))] if retry_after is not None else []
        return HTTPStatus.TOO_MANY_REQUESTS, page, extra

    def _say(self, text: str) -> None:
        """One line (or a traceback) on the log; a log that cannot be written is not the pupil's problem."""
        with contextlib.suppress(OSError, ValueError):
            self.log.write(f"schoolgate block-page: {text}\n")
            self.log.flush()

    def _read_form(self, environ: WSGIEnvironment) -> dict[str, str] | None:
        """The fields of a urlencoded form body (each given once), or None for anything else."""
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
        try:
            fields = parse_qs(
                body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=10, encoding="utf-8"
            )
        except ValueError:
            return None
        if any(len(values) != 1 for values in fields.values()):
            return None
        return {name: values[0] for name, values in fields.items()}

    def _not_sent(self, policy: Policy) -> str:
        return render_message_page(
            "Your request was not sent",
            policy.school,
            "The address of the block page was changed or is incomplete, so this request cannot be "
            "checked. Go back to the page you wanted and try again.",
        )


def _review_fields(notice: Notice, message: str, name: str, environ: WSGIEnvironment) -> dict[str, object]:
    return {
        "url": notice.url,
        "host": notice.host,
        "who": notice.who,
        "at": int(notice.at.timestamp()) if notice.at is not None else None,
        "reason": notice.reason,
        "group": notice.group,
        "category": notice.category,
        "rule": notice.rule,
        "message": message,
        "name": name or None,
        "ip": environ.get("REMOTE_ADDR"),
        "user_agent": environ.get("HTTP_USER_AGENT"),
    }
