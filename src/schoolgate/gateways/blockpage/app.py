"""The block page as a plain WSGI application (standard library only, so it can also be mounted in the
web app).

    GET  <block page path>?<signed query>   the block page (notice.py says what it may show)
    GET  <block page path>?sent=1           "your request has been sent"
    POST <block page path>                  a review request: q (the signed query), message, name
    GET  /                                  a short "this is the school's block page" notice

The path is the one in the policy's `[school] block_page`. The server never redirects anywhere the
request names: after a review request it sends the browser back to its own path (303, `?sent=1`).
Every answer carries a strict Content-Security-Policy (no script at all; the one inline style sheet
allowed by its hash), and none may be cached, framed or followed by a Referer.

Review requests are limited (limits.py: per signed address, per pupil or device, in all; reviews.py:
the bytes a day): a request over a limit gets a kind page saying it was not sent and to ask a
teacher (429), and the limit's first refusal in its window is logged, naming neither the pupil nor
the site. A request that cannot be written (a full disk) gets the same kind of page (503).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

from schoolgate.activity.reviews import ReviewSpaceError, ReviewWriter
from schoolgate.engine.policy import Policy
from schoolgate.gateways.blockpage.limits import Limit, Refusal, ReviewLimiter, ReviewLimits, client_key
from schoolgate.gateways.blockpage.notice import Notice, read_notice
from schoolgate.gateways.blockpage.page import (
    MAX_MESSAGE,
    MAX_NAME,
    STYLE_HASH,
    FormInput,
    render_block_page,
    render_message_page,
    render_thanks,
)
from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.load import LISTS_NOT_READ
from schoolgate.policyfile.snapshot import load_snapshot
from schoolgate.policyfile.watch import FileWatcher

__all__ = ["MAX_BODY", "BlockPageApp", "PolicySource", "page_path"]

MAX_BODY = 64 * 1024  # bytes in a review request's form (the message is at most MAX_MESSAGE characters)
RELOAD_SECONDS = 2.0  # how often the policy file is looked at for changes, at most

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
    ) -> None:
        self.key = key
        self._policy = policy
        self.reviews = reviews
        self.now = now
        self.log = log
        self.limiter = ReviewLimiter(limits or ReviewLimits())

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
            now = self.now()
            notice = read_notice(self.key, query, policy, now)
            asked = notice.signature is not None and self.limiter.used_up(notice.signature, now)
            return HTTPStatus.OK, render_block_page(notice, own_path, asked=asked), []
        if method == "POST":
            return self._review(environ, policy, own_path)
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
        )

    def _review(
        self, environ: WSGIEnvironment, policy: Policy, own_path: str
    ) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        form = self._read_form(environ)
        if form is None:
            return HTTPStatus.BAD_REQUEST, self._not_sent(policy), []
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
            return self._refused(policy, refusal)
        try:
            self.reviews.record(_review_fields(notice, message, name, environ))
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

    def _refused(self, policy: Policy, refusal: Refusal) -> tuple[HTTPStatus, str, list[tuple[str, str]]]:
        limits = self.limiter.limits
        if refusal.limit is Limit.PAGE:
            if refusal.first:
                self._say(
                    f"a block page address has been used for {limits.per_page} review requests, "
                    "its limit: more from it are refused"
                )
            page = render_message_page(
                "Your request was not sent",
                policy.school,
                "You have already asked for a review of this page, so this request was not sent.",
                "If you still need the page for your school work, ask your teacher.",
            )
            return HTTPStatus.TOO_MANY_REQUESTS, page, []
        if refusal.limit is Limit.CLIENT:
            if refusal.first:
                self._say(
                    f"one pupil or device has sent {limits.per_client} review requests this hour, "
                    "the limit: more from them are refused until the hour is over"
                )
            reason = "A lot of requests have been sent by you or from your computer in the last hour"
        else:
            if refusal.first:
                self._say(
                    f"the block page has taken {limits.total} review requests this hour, its limit: "
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
