"""Telling pupils: the requests status file the block page reads.

A pupil who asked from the block page (a review, or a report that a site should be blocked) has no
login to be told in: they are told the next time the block page is shown to them for that site ("a
teacher is looking at it", "not allowed, because ...", "allowed until ..."). The block page never
touches the database; `publish(school)` writes what it needs beside the school's policy snapshot
(`schoolgate.gateways.blockpage.status.status_path`, `policy.toml` -> `policy-requests.json`), and the
block page reads it when it changes. The format, and why the entries are filed under digests of (who,
site) rather than the names, is in that module's docstring.

What is in it: each request made from the block page (it has a `review`, which says who was blocked,
as signed) that is open, or was decided in the last `KEPT_DAYS` days, the newest per (who, site); a
withdrawn one is left out. Nothing about anyone else: the block page shows only the entry for the
user or address its signed address names, and the site it is about.

The file is written atomically, mode 0640 (group: the policy snapshot's, which the gateways' users
read), so the block page reads the old file or the new. The actions call `publish` on commit after
every change of a request's state; a file that cannot be written is logged, never an error for the
person who decided: the pupil is told at the next change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from schoolgate.gateways.blockpage.status import VERSION, StatusEntry, entry_key, status_path
from schoolgate.web.filterrequests.choices import OPEN_STATES, RequestKind, RequestState
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.policy.actions import snapshot_path, write_beside_snapshot
from schoolgate.web.tenancy.models import School

__all__ = ["KEPT_DAYS", "MAX_ENTRIES", "entries", "path_for", "publish", "publish_on_commit"]

log = logging.getLogger("schoolgate.filterrequests")

KEPT_DAYS = 30  # a decided request is told for this long after its decision
MAX_ENTRIES = 5000  # the newest; well under the block page's size limit for the file
MODE = 0o640


def path_for(school: School) -> Path:
    """Where the school's requests status file is: beside its policy snapshot."""
    return status_path(snapshot_path(school))


def _seconds(at: dt.datetime | None) -> int | None:
    return int(at.timestamp()) if at is not None else None


def _until(request: FilterRequest) -> int | None:
    """When what an approval wrote ends: the latest end among its grants (the earlier of `expires` and
    `ended_at`); None when a grant has no end, or there is none."""
    ends: list[dt.datetime] = []
    for grant in request.grants.all():
        candidates = [t for t in (grant.expires, grant.ended_at) if t is not None]
        if not candidates:
            return None
        ends.append(min(candidates))
    return _seconds(max(ends)) if ends else None


def _entry(request: FilterRequest) -> StatusEntry | None:
    kind = "block" if request.kind == RequestKind.BLOCK else "review"
    asked = _seconds(request.asked_at)
    if request.state in OPEN_STATES:
        return StatusEntry(kind, "open", asked)
    if request.state == RequestState.REFUSED:
        return StatusEntry(
            kind, "refused", asked, _seconds(request.decided_at), None, request.decision_reason
        )
    if request.state == RequestState.APPROVED:
        return StatusEntry(kind, "approved", asked, _seconds(request.decided_at), _until(request))
    return None  # withdrawn


def entries(school: School, now: dt.datetime) -> dict[str, StatusEntry]:
    """The file's entries for `school` at `now`, by `entry_key`."""
    since = now - dt.timedelta(days=KEPT_DAYS)
    requests = (
        FilterRequest.objects.filter(school=school, review__isnull=False)
        .exclude(review__who="")
        .exclude(state=RequestState.WITHDRAWN)
        .filter(Q(state__in=OPEN_STATES) | Q(decided_at__gte=since))
        .select_related("review")
        .prefetch_related("grants")
        .order_by("-number")[:MAX_ENTRIES]
    )
    out: dict[str, StatusEntry] = {}
    for request in reversed(list(requests)):  # oldest first: the newest request for a key wins
        entry = _entry(request)
        review = request.review
        if entry is None or review is None:
            continue
        for site in {request.site, review.site}:
            if site:
                out[entry_key(review.who, site)] = entry
    return out


def publish(school: School, now: dt.datetime | None = None) -> Path | None:
    """Write the school's requests status file; its path, or None when it could not be written (said on
    the log: the pupil is told at the next change instead)."""
    now = now or timezone.now()
    snapshot = snapshot_path(school)
    path = status_path(snapshot)
    document = {
        "v": VERSION,
        "written": int(now.timestamp()),
        "entries": {key: entry.as_json() for key, entry in sorted(entries(school, now).items())},
    }
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"

    if not write_beside_snapshot(snapshot, path, data, mode=MODE, what="the requests status file"):
        return None
    return path


def publish_on_commit(school: School) -> None:
    """`publish` once the current transaction commits (at once outside one): what the file says is
    then what the database says."""
    transaction.on_commit(lambda: publish(school))
