"""Changes to safeguarding roles, shown to those who watch over them.

Whoever gives or takes away a role that opens records of concerns (`choices.SAFEGUARDING_ROLES`: the
DSL, deputy DSL, online safety coordinator, headteacher and chair of governors), the school's DSLs and
chairs of governors are told: on their home page for `SHOWN_FOR` (read from the audit trail, which
nobody can quietly change), and by e-mail to each of them with an address when e-mail is set up. A
role given to oneself or to an ally by someone who should not have could otherwise go unnoticed until
the records it opened had been read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.choices import SAFEGUARDING_ROLES, Role
from schoolgate.web.accounts.models import User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.tenancy.models import School

SHOWN_FOR = dt.timedelta(days=30)
WATCHERS = (Role.DSL, Role.CHAIR_OF_GOVERNORS)
SHOWN_MAX = 100  # a home page lists at most this many (newest first)


@dataclass(frozen=True)
class RoleChange:
    at: dt.datetime
    person: str
    role: Role
    given: bool  # False: taken away
    by: str
    # The login's e-mail address, where its reset links go: one typed by whoever made the login may be
    # theirs, so the DSL and the chair see it with every grant.
    email: str = ""

    def sentence(self) -> str:
        if self.given:
            address = f" (e-mail {self.email})" if self.email else " (no e-mail address)"
            return f"{self.by} gave {self.person}{address} the role {self.role.label}"
        return f"{self.by} took away {self.person}'s role {self.role.label}"


@dataclass
class Told:
    """Who was told of a change by e-mail, and who was not and why: what the page says after it."""

    set_up: bool
    emailed: list[str] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def roles_words() -> str:
    """The safeguarding roles, for a sentence: "Designated Safeguarding Lead, Deputy DSL, ... and Chair
    of governors"."""
    labels = [str(r.label) for r in Role if r in SAFEGUARDING_ROLES]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def watches(roles: Iterable[Role | str]) -> bool:
    """Whether someone with `roles` at a school sees its changes to safeguarding roles."""
    return any(Role(r) in WATCHERS for r in roles)


def watchers(school: School) -> list[User]:
    """The school's DSLs and chairs of governors (logins switched on), by name."""
    found = User.objects.filter(
        is_active=True, memberships__school=school, memberships__role__in=[r.value for r in WATCHERS]
    ).distinct()
    return sorted(found, key=lambda u: str(u).lower())


def recent(school: School) -> list[RoleChange]:
    """The changes to safeguarding roles at `school` in the last `SHOWN_FOR`, newest first, from the
    audit trail's entries for roles."""
    entries = list(
        AuditEntry.objects.filter(
            school=school, object_type="accounts.membership", at__gte=timezone.now() - SHOWN_FOR
        )
        .select_related("actor")
        .order_by("-id")[: SHOWN_MAX * 4]
    )
    found: list[tuple[AuditEntry, int | None, Role, bool]] = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        sides = []
        if entry.action in (AuditAction.DELETE, AuditAction.UPDATE) and before.get("role"):
            sides.append((before, False))
        if entry.action in (AuditAction.CREATE, AuditAction.UPDATE) and after.get("role"):
            sides.append((after, True))
        if entry.action == AuditAction.UPDATE and before.get("role") == after.get("role"):
            continue
        for snapshot, given in sides:
            role = str(snapshot.get("role"))
            if role in Role.values and Role(role) in SAFEGUARDING_ROLES:
                user_id = snapshot.get("user_id")
                found.append((entry, user_id if isinstance(user_id, int) else None, Role(role), given))
    names = User.objects.in_bulk({u for _, u, _, _ in found if u is not None}) if found else {}
    changes = []
    for entry, user_id, role, given in found[:SHOWN_MAX]:
        person = str(names[user_id]) if user_id in names else entry.object_repr.split(" — ")[0]
        by = str(entry.actor) if entry.actor is not None else entry.actor_label
        email = names[user_id].email if user_id in names else ""
        changes.append(RoleChange(entry.at, person, role, given, by, email))
    return changes


def _local(at: dt.datetime, school: School) -> dt.datetime:
    try:
        return timezone.localtime(at, ZoneInfo(school.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.localtime(at)


def _when(at: dt.datetime) -> str:
    return f"{at.day} {at:%B %Y at %H:%M}"


def tell(
    school: School, changes: list[RoleChange], *, also: Iterable[User] = (), skip: User | None = None
) -> Told:
    """E-mail the school's DSLs and chairs of governors (and `also`: those who held a watching role
    before the change) about `changes`; not `skip`, who made them."""
    people = {u.pk: u for u in [*watchers(school), *also] if u.is_active}
    if skip is not None:
        people.pop(skip.pk, None)
    told = Told(set_up=mail.set_up())
    if not changes or not people:
        return told
    lines = [f"- {c.sentence()}, on {_when(_local(c.at, school))}." for c in changes]
    site = f"\n\nSchoolgate: {settings.SITE_URL}/" if settings.SITE_URL else ""
    body = (
        f"At {school.name}:\n\n" + "\n".join(lines) + "\n\n"
        "You are told because you are a Designated Safeguarding Lead or the chair of governors at "
        f"{school.name}: every change to the roles that open records of concerns ({roles_words()}) "
        "is sent to you, and shown on your Schoolgate home page for 30 days. If you did not expect this "
        "change, speak to the headteacher or the chair of governors." + site
    )
    email_each(
        sorted(people.values(), key=lambda u: str(u).lower()),
        told,
        f"Safeguarding roles changed at {school.name}",
        body,
    )
    return told


def email_each(people: Iterable[User], told: Told, subject: str, body: str) -> None:
    """Send `body` to each of `people` who has an address, writing in `told` what became of each (no
    address, sent, could not be sent); nothing at all when e-mail is not set up (`told.set_up`)."""
    if not told.set_up:
        return
    for person in people:
        if not person.email:
            told.no_address.append(str(person))
            continue
        outcome = mail.send(person.email, subject, body)
        (told.emailed if outcome.sent else told.failed).append(str(person))


ROLES_SHOWN = "The school's DSL and chair of governors see the change on their home page for 30 days."


def told_words(told: Told, shown: str = ROLES_SHOWN) -> str:
    """What the page says after a notice was sent (by default, a change to a safeguarding role): only
    what really happened, then who sees it on their home page (`shown`)."""
    said = []
    if not told.set_up:
        said.append("E-mail is not set up on this server, so nobody was e-mailed about it.")
    if told.emailed:
        said.append(f"Told by e-mail: {', '.join(told.emailed)}.")
    if told.no_address:
        said.append(f"No e-mail address: {', '.join(told.no_address)}.")
    if told.failed:
        said.append(f"The e-mail could not be sent to: {', '.join(told.failed)}.")
    said.append(shown)
    return " ".join(said)
