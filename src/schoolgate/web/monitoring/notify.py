"""Telling people of alerts: a high one at once, the medium ones in a same-day digest.

`send_due(now)` is called by the worker every round (every second by default): cheap when nothing is
due, and one school's failure never stops the others.

- **High** alerts still new and not yet told: one e-mail per alert to each person whose roles open it
  (`access.alert_subjects`, from memberships and capabilities, never a list of roles here): about a
  pupil, a visitor or an unidentified user, to those who also deal with restricted concerns (the DSL
  and deputies), plus the school's `extra_recipients`; about a member of staff, to the headteacher; about
  the headteacher, to the chair of governors; a failed filtering self-test also to those who run it
  (the network manager), linking to the self-test's page. The person the alert is about is never
  told. And, where the school gave one, a post to its webhook (Microsoft Teams or Slack:
  `{"text": ...}`), for an alert the DSL team deals with (not one about staff or the headteacher:
  the channel is the team's).
- **Medium** alerts: one digest a day per school, at its `digest_hour` in its time zone, saying how many
  and linking to the inbox; those raised after it wait for the next day's.
- **Low** alerts: nothing here; the weekly report counts them.

What a message says: that there is an alert, its severity, when, and a link. Never a name, a search term
or an address: a mail can be read over a shoulder, forwarded, or kept by a mail provider.

An alert nobody could be told of (the mail server refused, no address) is tried again later, with a
growing wait (`RETRY_DELAYS`, then every 15 minutes), for as long as it is new: it is never dropped. What
went wrong is kept on it (`notify_problem`) and shown in the inbox. Once at least one person was told
(by e-mail or the webhook), the others' failures are shown, not retried: a retry would e-mail again
those who had it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Max
from django.urls import reverse

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.monitoring import access
from schoolgate.web.monitoring.choices import AlertKind, AlertState, Severity, Subject
from schoolgate.web.monitoring.models import Alert, MonitoringSettings
from schoolgate.web.tenancy.models import School

log = logging.getLogger(__name__)

__all__ = [
    "RETRY_DELAYS",
    "WEBHOOK_TIMEOUT",
    "due_at",
    "forget",
    "recipients",
    "selftest_recipients",
    "send_due",
    "webhook_allowed",
]

# Seconds to wait before each attempt after the first (attempt 1 at once); then every 15 minutes.
RETRY_DELAYS = (0, 10, 30, 60, 120, 300, 600)
RETRY_EVERY = 900
WEBHOOK_TIMEOUT = 5.0
# How long one round spends telling of high alerts before it lets the worker read the spool again: a
# mail server that does not answer (10 s a message) must not stop the ingest for minutes.
SEND_BUDGET = 5.0
DIGEST_RETRY = dt.timedelta(minutes=5)
PROBLEM_MAX = 300
ATTEMPTS_MAX = 30_000  # the count stops here (its column's limit is near); the tries do not

_PUPIL_SIDE = frozenset({Subject.PUPIL, Subject.OTHER, Subject.UNKNOWN})


def due_at(alert: Alert) -> dt.datetime:
    """When the next attempt to tell of `alert` is due: at once, then after each growing wait."""
    waited = sum(RETRY_DELAYS[: alert.notify_attempts + 1])
    extra = max(0, alert.notify_attempts + 1 - len(RETRY_DELAYS)) * RETRY_EVERY
    return alert.created_at + dt.timedelta(seconds=waited + extra)


def recipients(
    school: School, subject: str, person_id: int | None = None, users: Iterable[User] | None = None
) -> list[User]:
    """Who is e-mailed about an alert about `subject` at `school`: its logins whose roles open such
    alerts (and, about a pupil, a visitor or someone unidentified, who also deal with restricted
    concerns: the DSL and deputies), never the person it is about (`person_id`). Sorted by name."""
    if users is None:
        users = (
            User.objects.filter(is_active=True, memberships__school=school)
            .select_related("person")
            .distinct()
        )
    found = []
    for user in users:
        if subject not in access.alert_subjects(user, school):
            continue
        if subject in _PUPIL_SIDE and not user.can(Capability.INCIDENT_RESTRICTED, school):
            continue
        own = getattr(user, "person", None)
        if person_id is not None and own is not None and own.pk == person_id:
            continue
        found.append(user)
    return sorted(found, key=lambda u: str(u).lower())


def selftest_recipients(school: School, already: Iterable[User] = ()) -> list[User]:
    """Who also hears of a failed self-test: those who run it (the network manager, who mends the
    filter), besides those told of alerts as usual. Sorted by name."""
    known = {user.pk for user in already}
    users = User.objects.filter(is_active=True, memberships__school=school).distinct()
    found = [u for u in users if u.pk not in known and u.can(Capability.SELFTEST_RUN, school)]
    return sorted(found, key=lambda u: str(u).lower())


def _extra(monitoring: MonitoringSettings | None) -> list[str]:
    """The school's further addresses for high pupil alerts: one per line, the valid ones."""
    if monitoring is None:
        return []
    out = []
    for line in monitoring.extra_recipients.splitlines():
        address = line.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            log.warning(
                "extra recipient %r of school %s is not an e-mail address", address, monitoring.school_id
            )
            continue
        out.append(address)
    return out


