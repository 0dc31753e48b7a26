"""Keeping the school's term dates: add a term, change one, archive one entered by mistake.

Each checks PEOPLE_CHANGE itself (the office, the DSL team, the network manager, the headteacher keep
the school's calendar, as they keep its people), and refuses a term that is not one: a name with nothing
to choose it by, a last day before the first, a term of more than `LONGEST_DAYS`, dates outside
2000 to 2100, a term that overlaps another, or one named as another is.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.actions import Operator, archive, require, save
from schoolgate.web.reports.models import NAME_MAX, SchoolTerm
from schoolgate.web.reports.terms import term_slug

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

LONGEST_DAYS = 200  # the longest term a school can mean: longer is a mistyped year
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def _clean(school: School, name: str, first: dt.date, last: dt.date, term: SchoolTerm | None) -> str:
    """The name tidied, or ValidationError naming the field that is wrong."""
    tidy = " ".join(str(name or "").split())
    if not tidy:
        raise ValidationError({"name": 'Give the term a name, such as "Autumn 2026"'})
    if len(tidy) > NAME_MAX:
        raise ValidationError({"name": f"A term's name is at most {NAME_MAX} characters"})
    if any(not c.isprintable() for c in tidy):
        raise ValidationError({"name": "The name has characters that cannot be shown"})
    slug = term_slug(tidy)
    if not slug:
        raise ValidationError({"name": "The name needs letters or numbers, such as “Autumn 2026”"})
    if not (EARLIEST <= first <= LATEST and EARLIEST <= last <= LATEST):
        raise ValidationError({"first": "The dates must be between the years 2000 and 2100"})
    if last < first:
        raise ValidationError({"last": "The last day is before the first"})
    if (last - first).days + 1 > LONGEST_DAYS:
        raise ValidationError({"last": f"A term is at most {LONGEST_DAYS} days long: check the years"})
    others = SchoolTerm.objects.filter(school=school).unarchived().select_for_update()
    if term is not None:
        others = others.exclude(pk=term.pk)
    for other in others:
        if other.first <= last and first <= other.last:
            raise ValidationError({"first": f"These dates overlap {other}"})
        if term_slug(other.name) == slug:
            raise ValidationError({"name": f"There is a term called “{other.name}” already"})
    return tidy


def do_add_term(
    school: School, *, actor: User | Operator, name: str, first: dt.date, last: dt.date
) -> SchoolTerm:
    """A new term of the school's calendar."""
    require(actor, Capability.PEOPLE_CHANGE, school)
    with transaction.atomic():
        tidy = _clean(school, name, first, last, None)
        term = SchoolTerm(school=school, name=tidy, first=first, last=last)
        save(term, actor=actor, reason="term dates added")
    return term


def do_change_term(
    term: SchoolTerm, *, actor: User | Operator, name: str, first: dt.date, last: dt.date
) -> SchoolTerm:
    """The term's name or dates changed (an archived one cannot be: it is out of the calendar)."""
    require(actor, Capability.PEOPLE_CHANGE, term.school_id)
    if term.is_archived:
        raise ValidationError("This term was archived: add it again if it is needed")
    with transaction.atomic():
        tidy = _clean(term.school, name, first, last, term)
        term.name, term.first, term.last = tidy, first, last
        save(term, actor=actor, reason="term dates changed")
    return term


def do_archive_term(term: SchoolTerm, *, actor: User | Operator, reason: str) -> SchoolTerm:
    """The term taken out of the calendar (entered by mistake), kept with why."""
    require(actor, Capability.PEOPLE_CHANGE, term.school_id)
    if term.is_archived:
        raise ValidationError("This term is archived already")
    archive(term, actor=actor, reason=reason)
    return term
