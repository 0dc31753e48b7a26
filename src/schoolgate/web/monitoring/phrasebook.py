"""The school's risk phrases: the shipped library with the school's own changes, and who is searching.

The pure phrase module (`schoolgate.monitoring.phrases`) knows the shipped library and how to scan; the
school's changes are `SchoolPhrase` rows (a phrase added with its area and severity, a shipped phrase
removed, or re-graded). `library_for(school)` joins them into one `Library`, built once and kept in this
process's memory: the ingester scans every search term with it, so it must not be rebuilt per term.
Whether the school's rows changed is checked at most once a second per school, and cheaply (their
count and latest change); a change made in this process forgets the school's library at once.

`audience_of(person)` says whose search it was, for the library's age thresholds: a pupil by the key
stage of their year group, staff, a guest, or nobody known.

The changes are actions, as everywhere (`do_add_phrase`, `do_remove_phrase`, `do_regrade_phrase`,
`do_restore_phrase`): each checks `PHRASES_CHANGE` itself, refuses bad input with ValidationError and
is written to the audit trail (SchoolPhrase is audited) with its reason. A phrase added must be one
that can tell a risk apart: too few letters, or found in everyday searches (`EVERYDAY`), is refused.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from schoolgate.monitoring.phrases import Area, Audience, Library, Phrase, Severity, school_library, shipped
from schoolgate.monitoring.phrases import normalise as read_as
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.actions import REASON_MAX, Operator, acting, clean_reason, require, save
from schoolgate.web.monitoring.models import SchoolPhrase
from schoolgate.web.people.choices import KeyStage, PersonKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from schoolgate.web.accounts.models import User
    from schoolgate.web.people.models import Person
    from schoolgate.web.tenancy.models import School

__all__ = [
    "EVERYDAY",
    "LETTERS_MIN",
    "PHRASE_MAX",
    "PHRASE_MIN",
    "Entry",
    "audience_of",
    "do_add_phrase",
    "do_regrade_phrase",
    "do_remove_phrase",
    "do_restore_phrase",
    "entries",
    "forget",
    "library_for",
    "normalise",
    "shipped_phrase",
]

PHRASE_MIN = 2
PHRASE_MAX = 200
# A phrase of the school's own must say something. It needs this many letters as the scan reads them
# (repeats count once, so "aa" is "a" and "e e e" is "e"), and it must find nothing in EVERYDAY: a
# phrase that matches ordinary searches ("the", "how", "and") would flag nearly every search a pupil
# makes and, graded high, e-mail the DSL for each one, so that the alerts that matter drown.
LETTERS_MIN = 3
EVERYDAY = (
    "how to draw a cat", "how do i make slime at home", "what is the capital of france",
    "what time is it in new york", "why is the sky blue", "who was the first king of england",
    "where do penguins live", "when is the next half term", "can you help me with my homework",
    "is it going to rain today", "are there any games for year 5", "i want to learn the guitar",
    "my favourite song of all time", "it was the best day of my life", "we are going on a school trip",
    "they said you can play with us", "does he like her or not", "should i do this or that",
    "will it snow this week", "the water cycle for kids", "bbc bitesize maths times tables",
    "minecraft and roblox on youtube", "pictures of dogs and cats", "me and my friends",
    "you are so funny", "what does this word mean", "how many days until christmas",
    "good morning everyone",
)  # fmt: skip
# How often, at most, a school's rows are looked at to see whether its library is still current.
CHECK_EVERY = 1.0

# The key stage of a pupil's year group, as the phrase library's audience. Early years has no
# threshold of its own: the youngest pupils' thresholds (Key Stage 1) hold for them.
_STAGES: dict[str, Audience] = {
    KeyStage.EYFS: Audience.KS1,
    KeyStage.KS1: Audience.KS1,
    KeyStage.KS2: Audience.KS2,
    KeyStage.KS3: Audience.KS3,
    KeyStage.KS4: Audience.KS4,
    KeyStage.KS5: Audience.KS5,
}
_STAFF = frozenset({PersonKind.STAFF, PersonKind.SUPPLY})


def audience_of(person: Person | None) -> Audience:
    """Whose search it was, for the age thresholds: a pupil by their year group's key stage (PUPIL
    when they have none), staff and supply staff as STAFF, everyone else (visitors, community users,
    governors, parents) as GUEST, and UNKNOWN when the filter could not tell who it was."""
    if person is None:
        return Audience.UNKNOWN
    if person.kind == PersonKind.PUPIL:
        year = person.year_group
        return _STAGES.get(year.key_stage, Audience.PUPIL) if year is not None else Audience.PUPIL
    if person.kind in _STAFF:
        return Audience.STAFF
    return Audience.GUEST


def normalise(text: str) -> str:
    """A phrase as the school's rows keep it and the page shows it: NFKC, case-folded, its spaces
    tidied."""
    return " ".join(unicodedata.normalize("NFKC", str(text or "")).casefold().split())


def key(text: str) -> tuple[str, ...]:
    """A phrase's words as the library tells phrases apart (leetspeak, repeats and accents read the way
    the scan reads them): "K1ll  Myself" and "kill myself" are one phrase."""
    return read_as(str(text or "")).words


@cache
def _shipped_by_key() -> dict[tuple[str, ...], Phrase]:
    return {key(p.text): p for p in shipped().phrases()}


def shipped_phrase(text: str) -> Phrase | None:
    """The shipped library's phrase that `text` is, if there is one."""
    return _shipped_by_key().get(key(text))


