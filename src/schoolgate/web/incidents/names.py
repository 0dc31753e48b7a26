"""Who a typed name may be: the people on the school's records, and the school's logins, that a name
written in the log could mean.

A name is reduced to a *key*: its first and last words (titles left off, "Evans, Margaret" read as
"Margaret Evans", case, accents, full stops and apostrophes ignored), in alphabetical order, so that
"Margaret Evans", "evans  MARGARET", "Evans, Margaret" and "Margaret Anne Evans" share one. A record
answers to the keys of each of its first names (and their initial) with its last name, and an adult
also to the last name alone, so that "Mrs Evans" and "M. Evans" may be Margaret Evans.

The same keys decide everywhere: the report form offers the matches to confirm, the actions route a
concern by who its names may be, the access rules keep a concern from anyone it may name, and a
pupil's chronology says which records name someone of theirs without linking them. A key may match
people it does not mean; where that matters, it is taken to mean them (the more restricted route).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from schoolgate.web.accounts.choices import Role as LoginRole
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

# The people whose part in an incident makes it a concern about a member of staff.
STAFF_KINDS = frozenset({PersonKind.STAFF, PersonKind.SUPPLY})
# Roles of a login that are not the school's staff.
GOVERNING_ROLES = frozenset({LoginRole.GOVERNOR, LoginRole.CHAIR_OF_GOVERNORS})

TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "rev", "revd", "sir", "dame", "lady", "lord"}
)
MAX_MATCHES = 10  # offered to choose from; more than that, and the name needs writing in full

_LABEL_PARTS = re.compile(r"\([^)]*\)|#\d+")  # "(5B)", "#123": what the form's labels add to a name
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")  # letters and digits, with hyphens inside a word


def words(text: str) -> list[str]:
    """The words of a name, plain: lower case, without accents, full stops or apostrophes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold().replace("'", "").replace("\u2019", "").replace(".", " ")
    return _WORD.findall(text)


def _pair(a: str, b: str) -> str:
    return " ".join(sorted((a, b)))


def key_of(name: str) -> str:
    """The key of a name as someone wrote it ("" for none: nothing of a name in it)."""
    name = _LABEL_PARTS.sub(" ", name)
    last, comma, first = name.partition(",")
    if comma:
        name = f"{first} {last}"
    found = words(name)
    while len(found) > 1 and found[0] in TITLES:
        found.pop(0)
    if not found:
        return ""
    if len(found) == 1:
        return found[0]
    return _pair(found[0], found[-1])


def record_keys(first_names: Iterable[str], last_name: str, *, adult: bool) -> set[str]:
    """The keys a record answers to: each first name (and its initial) with the last name, and for an
    adult, who may be written of by title and last name, the last name alone."""
    last = words(last_name)
    if not last:
        return set()
    surname = last[-1]
    keys = {surname} if adult else set()
    for first in first_names:
        given = words(first)
        if given:
            keys.add(_pair(given[0], surname))
            keys.add(_pair(given[0][0], surname))
    return keys


def display_keys(display_name: str, *, adult: bool = True) -> set[str]:
    """The keys of a name shown as one string (a login's display name)."""
    found = words(_LABEL_PARTS.sub(" ", display_name))
    while len(found) > 1 and found[0] in TITLES:
        found.pop(0)
    if len(found) < 2:
        return set()
    return record_keys([found[0]], found[-1], adult=adult)


def user_keys(user: User) -> frozenset[str]:
    """Every key that may mean `user`: their login's names and their record's (kept on the user
    object for the request, as its capabilities are)."""
    cached: frozenset[str] | None = getattr(user, "_name_keys", None)
    if cached is not None:
        return cached
    keys = display_keys(user.display_name) | record_keys([user.first_name], user.last_name, adult=True)
    for first, preferred, last in Person.objects.filter(user_id=user.pk).values_list(
        "first_name", "preferred_name", "last_name"
    ):
        keys |= record_keys([first, preferred], last, adult=True)
    found = frozenset(keys)
    user._name_keys = found  # type: ignore[attr-defined]
    return found


def person_keys(person: Person) -> set[str]:
    return record_keys(
        [person.first_name, person.preferred_name], person.last_name, adult=person.kind != PersonKind.PUPIL
    )


# ---------------------------------------------------------------------------------------------------------
# The school's records, as names to match