def webhook_allowed(url: str) -> bool:
    """Only https:// addresses; plain http to the loopback only where the setting allows it (tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    return (
        parts.scheme == "http"
        and loopback
        and bool(getattr(settings, "MONITORING_WEBHOOK_HTTP_LOOPBACK", False))
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that answers with a redirect is a failure: the message goes nowhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def post_webhook(url: str, text: str) -> str | None:
    """POST `{"text": text}` to `url`; None when it was taken (2xx), else why not, in words."""
    if not webhook_allowed(url):
        return "the webhook address must start with https://"
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Schoolgate"},
    )
    try:
        with _OPENER.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"the webhook answered {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return f"the webhook could not be reached ({reason})"
    if not 200 <= status < 300:
        return f"the webhook answered {status}"
    return None


def _local(at: dt.datetime, school: School) -> dt.datetime:
    try:
        return at.astimezone(ZoneInfo(school.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return at.astimezone(ZoneInfo("Europe/London"))


def _absolute(path: str) -> str:
    """A page's address for an e-mail: whole where the server knows its own address (`SCHOOLGATE_URL`);
    else where to find it in words, since a bare path is no link in a mail."""
    if settings.SITE_URL:
        return f"{settings.SITE_URL.rstrip('/')}{path}"
    return f"in Schoolgate, Alerts ({path})"


def message(alert: Alert) -> tuple[str, str]:
    """The subject and body of a high alert's e-mail: no name, no term, no address."""
    school = alert.school
    when = _local(alert.first_at, school)
    severity = alert.get_severity_display()
    subject = f"{severity} alert at {school.name}"
    # A self-test alert is read by the network manager too, who does not open the alert inbox: its
    # link is the self-test's page, which both they and the DSL team open.
    page = (
        reverse("selftest:runs")
        if alert.kind == AlertKind.SELFTEST
        else reverse("monitoring:alert", kwargs={"pk": alert.pk})
    )
    body = (
        f"Schoolgate raised a {severity.lower()} alert at {school.name} at {when:%H:%M} on "
        f"{when.day} {when:%B %Y}.\n\n"
        f"Open it: {_absolute(page)}\n\n"
        "This message says nothing about whom or what it is about, on purpose: it could be read by others. "
        "You are told because your role at the school deals with such alerts."
    )
    return subject, body