def _row(school: School, text: str) -> SchoolPhrase | None:
    """The school's change to the phrase `text` is (its rows are few: they are read whole)."""
    wanted = key(text)
    for row in SchoolPhrase.objects.filter(school=school).select_related("changed_by"):
        if key(row.phrase) == wanted:
            return row
    return None


# ---------------------------------------------------------------------------------------------------
# The school's library, cached


@dataclass
class _Cached:
    stamp: tuple[int, Any]
    checked: float
    library: Library


_cache: dict[int, _Cached] = {}
_lock = threading.Lock()


def _stamp(school_id: int) -> tuple[int, Any]:
    found = SchoolPhrase.objects.filter(school_id=school_id).aggregate(n=Count("pk"), last=Max("changed_at"))
    return (int(found["n"] or 0), found["last"])


def _build(rows: Iterable[SchoolPhrase]) -> Library:
    added: list[Phrase] = []
    removed: list[str] = []
    regraded: dict[str, Severity] = {}
    for row in rows:
        if row.removed:
            removed.append(row.phrase)
        elif shipped_phrase(row.phrase) is not None:
            if row.severity in Severity._value2member_map_:
                regraded[row.phrase] = Severity(row.severity)
        elif row.area in Area._value2member_map_ and row.severity in Severity._value2member_map_:
            added.append(Phrase(row.phrase, Area(row.area), Severity(row.severity), "en"))
    if not (added or removed or regraded):
        return shipped()
    return school_library(added, removed, regraded)


def library_for(school: School | int) -> Library:
    """The school's library: the shipped one with the school's changes. Kept per school in this
    process; rebuilt when the school's rows have changed (looked at no more than once a second)."""
    school_id = school if isinstance(school, int) else school.pk
    now = time.monotonic()
    with _lock:
        cached = _cache.get(school_id)
        if cached is not None and now - cached.checked < CHECK_EVERY:
            return cached.library
    stamp = _stamp(school_id)
    if cached is not None and cached.stamp == stamp:
        cached.checked = now
        return cached.library
    library = _build(SchoolPhrase.objects.filter(school_id=school_id))
    with _lock:
        _cache[school_id] = _Cached(stamp, now, library)
    return library


def forget(school: School | int) -> None:
    """Drop the school's library from this process's memory: the next `library_for` builds it again."""
    school_id = school if isinstance(school, int) else school.pk
    with _lock:
        _cache.pop(school_id, None)


# ---------------------------------------------------------------------------------------------------
# The library as the phrases page lists it


@dataclass(frozen=True)
class Entry:
    """One phrase as the school looks for it (or, removed, does not): shipped or the school's, its
    severity here, and the school's change with who made it and why."""

    text: str
    area: Area
    severity: Severity
    language: str
    shipped: Phrase | None
    change: SchoolPhrase | None

    @property
    def removed(self) -> bool:
        return self.change is not None and self.change.removed

    @property
    def regraded(self) -> bool:
        return self.shipped is not None and self.change is not None and not self.change.removed


