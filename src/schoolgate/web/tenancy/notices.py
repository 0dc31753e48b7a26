"""Schools added to a trust, shown to those who lead the trust's schools, and how often one login may
add them.

A headteacher adds a school of their trust through the "Add a school" page, and its first login (the
new school's headteacher or DSL, a role only the server's operator gives) is made in the operator's
place. Whoever adds the school learns that login's one-time password, or chooses the address its
invitation goes to, so they could keep a login at the new school for themselves. Nothing stops a
headteacher typing their own address, so everyone who leads a school of the trust is told instead:
each headteacher, DSL and chair of governors sees every school added to the trust in the last
`SHOWN_FOR` on their home page (read from the audit trail, which nobody can quietly change) with the
new school's first login and its e-mail address, and those of them with an address are e-mailed when
e-mail is set up. One login adds at most `PER_DAY` schools in a day, so that a stolen headteacher's
login cannot fill the server with schools.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils import timezone

from schoolgate.web.accounts import mail, notices
from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.accounts.notices import Told, email_each
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.tenancy.models import School, Trust

__all__ = [
    "PER_DAY",
    "SHOWN_FOR",
    "WATCHERS",
    "SchoolAdded",
    "check_pace",
    "first_login_words",
    "recent",
    "tell",
    "told_words",
]

SHOWN_FOR = dt.timedelta(days=30)
SHOWN_MAX = 50  # a home page lists at most this many (newest first)
WATCHERS = (Role.HEADTEACHER, Role.DSL, Role.CHAIR_OF_GOVERNORS)
PER_DAY = 3  # schools one login may add through the page in 24 hours
_SCHOOL = "tenancy.school"


@dataclass(frozen=True)
class SchoolAdded:
    """A school added to the trust: when, by whom, and its first login as it was made."""

    at: dt.datetime
    school: str
    by: str
    first_login: str  # "d.kaur (Dee Kaur, Designated Safeguarding Lead, e-mail dee@example.org)", or ""


def check_pace(actor: User) -> None:
    """ValidationError if `actor` has added `PER_DAY` schools in the last 24 hours (counted from the
    audit trail's entries for the schools they made). Runs in the caller's transaction, holding the
    actor's row, so that two requests of theirs at once are counted one after the other."""
    list(User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True))
    since = timezone.now() - dt.timedelta(days=1)
    made = AuditEntry.objects.filter(
        object_type=_SCHOOL, action=AuditAction.CREATE, actor=actor, at__gte=since
    ).count()
    if made >= PER_DAY:
        raise ValidationError(
            f"You have added {made} schools in the last 24 hours, as many as one login may: ask the "
            "server's operator to add more (schoolgate school create)"
        )


def _words(first: Membership, shared: dict[str, list[str]]) -> str:
    user = first.user
    address = f"e-mail {user.email}" if user.email else "no e-mail address"
    others = shared.get(user.email.casefold(), []) if user.email else []
    also = f"; the same address as the login of {', '.join(others)}" if others else ""
    return f"{user.get_username()} ({user}, {first.get_role_display()}, {address}{also})"


def _shared(firsts: dict[int, Membership]) -> dict[str, list[str]]:
    """The other logins with each first login's e-mail address (letter case aside), by address: a
    first login with the address of someone who has a login already is probably theirs."""
    wanted = {m.user.email.casefold(): m.user.pk for m in firsts.values() if m.user.email}
    if not wanted:
        return {}
    found: dict[str, list[str]] = {}
    others = User.objects.annotate(address=Lower("email")).filter(address__in=sorted(wanted))
    for other in others.exclude(pk__in=sorted(set(wanted.values()))).order_by("username"):
        found.setdefault(other.email.casefold(), []).append(f"{other} ({other.get_username()})")
    return found


def _firsts(school_ids: set[int]) -> dict[int, Membership]:
    """Each school's first login: the role given first there (the one made with the school)."""
    found: dict[int, Membership] = {}
    memberships = Membership.objects.filter(school_id__in=sorted(school_ids)).select_related("user")
    for membership in memberships.order_by("pk"):
        found.setdefault(membership.school_id, membership)
    return found


def first_login_words(school_id: int) -> str:
    """The school's first login, its role and its e-mail address, in words ("" if it has none)."""
    firsts = _firsts({school_id})
    first = firsts.get(school_id)
    return _words(first, _shared(firsts)) if first is not None else ""


def recent(trust: Trust) -> list[SchoolAdded]:
    """The schools added to `trust` in the last `SHOWN_FOR`, newest first: one query, one more for their
    first logins when there are any, and one for the logins that share their addresses."""
    entries = list(
        AuditEntry.objects.filter(
            object_type=_SCHOOL,
            action=AuditAction.CREATE,
            school__trust=trust,
            at__gte=timezone.now() - SHOWN_FOR,
        )
        .select_related("actor", "school")
        .order_by("-id")[:SHOWN_MAX]
    )
    firsts = _firsts({e.school_id for e in entries if e.school_id is not None}) if entries else {}
    shared = _shared(firsts)
    found = []
    for entry in entries:
        if entry.school is None:
            continue
        by = str(entry.actor) if entry.actor is not None else entry.actor_label
        first = firsts.get(entry.school.pk)
        login = _words(first, shared) if first is not None else ""
        found.append(SchoolAdded(entry.at, entry.school.name, by, login))
    return found


def _watchers(trust: Trust, *, besides: School) -> list[User]:
    found = User.objects.filter(
        is_active=True,
        memberships__school__trust=trust,
        memberships__role__in=[r.value for r in WATCHERS],
    ).exclude(memberships__school=besides)
    return sorted(found.distinct(), key=lambda u: str(u).lower())


def tell(school: School, *, by: User, first_login: str) -> Told:
    """E-mail the headteachers, DSLs and chairs of governors of the trust's other schools (not `by`,
    who added it) that `school` was added, with its first login."""
    told = Told(set_up=mail.set_up())
    if school.trust is None or not told.set_up:
        return told
    trust = school.trust
    site = f"\n\nSchoolgate: {settings.SITE_URL}/" if settings.SITE_URL else ""
    login = f"Its first login: {first_login}." if first_login else "It has no login yet."
    body = (
        f"{by} added {school.name} (URN {school.urn}) to {trust.name} on Schoolgate. {login}\n\n"
        f"You are told because you are a headteacher, a Designated Safeguarding Lead or the chair of "
        f"governors at a school of {trust.name}: every school added to the trust is sent to you, and "
        "shown on your Schoolgate home page for 30 days. If you did not expect it, speak to the "
        "server's operator." + site
    )
    watchers = [person for person in _watchers(trust, besides=school) if person.pk != by.pk]
    email_each(watchers, told, f"A school was added to {trust.name}", body)
    return told


ADDED_SHOWN = (
    "The headteachers, DSLs and chairs of governors of the trust's schools see it, with its first "
    "login, on their home page for 30 days."
)


def told_words(told: Told) -> str:
    """What the page says after a school is added: only what really happened."""
    return notices.told_words(told, ADDED_SHOWN)