@dataclass
class _Told:
    sent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _tell(alert: Alert, monitoring: MonitoringSettings | None) -> _Told:
    told = _Told()
    subject, body = message(alert)
    addresses: dict[str, str] = {}
    nobody: list[str] = []
    told_users = recipients(alert.school, alert.subject, alert.person_id)
    if alert.kind == AlertKind.SELFTEST:
        told_users += selftest_recipients(alert.school, told_users)
    for user in told_users:
        if user.email:
            addresses.setdefault(user.email.lower(), user.email)
        else:
            nobody.append(str(user))
    if alert.subject == Subject.PUPIL:
        for address in _extra(monitoring):
            addresses.setdefault(address.lower(), address)
    if not mail.set_up():
        told.problems.append("e-mail could not be sent: e-mail is not set up on this server")
    elif not addresses:
        told.problems.append("e-mail could not be sent: nobody who deals with it has an e-mail address")
    else:
        failed: list[str] = []
        for address in addresses.values():
            outcome = mail.send(address, subject, body)
            if outcome.sent:
                told.sent.append(address)
            else:
                failed.append(outcome.why)
        if failed:
            told.problems.append(
                f"e-mail could not be sent to {len(failed)} of {len(addresses)}: {failed[0]}"
            )
    if nobody:
        told.problems.append(f"no e-mail address: {len(nobody)} of those who deal with it")
    # The webhook is the DSL team's channel: an alert about a member of staff or the headteacher is not
    # posted there, as a link its readers cannot open would still tell them there is one.
    if monitoring is not None and monitoring.webhook_url and alert.subject in _PUPIL_SIDE:
        where = _absolute(reverse("monitoring:alert", kwargs={"pk": alert.pk}))
        problem = post_webhook(monitoring.webhook_url, f"{subject}. Open it: {where}")
        if problem is None:
            told.sent.append("webhook")
        else:
            told.problems.append(f"webhook: {problem}")
    return told


def _settings_of(school_ids: Iterable[int]) -> dict[int, MonitoringSettings]:
    return {s.school_id: s for s in MonitoringSettings.objects.filter(school_id__in=sorted(set(school_ids)))}


# When each alert whose count of tries reached ATTEMPTS_MAX was last tried by this process: `due_at`
# no longer grows for it, so it is tried every RETRY_EVERY by this memory instead of every round.
_capped_tries: dict[int, dt.datetime] = {}


def _not_just_tried(alert: Alert, now: dt.datetime) -> bool:
    if alert.notify_attempts < ATTEMPTS_MAX:
        return True
    last = _capped_tries.get(alert.pk)
    if last is not None and now - last < dt.timedelta(seconds=RETRY_EVERY):
        return False
    _capped_tries[alert.pk] = now
    return True


def _high(now: dt.datetime) -> int:
    waiting = list(
        Alert.objects.filter(severity=Severity.HIGH, state=AlertState.NEW, notified_at__isnull=True)
        .select_related("school", "person")
        .order_by("created_at", "pk")
    )
    due = [a for a in waiting if due_at(a) <= now and _not_just_tried(a, now)]
    if not due:
        return 0
    monitoring = _settings_of(a.school_id for a in due)
    done = 0
    started = time.monotonic()
    for alert in due:
        if time.monotonic() - started > SEND_BUDGET:
            break  # a mail server that hangs holds up the ingest no longer: the rest, next round
        try:
            told = _tell(alert, monitoring.get(alert.school_id))
        except Exception as error:  # one alert's failure never stops the others
            log.exception("telling of alert %s failed", alert.pk)
            told = _Told(problems=[f"could not be sent: {type(error).__name__}"])
        fields = {
            "notify_attempts": min(alert.notify_attempts + 1, ATTEMPTS_MAX),
            "notify_problem": "; ".join(told.problems)[:PROBLEM_MAX],
        }
        if told.sent:
            fields["notified_at"] = now
            done += 1
        # Not an audited change (attempts and problems are left out of the trail): an update.
        Alert.objects.filter(pk=alert.pk).update(**fields)
    return done