def _entry(phrase: Phrase | None, change: SchoolPhrase | None) -> Entry | None:
    if phrase is not None:
        severity = phrase.severity
        if change is not None and change.severity in Severity._value2member_map_:
            severity = Severity(change.severity)
        return Entry(phrase.text, phrase.area, severity, phrase.language, phrase, change)
    if change is None or change.area not in Area._value2member_map_:
        return None
    if change.severity not in Severity._value2member_map_:
        return None
    return Entry(change.phrase, Area(change.area), Severity(change.severity), "", None, change)


def entries(school: School) -> list[Entry]:
    """Every phrase of the school's library, shipped and added, removed ones too, by area then text."""
    rows = {key(r.phrase): r for r in SchoolPhrase.objects.filter(school=school).select_related("changed_by")}
    out = [_entry(phrase, rows.pop(k, None)) for k, phrase in _shipped_by_key().items()]
    out += [_entry(None, row) for row in rows.values()]
    order = list(Area)
    return sorted((e for e in out if e is not None), key=lambda e: (order.index(e.area), e.text))


def entry(school: School, text: str) -> Entry | None:
    """One phrase of the school's library (shipped, or added by the school), or None."""
    return _entry(shipped_phrase(text), _row(school, text))


# ---------------------------------------------------------------------------------------------------
# Actions


def _phrase(text: str) -> str:
    phrase = normalise(text)
    if not PHRASE_MIN <= len(phrase) <= PHRASE_MAX:
        raise ValidationError({"phrase": f"A phrase is {PHRASE_MIN} to {PHRASE_MAX} characters long"})
    if any(unicodedata.category(c).startswith("C") for c in phrase):
        raise ValidationError({"phrase": "A phrase is plain text: no control characters"})
    words = key(phrase)
    if not words:
        raise ValidationError({"phrase": "A phrase needs letters to match"})
    if sum(len(word) for word in words) < LETTERS_MIN:
        raise ValidationError(
            {
                "phrase": f"A phrase needs at least {LETTERS_MIN} letters as it is read (a letter "
                "repeated counts once): a shorter one is found in nearly every search"
            }
        )
    return phrase


def _everyday(text: str, area: Area, severity: Severity) -> str | None:
    """The first of the EVERYDAY searches in which the phrase would be found, if any: read by the
    library that would hold it, so with the same spellings, slips and spacing as the scan."""
    alone = Library.build([Phrase(text, area, severity, "en")])
    return next((search for search in EVERYDAY if alone.scan(search)), None)


def _area(value: str) -> Area:
    try:
        return Area(str(value))
    except ValueError:
        raise ValidationError({"area": "Choose one of the areas"}) from None


def _severity(value: str) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        raise ValidationError({"severity": "Choose high, medium or low"}) from None


def _changed(school: School) -> None:
    """Forget the school's library now (the next scan in this process reads the change) and again once
    the change is committed (a scan in between, from another thread, may have read the rows before)."""
    forget(school)
    transaction.on_commit(lambda: forget(school))


def do_add_phrase(
    school: School, *, actor: User | Operator, phrase: str, area: str, severity: str, reason: str = ""
) -> SchoolPhrase:
    """Look for a phrase of the school's own, in an area at a severity."""
    require(actor, Capability.PHRASES_CHANGE, school)
    text, chosen_area, chosen = _phrase(phrase), _area(area), _severity(severity)
    if shipped_phrase(text) is not None:
        raise ValidationError(
            {"phrase": "This phrase is in the shipped library already: re-grade it instead"}
        )
    if _row(school, text) is not None:
        raise ValidationError({"phrase": "The school looks for this phrase already"})
    everyday = _everyday(text, chosen_area, chosen)
    if everyday is not None:
        raise ValidationError(
            {
                "phrase": f"“{text}” is found in everyday searches such as “{everyday}”: it would flag "
                "nearly every search. Give the words that make it a risk"
            }
        )
    why = " ".join(str(reason or "").split())[:REASON_MAX]
    row = SchoolPhrase(
        school=school,
        phrase=text,
        area=chosen_area.value,
        severity=chosen.value,
        reason=why,
        changed_by=_user(actor),
        changed_at=timezone.now(),
    )
    with transaction.atomic():
        save(row, actor=actor, reason=why or "risk phrase added")
        _changed(school)
    return row


