"""When the next review is due, and telling those who write it.

- `next_due(school)`: the date the school chose after its last sign-off, or else a year after the last
  sign-off; None when no review was ever signed and no date was chosen (a review is due now).
- `panel(user, school, now)`: the home page's reminder, for those who write or sign the review, when
  the next review is due within `SOON` days, overdue, or none was ever signed.
- `send_due(now)`: the worker's step. Once a day (remembered by the process, so every other round asks
  nothing of the database) it looks for schools whose next review comes due within `SOON` days and
  e-mails the holders of REVIEW_CHANGE once per due date (`ReminderSent`). A school that never signed
  a review and chose no date has no date to remind of: its home page says a review is due.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.choices import CAPABILITIES, Capability
from schoolgate.web.accounts.models import Membership
from schoolgate.web.annualreview.models import ReminderSent, Review, ReviewState, Schedule
from schoolgate.web.core.actions import save
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.tenancy.models import School

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User

log = logging.getLogger(__name__)

__all__ = ["SOON", "Due", "forget", "next_due", "panel", "send_due"]

SOON = dt.timedelta(days=30)
WORKER = "schoolgate worker (annual review reminder)"
_checked_on: list[dt.date] = []  # the day this process last looked (at most one entry)


@dataclass(frozen=True)
class Due:
    """The next review: its date (None: never signed, no date chosen) and the last one signed."""

    day: dt.date | None
    last_signed: dt.date | None

    def days_left(self, today: dt.date) -> int | None:
        return None if self.day is None else (self.day - today).days

    def soon(self, today: dt.date) -> bool:
        """Due within `SOON`, overdue, or never signed."""
        return self.day is None or self.day - today <= SOON


def _a_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _due(last_signed_at: dt.datetime | None, schedule: Schedule | None, school: School) -> Due:
    last = None if last_signed_at is None else _local_day(last_signed_at, school)
    if schedule is not None and (last_signed_at is None or schedule.set_at >= last_signed_at):
        return Due(schedule.next_due, last)
    return Due(None if last is None else _a_year_after(last), last)


def _local_day(at: dt.datetime, school: School) -> dt.date:
    """The day of `at` at the school (its time zone; London when it names none that exists)."""
    try:
        zone = ZoneInfo(school.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/London")
    return at.astimezone(zone).date()


def next_due(school: School) -> Due:
    """When `school`'s next review is due."""
    last = Review.objects.filter(school=school, state=ReviewState.SIGNED).aggregate(at=Max("signed_at"))
    return _due(last["at"], Schedule.objects.filter(school=school).first(), school)


@dataclass(frozen=True)
class Panel:
    due: Due
    days_left: int | None
    year: int

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def panel(user: User, school: School, now: dt.datetime) -> Panel | None:
    """The home page's reminder for `user`, or None (not theirs, or not due within `SOON`)."""
    if not (user.can(Capability.REVIEW_CHANGE, school) or user.can(Capability.REVIEW_SIGN, school)):
        return None
    today = _local_day(now, school)
    due = next_due(school)
    if not due.soon(today):
        return None
    return Panel(due, due.days_left(today), school_year(today))


def forget() -> None:
    """Forget the day this process last looked (a test starting afresh)."""
    _checked_on.clear()


WRITERS = tuple(role for role, held in CAPABILITIES.items() if Capability.REVIEW_CHANGE in held)


def _message(school: School, due: Due, today: dt.date) -> tuple[str, str]:
    assert due.day is not None
    path = reverse("annualreview:home")
    where = (
        f"{settings.SITE_URL.rstrip('/')}{path}"
        if settings.SITE_URL
        else f"in Schoolgate, Annual review ({path})"
    )
    when = due.day.strftime("%-d %B %Y")
    left = (due.day - today).days
    subject = f"{school.name}: the annual review of filtering and monitoring is due on {when}"
    body = (
        f"The annual review of filtering and monitoring at {school.name} is due on {when}"
        + (f" (in {left} days).\n\n" if left > 0 else " (today).\n\n" if left == 0 else " (overdue).\n\n")
        + "The review goes through the DfE filtering and monitoring standards point by point, with the "
        "evidence Schoolgate holds beside each, and is signed by the headteacher, the DSL and the online "
        f"safety governor.\n\nStart it here: {where}\n\n"
        "You receive this because your role at the school writes the review. This reminder is sent once."
    )
    return subject, body


def send_due(now: dt.datetime) -> int | None:
    """E-mail the writers of each school whose review comes due within `SOON` days, once per due date.
    Looks once a day; returns how many schools were reminded (None when it did not look)."""
    today = now.astimezone(dt.UTC).date()
    if _checked_on and _checked_on[0] == today:
        return None
    signed = dict(
        Review.objects.filter(state=ReviewState.SIGNED)
        .values("school")
        .annotate(at=Max("signed_at"))
        .values_list("school", "at")
    )
    schedules = {s.school_id: s for s in Schedule.objects.all()}
    sent = set(ReminderSent.objects.filter(due__gte=today - SOON).values_list("school_id", "due"))
    reminded = 0
    for school in School.objects.filter(pk__in=set(signed) | set(schedules)):
        due = _due(signed.get(school.pk), schedules.get(school.pk), school)
        local = _local_day(now, school)
        if due.day is None or due.day - local > SOON or (school.pk, due.day) in sent:
            continue
        if due.day < local - SOON:
            continue  # long overdue before this reminder existed: the home page says so
        if _remind(school, due, local, now):
            reminded += 1
    _checked_on[:] = [today]
    return reminded


def _remind(school: School, due: Due, today: dt.date, now: dt.datetime) -> bool:
    assert due.day is not None
    users = {
        m.user
        for m in Membership.objects.filter(
            school=school, role__in=WRITERS, user__is_active=True
        ).select_related("user")
    }
    addresses = sorted({u.email for u in users if u.email})
    subject, body = _message(school, due, today)
    delivered = [a for a in addresses if mail.send(a, subject, body).sent]
    if addresses and not delivered:
        log.warning("annual review reminder for %s not sent to anyone", school)
        return False  # tried again tomorrow
    try:
        with transaction.atomic():
            save(
                ReminderSent(school=school, due=due.day, sent_at=now, sent_to="\n".join(delivered)),
                actor=WORKER,
                reason="annual review due",
            )
    except IntegrityError:
        return False  # another worker recorded it first
    return True