_digest_failed: dict[int, dt.datetime] = {}
# The school-local day whose digest this process has seen sent, per school: until the next day, the
# school's medium alerts wait, and are not looked at again every second.
_digest_sent: dict[int, dt.date] = {}


def forget() -> None:
    """Forget which digests this process saw sent or fail (a test starting afresh): the database's
    `digest_at` still says which alerts were in one."""
    _digest_failed.clear()
    _digest_sent.clear()
    _capped_tries.clear()


def _digest(now: dt.datetime) -> int:
    waiting = (
        Alert.objects.filter(severity=Severity.MEDIUM, state=AlertState.NEW, digest_at__isnull=True)
        .values_list("school_id", flat=True)
        .distinct()
    )
    school_ids = sorted(set(waiting))
    if not school_ids:
        return 0
    monitoring = _settings_of(school_ids)
    sent = 0
    for school in School.objects.filter(pk__in=school_ids):
        try:
            sent += _digest_school(school, monitoring.get(school.pk), now)
        except Exception:
            log.exception("the digest of school %s failed", school.pk)
            _digest_failed[school.pk] = now
    return sent


def _digest_school(school: School, monitoring: MonitoringSettings | None, now: dt.datetime) -> int:
    hour = (
        monitoring.digest_hour
        if monitoring is not None
        else MonitoringSettings._meta.get_field("digest_hour").get_default()
    )
    local = _local(now, school)
    if local.hour < hour:
        return 0
    if _digest_sent.get(school.pk) == local.date():
        return 0
    failed = _digest_failed.get(school.pk)
    if failed is not None and now - failed < DIGEST_RETRY:
        return 0
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    last = Alert.objects.filter(school=school, digest_at__isnull=False).aggregate(last=Max("digest_at"))[
        "last"
    ]
    if last is not None and last >= start_of_day:
        _digest_sent[school.pk] = local.date()
        return 0  # today's digest went
    alerts = list(
        Alert.objects.filter(
            school=school,
            severity=Severity.MEDIUM,
            state=AlertState.NEW,
            digest_at__isnull=True,
            created_at__lte=now,
        ).values_list("pk", "subject", "person_id")
    )
    if not alerts:
        return 0
    # Each person is told how many of the alerts are theirs to see (by whom each is about).
    users = list(
        User.objects.filter(is_active=True, memberships__school=school).select_related("person").distinct()
    )
    counts: dict[str, int] = {}
    for _, subject, person_id in alerts:
        addresses = {u.email for u in recipients(school, subject, person_id, users) if u.email}
        if subject == Subject.PUPIL:
            addresses |= set(_extra(monitoring))
        for address in addresses:
            counts[address] = counts.get(address, 0) + 1
    if not mail.set_up() or not counts:
        _digest_failed[school.pk] = now
        return 0
    inbox = _absolute(reverse("monitoring:alerts")) + "?state=new&severity=medium"
    sent = 0
    for address, count in sorted(counts.items()):
        plural = "s" if count != 1 else ""
        subject_line = f"{count} medium alert{plural} today at {school.name}"
        body = (
            f"Schoolgate raised {count} medium alert{plural} at {school.name} that nobody has looked at "
            f"yet.\n\nThe alert inbox: {inbox}\n\n"
            "This message says nothing about whom or what they are about, on purpose: it could be read by "
            "others. You are told because your role at the school deals with such alerts."
        )
        sent += mail.send(address, subject_line, body).sent
    if not sent:
        _digest_failed[school.pk] = now
        return 0
    _digest_failed.pop(school.pk, None)
    _digest_sent[school.pk] = local.date()
    Alert.objects.filter(pk__in=[pk for pk, _, _ in alerts]).update(digest_at=now)
    return 1


def send_due(now: dt.datetime) -> int:
    """Tell of the high alerts due, and send the digests due. Returns how many alerts were told of and
    digests sent."""
    return _high(now) + _digest(now)