def do_remove_phrase(
    school: School, *, actor: User | Operator, phrase: str, reason: str
) -> SchoolPhrase | None:
    """Stop looking for a phrase: a shipped one is marked removed for the school (and can be restored);
    one the school added is deleted. A reason is asked for either way."""
    require(actor, Capability.PHRASES_CHANGE, school)
    why = clean_reason(reason, required="Say why the phrase is no longer looked for")[:REASON_MAX]
    text = normalise(phrase)
    known = shipped_phrase(text)
    row = _row(school, text)
    with transaction.atomic():
        if known is None:
            if row is None:
                raise ValidationError({"phrase": "The school does not look for this phrase"})
            with acting(actor, f"risk phrase removed: {why}"):
                row.delete()
            _changed(school)
            return None
        if row is not None and row.removed:
            raise ValidationError({"phrase": "This phrase is removed already"})
        row = row or SchoolPhrase(school=school, phrase=known.text)
        row.removed, row.severity, row.area = True, "", ""
        row.reason, row.changed_by, row.changed_at = why, _user(actor), timezone.now()
        save(row, actor=actor, reason=f"risk phrase removed: {why}")
        _changed(school)
    return row


def do_regrade_phrase(
    school: School, *, actor: User | Operator, phrase: str, severity: str, reason: str
) -> SchoolPhrase:
    """Give a phrase another severity at the school (a shipped one, or one the school added)."""
    require(actor, Capability.PHRASES_CHANGE, school)
    why = clean_reason(reason, required="Say why the severity changes")[:REASON_MAX]
    chosen = _severity(severity)
    text = normalise(phrase)
    known = shipped_phrase(text)
    row = _row(school, text)
    if known is None and row is None:
        raise ValidationError({"phrase": "The school does not look for this phrase"})
    if row is not None and row.removed:
        raise ValidationError({"phrase": "This phrase is removed: restore it first"})
    if known is not None and chosen == known.severity and row is None:
        raise ValidationError({"severity": "This is the phrase's severity already"})
    with transaction.atomic():
        if known is not None and chosen == known.severity and row is not None:
            with acting(actor, f"risk phrase re-graded back to the shipped severity: {why}"):
                row.delete()  # back to the shipped phrase: nothing of the school's is left
            _changed(school)
            row.severity = chosen.value
            return row
        row = row or SchoolPhrase(
            school=school, phrase=known.text if known else text, area=known.area.value if known else ""
        )
        row.severity, row.reason = chosen.value, why
        row.changed_by, row.changed_at = _user(actor), timezone.now()
        save(row, actor=actor, reason=f"risk phrase re-graded {chosen.value}: {why}")
        _changed(school)
    return row


def do_restore_phrase(school: School, *, actor: User | Operator, phrase: str, reason: str = "") -> Phrase:
    """Undo the school's change to a shipped phrase: it is looked for again as shipped."""
    require(actor, Capability.PHRASES_CHANGE, school)
    text = normalise(phrase)
    known = shipped_phrase(text)
    row = _row(school, text)
    if known is None or row is None:
        raise ValidationError({"phrase": "Only a shipped phrase the school changed can be restored"})
    why = " ".join(str(reason or "").split())[:REASON_MAX]
    with transaction.atomic(), acting(actor, f"risk phrase restored as shipped{': ' + why if why else ''}"):
        row.delete()
        _changed(school)
    return known


def _user(actor: User | Operator) -> User:
    """The login a change is recorded against (`SchoolPhrase.changed_by`, shown on the phrases page):
    the school's changes say which of its people made them, so the operator, who has no login, makes
    none."""
    if isinstance(actor, Operator):
        raise ValidationError("A change to the school's risk phrases is made by a person with a login")
    return actor
