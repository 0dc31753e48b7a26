"""Who a typed name may be: the people on the school's records, and the school's logins, that a name
written in the log could mean.

A name is reduced to a *key*: its first and last words (titles left off, "Evans, Margaret" read as
"Margaret Evans", case, accents, full stops and apostrophes ignored), in alphabetical order, so that
"Margaret Evans", "evans  MARGARET", "Evans, Margaret" and "Margaret Anne Evans" share one. A record
answers to the keys of each of its first names (and their initial) with its last name, and an adult
also to the last name alone, so that "Mrs Evans" and "M. Evans" may be Margaret Evans.

Two names may be one person when either answers to the other written out: "Margaret Evans" answers to
"M. Evans" and "Mrs Evans", and so may be a login called "Mrs M Evans"; "Margaret Evans" and "Mark
Evans" may not. A name picked from the records is a name like any other: the record picked may be
someone's second record (a member of staff's as a parent), or one made to look like them.

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
GOVERNING_ROLES = frozenset(
    {LoginRole.GOVERNOR, LoginRole.CHAIR_OF_GOVERNORS, LoginRole.ONLINE_SAFETY_GOVERNOR}
)

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


def _written(name: str) -> tuple[list[str], bool]:
    """The words of a name as someone wrote it, first name first, without the titles before it; and
    whether it had a title (then a word alone is a last name, as in "Mrs Evans")."""
    name = _LABEL_PARTS.sub(" ", name)
    last, comma, first = name.partition(",")
    if comma:
        name = f"{first} {last}"
    found = words(name)
    titled = False
    while len(found) > 1 and found[0] in TITLES:
        found.pop(0)
        titled = True
    return found, titled


def key_of(name: str) -> str:
    """The key of a name as someone wrote it ("" for none: nothing of a name in it)."""
    found, _ = _written(name)
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
    """The keys of a name shown as one string (a login's display name, a name typed in the log): of
    "Mrs Evans", the last name alone; of a single word with no title, none (it may be either name)."""
    found, titled = _written(display_name)
    if len(found) == 1 and titled and adult:
        return {found[0]}
    if len(found) < 2:
        return set()
    return record_keys([found[0]], found[-1], adult=adult)


def display_name_keys(display_name: str) -> set[str]:
    """The key of a name shown as one string, to look up who answers to it (none for a single word with
    no title, as `display_keys`)."""
    found, titled = _written(display_name)
    return {key_of(display_name)} if len(found) > 1 or (found and titled) else set()


def name_keys(first_names: Iterable[str], last_name: str) -> set[str]:
    """The keys of a record's names, written out in full (each of its first names with its last name),
    to look up who answers to them."""
    given = [f for f in first_names if words(f)]
    found = {key_of(f"{first} {last_name}") for first in given} if given else {key_of(last_name)}
    return found - {""}


def user_keys(user: User) -> frozenset[str]:
    """Every key that may mean `user`: their login's names and their record's (kept on the user
    object for the request, as its capabilities are)."""
    return _user_names(user)[0]


def user_name_keys(user: User) -> frozenset[str]:
    """The keys of `user`'s names written out (`name_keys`), their login's and their records': what a
    name in the log that may be theirs answers to, where their own name is given only in part ("Mrs M
    Evans" may be the "Margaret Evans" the log names)."""
    return _user_names(user)[1]


def _user_names(user: User) -> tuple[frozenset[str], frozenset[str]]:
    cached: tuple[frozenset[str], frozenset[str]] | None = getattr(user, "_name_keys", None)
    if cached is not None:
        return cached
    keys = display_keys(user.display_name) | record_keys([user.first_name], user.last_name, adult=True)
    names = _login_names(user.display_name, user.first_name, user.last_name)
    linked_last: list[str] = []
    for first, preferred, last in Person.objects.filter(user_id=user.pk).values_list(
        "first_name", "preferred_name", "last_name"
    ):
        keys |= record_keys([first, preferred], last, adult=True)
        names |= name_keys([first, preferred], last)
        linked_last.append(last)
    # And the adults' records of their last name that may be theirs, linked or not (nothing links
    # records to logins): the staff record "Margaret (Maggie) Evans" of the login "Margaret Evans" is
    # named "Maggie Evans" too, and so on, to the end ("Maggie (Mags) Evans").
    surnames = {s for s in (user.last_name, _last_word(user.display_name), *linked_last) if s.strip()}
    same_last = Q(pk__in=[])
    for surname in sorted(surnames):
        same_last |= Q(last_name__iexact=surname.strip())
    rows = (
        Person.objects.filter(same_last, school_id__in=sorted(user.school_ids()))
        .exclude(kind=PersonKind.PUPIL)
        .values_list("first_name", "preferred_name", "last_name")
    )
    # Only names in full tie a record to them: "M Evans" may be Margaret or Mark, and following it
    # would make every Evans hers.
    candidates = [
        (
            {k for k in name_keys([first, preferred], last) if full_name(k)},
            record_keys([first, preferred], last, adult=True),
        )
        for first, preferred, last in rows
    ]
    grew = True
    while grew:
        grew = False
        for theirs, answers in candidates:
            tied = theirs & keys or {k for k in answers if full_name(k)} & names
            if tied and not (theirs <= names and answers <= keys):
                keys |= answers
                names |= theirs
                grew = True
    found = (frozenset(keys), frozenset(names))
    user._name_keys = found  # type: ignore[attr-defined]
    return found


def _last_word(display_name: str) -> str:
    """The last name of a name shown as one string, as written ("Evans" of "Mrs M Evans" and of
    "Evans, Margaret"), to look records up by."""
    last, comma, _ = display_name.partition(",")
    if comma:
        return last.strip()
    parts = display_name.split()
    return parts[-1] if parts else ""


def full_name(key: str) -> bool:
    """Whether a name's key is of a name written in full: a first name (not an initial) and a last
    name, not "Mrs Evans" or "M Evans"."""
    parts = key.split()
    return len(parts) == 2 and all(len(part) > 1 for part in parts)


def person_keys(person: Person) -> set[str]:
    return record_keys(
        [person.first_name, person.preferred_name], person.last_name, adult=person.kind != PersonKind.PUPIL
    )


def person_name_keys(person: Person) -> set[str]:
    return name_keys([person.first_name, person.preferred_name], person.last_name)


def partial(key: str) -> list[tuple[str, str]]:
    """What a key of a name given only in part may be, as (the initial of the first name, or "", the
    last name): "evans" of "Mrs Evans" is ("", "evans"), "evans m" of "M. Evans" ("m", "evans"). Nothing
    for a full name."""
    found = key.split()
    if len(found) == 1:
        return [("", found[0])]
    if len(found) != 2:
        return []
    a, b = found
    return [(i, last) for i, last in ((a, b), (b, a)) if len(i) == 1]


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
    keys: frozenset[str] = field(repr=False)  # what they answer to (`record_keys`)
    names: frozenset[str] = field(repr=False)  # their names written out (`name_keys`)

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
        self.by_name: dict[str, list[Match]] = {}
        self._rank: dict[int, int] = {}  # the order of the records, by match
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
            names = name_keys([first, preferred], last)
            held = roles.get(user_id, set()) if user_id is not None else set()
            if user_id in logins:
                linked.add(user_id)
                display, login_first, login_last = logins[user_id]
                keys |= display_keys(display) | record_keys([login_first], login_last, adult=True)
                names |= _login_names(display, login_first, login_last)
            what = _what(PersonKind(kind), klass or year, job, held)
            if archived is not None or (expires is not None and expires <= now):
                what += ", no longer at the school"
            match = Match(
                "person", pk, f"{preferred or first} {last}".strip(), what,
                staff=kind in STAFF_KINDS or bool(held - GOVERNING_ROLES),
                head=LoginRole.HEADTEACHER in held, keys=frozenset(keys), names=frozenset(names),
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
                names=frozenset(_login_names(display, first, last)),
            )  # fmt: skip
            self._add(match)
            self.by_user[user_id] = match

    def _add(self, match: Match) -> None:
        self._rank[id(match)] = len(self._rank)
        for key in match.keys:
            self.by_key.setdefault(key, []).append(match)
        for key in match.names:
            self.by_name.setdefault(key, []).append(match)

    def find(self, name: str) -> list[Match]:
        """Everyone `name` (as someone wrote it) may be, in the order of the records."""
        return self.may_be({key_of(name)}, display_keys(name))

    def may_be(self, names: Iterable[str], keys: Iterable[str]) -> list[Match]:
        """Everyone who may be the one whose names written out are `names` (`name_keys`) and who answers
        to `keys` (`record_keys`): those who answer to one of their names, and those whose own names,
        given only in part ("Mrs M Evans"), they answer to. In the order of the records."""
        found: dict[int, Match] = {}
        for key in names:
            for match in self.by_key.get(key, []) if key else []:
                found.setdefault(id(match), match)
        for key in keys:
            for match in self.by_name.get(key, []) if key else []:
                found.setdefault(id(match), match)
        return sorted(found.values(), key=lambda m: self._rank[id(m)])


def _login_names(display: str, first: str, last: str) -> set[str]:
    return display_name_keys(display) | (name_keys([first], last) if words(last) else set())


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