_KIND_WORDS = {
    PersonKind.PUPIL: "pupil",
    PersonKind.STAFF: "staff",
    PersonKind.GOVERNOR: "governor",
    PersonKind.VISITOR: "visitor",
    PersonKind.SUPPLY: "supply staff",
    PersonKind.COMMUNITY: "community user",
    PersonKind.PARENT: "parent or carer",
}


@dataclass(frozen=True)
class Match:
    """Someone a name may be: a person on the school's records, or a login of the school with no
    record there. `what` tells two of one name apart, and no more: a pupil's class, a parent, a
    member of staff's role or job."""

    kind: str  # "person" or "user"
    pk: int
    name: str
    what: str
    staff: bool
    head: bool
    keys: frozenset[str] = field(repr=False)

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.pk}"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.what})"


class Directory:
    """The school's people and logins, by key. `staff_only` reads just those who decide where a
    concern goes (staff, supply staff, and anyone with a login of the school), which is small."""

    def __init__(self, school: School, *, staff_only: bool = False) -> None:
        self.by_key: dict[str, list[Match]] = {}
        self.by_person: dict[int, Match] = {}
        self.by_user: dict[int, Match] = {}
        roles: dict[int, set[str]] = {}
        for user_id, role in Membership.objects.filter(school=school).values_list("user_id", "role"):
            roles.setdefault(user_id, set()).add(role)
        logins = {
            pk: (display, first, last)
            for pk, display, first, last in User.objects.filter(pk__in=sorted(roles)).values_list(
                "pk", "display_name", "first_name", "last_name"
            )
        }
        # Staff who have left (archived, or their access ended) may still be named in a concern; of
        # everyone else, those on the records now (as `PersonQuerySet.current` has it).
        now = timezone.now()
        current = Q(archived_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        wanted = Q(kind__in=sorted(STAFF_KINDS)) | Q(user_id__in=sorted(logins))
        rows = (
            Person.objects.filter(wanted if staff_only else wanted | current, school=school)
            .order_by("last_name", "first_name", "pk")
            .values_list("pk", "kind", "first_name", "preferred_name", "last_name", "class_group__name",
                         "year_group__name", "job_title", "user_id", "archived_at", "expires_at")
        )  # fmt: skip
        linked: set[int] = set()
        for pk, kind, first, preferred, last, klass, year, job, user_id, archived, expires in rows:
            keys = record_keys([first, preferred], last, adult=kind != PersonKind.PUPIL)
            held = roles.get(user_id, set()) if user_id is not None else set()
            if user_id in logins:
                linked.add(user_id)
                display, login_first, login_last = logins[user_id]
                keys |= display_keys(display) | record_keys([login_first], login_last, adult=True)
            what = _what(PersonKind(kind), klass or year, job, held)
            if archived is not None or (expires is not None and expires <= now):
                what += ", no longer at the school"
            match = Match(
                "person", pk, f"{preferred or first} {last}".strip(), what,
                staff=kind in STAFF_KINDS or bool(held - GOVERNING_ROLES),
                head=LoginRole.HEADTEACHER in held, keys=frozenset(keys),
            )  # fmt: skip
            self._add(match)
            self.by_person[pk] = match
            if user_id in logins:
                self.by_user[user_id] = match
        for user_id, (display, first, last) in logins.items():
            if user_id in linked:
                continue
            held = roles[user_id]
            keys = display_keys(display) | record_keys([first], last, adult=True)
            name = display or f"{first} {last}".strip() or f"login {user_id}"
            match = Match(
                "user", user_id, name, _roles(held),
                staff=bool(held - GOVERNING_ROLES), head=LoginRole.HEADTEACHER in held, keys=frozenset(keys),
            )  # fmt: skip
            self._add(match)
            self.by_user[user_id] = match

    def _add(self, match: Match) -> None:
        for key in match.keys:
            self.by_key.setdefault(key, []).append(match)

    def find(self, name: str) -> list[Match]:
        """Everyone `name` may be, in the order of the records."""
        return self.find_key(key_of(name))

    def find_key(self, key: str) -> list[Match]:
        return list(self.by_key.get(key, [])) if key else []


def _roles(held: set[str]) -> str:
    return " and ".join(sorted(LoginRole(r).label.lower() for r in held)) or "a login of the school"


def _what(kind: PersonKind, group: str | None, job: str, held: set[str]) -> str:
    if kind == PersonKind.PUPIL:
        return f"pupil, {group}" if group else "pupil"
    if held:
        return _roles(held)
    if kind in STAFF_KINDS and job:
        return job[:60].lower()
    return _KIND_WORDS.get(kind, kind)
