"""Republishing what expired: a step of the worker's round (`tidy(now)`, for every school).

The engine already honours every `expires` in the policy file (a visitor's timed identities, a timed
rule, an approved request's grant), so the gateways stop applying them on time whether or not
anything publishes. This step keeps the file itself true: when something in a school's running
policy has expired, it publishes the running base without the ended blocks
(`policyfile.sections.drop_expired`) and with a fresh requests section, as "Schoolgate (expiry)",
with a reason that says what ended. The DNS gateway, which tags clients by subnet in unbound's own
configuration, follows identities only at a publish: this republish is what moves an expired
visitor's network there, within a round of the expiry.

It never publishes the editor's draft: only what is running, less what ended.

A round with nothing due is cheap: one query (each school's latest version and its SHA-256); the
next expiry of each running policy is worked out once per version (reading its file) and kept in
memory until that instant, or until another version is published.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import OuterRef, Subquery

from schoolgate.policyfile.sections import SectionError, drop_expired
from schoolgate.web.policy import actions
from schoolgate.web.policy.models import PolicyVersion, SchoolPolicy
from schoolgate.web.policy.requests_section import instant
from schoolgate.web.tenancy.models import School

__all__ = ["RETRY_AFTER", "next_expiry", "tidy"]

log = logging.getLogger(__name__)

# After a failed republish, when to try that school again (unless it publishes meanwhile).
RETRY_AFTER = dt.timedelta(minutes=5)

# school id -> (SHA-256 of its running version, when to look again: its next expiry, or None: never)
_due: dict[int, tuple[str, dt.datetime | None]] = {}


def next_expiry(text: str, after: dt.datetime | None = None) -> dt.datetime | None:
    """The earliest `expires` of the file's `[[identities]]`, `[[rules]]` and `[[grants]]` (only those
    later than `after`, when given), or None when nothing in it expires."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    school = data.get("school")
    name = school.get("timezone") if isinstance(school, dict) else None
    try:
        zone = ZoneInfo(name if isinstance(name, str) else "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/London")
    found: list[dt.datetime] = []
    for section in ("identities", "rules", "grants"):
        entries = data.get(section)
        for entry in entries if isinstance(entries, list) else ():
            ends = instant(entry.get("expires"), zone) if isinstance(entry, dict) else None
            if ends is not None and (after is None or ends > after):
                found.append(ends)
    return min(found, default=None)


def _running() -> list[tuple[int, str]]:
    """(school id, SHA-256) of every school's latest version: one query."""
    latest = PolicyVersion.objects.filter(school=OuterRef("school")).order_by("-number").values("number")[:1]
    return list(
        PolicyVersion.objects.filter(number=Subquery(latest))
        .order_by("school_id")
        .values_list("school_id", "sha256")
    )


def _reason(ended: list[str]) -> str:
    if not ended:
        return "Expired: the approved requests in force changed"
    return "Expired: " + "; ".join(ended)


def _tidy_school(school: School, sha: str, now: dt.datetime) -> bool:
    """Republish one school if something in its running policy has expired; whether it did."""
    text = actions.running_text(school)
    if text is None:
        _due[school.pk] = (sha, None)
        return False
    due = next_expiry(text)
    if due is None or due > now:
        _due[school.pk] = (sha, due)
        return False
    with transaction.atomic():
        SchoolPolicy.objects.select_for_update().filter(school=school).first()  # one publish at a time
        try:
            ended = drop_expired(text, now)[1]
        except SectionError as exc:
            raise actions.PublishError([actions.Problem(str(exc))]) from None
        version, _ = actions.republish(
            school,
            actor=None,
            actor_name=actions.EXPIRY_PUBLISHER,
            reason=_reason(ended),
            at=now,
            drop_ended=True,
        )
    if version is None:  # nothing to take out after all: look again at the next one
        _due[school.pk] = (sha, next_expiry(text, after=now))
        return False
    _due[school.pk] = (version.sha256, next_expiry(version.text, after=now))
    log.info("republished %s's policy as version %s: %s", school, version.number, version.reason)
    return True


def tidy(now: dt.datetime) -> int:
    """Republish every school whose running policy has something expired at `now`; how many did.
    One school's failure is logged and retried after `RETRY_AFTER`, and never stops the others."""
    republished = 0
    for school_id, sha in _running():
        cached = _due.get(school_id)
        if cached is not None and cached[0] == sha and (cached[1] is None or cached[1] > now):
            continue
        school = School.objects.filter(pk=school_id).first()
        if school is None:
            continue
        try:
            republished += _tidy_school(school, sha, now)
        except Exception:  # one school's failure (a bad file, a full disk) must not stop the others
            log.exception("could not republish what expired in %s's policy", school)
            _due[school_id] = (sha, now + RETRY_AFTER)
    return republished
