"""Telling staff of requests by e-mail: the requester once their request is decided, and those who may
decide once a request waits for them.

`send_due(now)` is called by the worker every round: one indexed query each when nothing is due
(partial indexes on the untold rows), and nothing at all when e-mail is not set up on the server (the
app still shows everything: the home page's panels, the "decided" mark until the requester opens it).

- A member of staff's request, approved or refused (and not their own lesson unblock): one e-mail to
  them, "Your request 14 at Northfield Primary has been decided", with a link (`told_at`).
- Requests waiting for a decision (new, or answered after a question): those the school lets decide
  their kind (`actions.may_decide`) are e-mailed at most once every `WAITING_EVERY`, one e-mail per
  school naming the waiting requests' numbers, with a link (`deciders_told_at`).

What a message says: that there is a request or a decision, its number, and a link. Never the site,
the pupil or the reason: a mail can be read over a shoulder, forwarded, or kept by a mail provider (as
the monitoring's alerts, whose mail helpers these are). A pupil is told on the block page instead
(`status`).

Only what happened in the last `RECENT` is told: a server whose e-mail is set up late does not send
the school's history. A message that could not be sent is tried again after `RETRY_EVERY` (in this
process's memory), for as long as it is recent; one with nobody to send to is marked told.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.models import User
from schoolgate.web.filterrequests.actions import may_decide
from schoolgate.web.filterrequests.choices import OPEN_STATES, RequestState
from schoolgate.web.filterrequests.models import FilterRequest

__all__ = [
    "RECENT",
    "RETRY_EVERY",
    "WAITING_EVERY",
    "decided_message",
    "deciders",
    "forget",
    "send_due",
    "waiting_digest",
    "waiting_message",
]

log = logging.getLogger(__name__)

RECENT = dt.timedelta(days=7)
RETRY_EVERY = dt.timedelta(minutes=15)
BATCH = 100  # at most this many requests a round; the rest the next

WAITING_EVERY = dt.timedelta(minutes=15)  # those who decide: at most one e-mail in this time

# When this process last failed to send about a request: (pk, "decided" | "waiting") -> when.
_failed: dict[tuple[int, str], dt.datetime] = {}
# When this process last e-mailed those who decide of waiting requests ("last" -> when).
_waiting_sent: dict[str, dt.datetime] = {}


def forget() -> None:
    """Forget the failed attempts and the last e-mail of waiting requests (the tests start afresh)."""
    _failed.clear()
    _waiting_sent.clear()


def _link(request: FilterRequest) -> str:
    """The request's page for an e-mail: whole where the server knows its own address (as the alerts'
    e-mails do); else where to find it in words, since a bare path is no link in a mail."""
    path = reverse("filterrequests:request", args=[request.number])
    if settings.SITE_URL:
        return f"{settings.SITE_URL.rstrip('/')}{path}"
    return f"in Schoolgate, Requests ({path})"


def decided_message(request: FilterRequest) -> tuple[str, str]:
    """The subject and body of the e-mail to the requester: no site, no name, no reason."""
    school = request.school.name
    subject = f"Your request {request.number} at {school} has been decided"
    body = (
        f"Your request {request.number} to change the filtering at {school} has been decided.\n\n"
        f"See the decision: {_link(request)}\n\n"
        "This message does not say what the request was about, on purpose: it could be read by others."
    )
    return subject, body


def waiting_message(request: FilterRequest) -> tuple[str, str]:
    """The subject and body of the e-mail to those who may decide: no site, no name, no reason."""
    school = request.school.name
    subject = f"Request {request.number} at {school} is waiting for a decision"
    body = (
        f"A request to change the filtering at {school} (request {request.number}) is waiting for a "
        f"decision.\n\nOpen it: {_link(request)}\n\n"
        "You are told because the school lets you decide such requests. This message does not say what "
        "the request is about, on purpose: it could be read by others."
    )
    return subject, body


def _due(rows: QuerySet[FilterRequest], what: str, now: dt.datetime) -> list[FilterRequest]:
    out = []
    for request in rows.select_related("school", "asked_by")[:BATCH]:
        last = _failed.get((request.pk, what))
        if last is None or now - last >= RETRY_EVERY:
            out.append(request)
    return out


def _send(addresses: list[str], subject: str, body: str) -> tuple[int, str]:
    """(how many were sent, the first reason one was not)."""
    sent, why = 0, ""
    for address in addresses:
        outcome = mail.send(address, subject, body)
        if outcome.sent:
            sent += 1
        else:
            why = why or outcome.why
    return sent, why


def _decided(now: dt.datetime) -> int:
    rows = FilterRequest.objects.filter(
        told_at__isnull=True,
        asked_by__isnull=False,
        state__in=(RequestState.APPROVED, RequestState.REFUSED),
        decided_at__gte=now - RECENT,
    ).order_by("decided_at", "pk")
    told = 0
    for request in _due(rows, "decided", now):
        user = request.asked_by
        assert user is not None  # filtered
        if user.is_active and user.email:
            sent, why = _send([user.email], *decided_message(request))
            if not sent:
                _failed[(request.pk, "decided")] = now
                log.warning("the decision on request %s could not be e-mailed: %s", request.pk, why)
                continue
            told += 1
        _failed.pop((request.pk, "decided"), None)
        FilterRequest.objects.filter(pk=request.pk).update(told_at=now)
    return told


def deciders(request: FilterRequest) -> list[User]:
    """Those who may decide `request`, sorted by name."""
    users = User.objects.filter(is_active=True, memberships__school_id=request.school_id).distinct()
    return sorted((u for u in users if may_decide(u, request)), key=lambda u: str(u).lower())


def waiting_digest(requests: list[FilterRequest]) -> tuple[str, str]:
    """One e-mail for several waiting requests of a school: their numbers and the list's link."""
    school = requests[0].school
    numbers = ", ".join(str(r.number) for r in requests)
    path = reverse("filterrequests:list")
    link = (
        f"{settings.SITE_URL.rstrip('/')}{path}" if settings.SITE_URL else f"in Schoolgate, Requests ({path})"
    )
    subject = f"{len(requests)} requests at {school.name} are waiting for a decision"
    body = (
        f"{len(requests)} requests to change the filtering at {school.name} are waiting for a decision "
        f"(requests {numbers}).\n\nOpen the list: {link}\n\n"
        "You are told because the school lets you decide such requests. This message does not say what "
        "the requests are about, on purpose: it could be read by others."
    )
    return subject, body


def _waiting(now: dt.datetime) -> int:
    """Those who may decide are told of the waiting requests at most once every `WAITING_EVERY`, all
    they may decide in one e-mail per school: a flood of reports (anyone on the network can send one
    from the block page) never becomes a flood of e-mail, and a real request is not buried in it."""
    last = _waiting_sent.get("last")
    if last is not None and now - last < WAITING_EVERY:
        return 0
    rows = FilterRequest.objects.filter(
        deciders_told_at__isnull=True, state__in=OPEN_STATES, asked_at__gte=now - RECENT
    ).order_by("asked_at", "pk")
    due = _due(rows, "waiting", now)
    if not due:
        return 0
    to: dict[tuple[int, str], list[FilterRequest]] = defaultdict(list)  # (school, address) -> requests
    for request in due:
        for user in deciders(request):
            if user.email:
                to[(request.school_id, user.email.lower())].append(request)
    failed: set[int] = set()
    for (_, address), requests in sorted(to.items()):
        message = waiting_message(requests[0]) if len(requests) == 1 else waiting_digest(requests)
        sent, why = _send([address], *message)
        if not sent:
            failed.update(r.pk for r in requests)
            log.warning(
                "%d waiting requests could not be e-mailed to one who decides: %s", len(requests), why
            )
    _waiting_sent["last"] = now
    told = 0
    for request in due:
        if request.pk in failed:
            _failed[(request.pk, "waiting")] = now
            continue
        told += 1
        _failed.pop((request.pk, "waiting"), None)
        FilterRequest.objects.filter(pk=request.pk).update(deciders_told_at=now)
    return told


def send_due(now: dt.datetime) -> int:
    """E-mail the decisions and the waiting requests not yet told of. Returns how many requests were
    told of (one for each request, however many people were e-mailed)."""
    if not mail.set_up():
        return 0
    return _decided(now) + _waiting(now)
