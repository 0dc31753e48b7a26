"""Changing a school's sanctions matrix: the wording of its rows, the actions each expects, new rows,
and retiring rows (nothing is deleted: incidents keep the row they were recorded under).

The rows' own fields are written to the audit trail by the signals; which actions a row expects is a
many-to-many link the signals do not see, so it is written here, as the action keys before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import acting_as, record
from schoolgate.web.incidents.choices import AppliesTo
from schoolgate.web.incidents.models import Misuse, SanctionAction

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

DESCRIPTION_MAX = Misuse._meta.get_field("description").max_length or 300
KEY_MAX = Misuse._meta.get_field("key").max_length or 40


@dataclass(frozen=True)
class Row:
    """A row of the matrix as the edit form gives it: an existing row (`pk`) or a new one (None)."""

    description: str
    expected: tuple[str, ...]  # the keys of the actions it expects
    retired: bool = False
    pk: int | None = None


@dataclass(frozen=True)
class Changed:
    changed: int  # existing rows changed
    added: int  # new rows

    def __bool__(self) -> bool:
        return bool(self.changed or self.added)


def _words(text: str) -> str:
    return " ".join(text.split())


def unique_key(description: str, taken: set[str]) -> str:
    """A slug of the description, short enough for the key field, and not one of `taken`."""
    base = slugify(description)[:KEY_MAX].strip("-") or "misuse"
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[: KEY_MAX - len(suffix)].strip("-") + suffix
    return key


def do_change_matrix(school: School, user: User, applies_to: str, rows: Sequence[Row]) -> Changed:
    """Save one table (pupils' or staff) of the school's matrix: each existing row given is changed to
    what it says (rows not given are left as they are), each new row is added."""
    if not user.can(Capability.SANCTIONS_CHANGE, school):
        raise PermissionDenied(f"{user} may not change the sanctions matrix at {school}")
    if applies_to not in AppliesTo.values:
        raise ValidationError(f"There is no {applies_to!r} table in the sanctions matrix")
    changed = added = 0
    with transaction.atomic(), acting_as(user):
        actions = {a.key: a for a in SanctionAction.objects.filter(school=school, applies_to=applies_to)}
        existing = {
            m.pk: m
            for m in Misuse.objects.select_for_update()
            .filter(school=school, applies_to=applies_to)
            .prefetch_related("expected")
        }
        _check(rows, actions, existing)
        order = max((m.order for m in existing.values()), default=-1) + 1
        taken = {m.key for m in existing.values()}
        for row in rows:
            wanted = [a for a in actions.values() if a.key in row.expected]  # in the table's order
            if row.pk is None:
                misuse = Misuse(
                    school=school, applies_to=applies_to, key=unique_key(row.description, taken),
                    description=_words(row.description), retired=row.retired, order=order,
                )  # fmt: skip
                misuse.save()
                taken.add(misuse.key)
                order += 1
                _set_expected(misuse, [], wanted)
                added += 1
                continue
            misuse = existing[row.pk]
            had = {a.pk for a in misuse.expected.all()}
            before = [a for a in actions.values() if a.pk in had]
            dirty = False
            if misuse.description != _words(row.description):
                misuse.description = _words(row.description)
                dirty = True
            if misuse.retired != row.retired:
                misuse.retired = row.retired
                dirty = True
            if dirty:
                misuse.save()
            if before != wanted:
                _set_expected(misuse, before, wanted)
            if dirty or before != wanted:
                changed += 1
    return Changed(changed, added)


def _check(rows: Sequence[Row], actions: dict[str, SanctionAction], existing: dict[int, Misuse]) -> None:
    seen: set[str] = set()
    for row in rows:
        description = _words(row.description)
        if not description:
            raise ValidationError({"description": "Describe the kind of misuse"})
        if len(description) > DESCRIPTION_MAX:
            raise ValidationError({"description": f"Keep it to {DESCRIPTION_MAX} characters"})
        unknown = sorted(set(row.expected) - set(actions))
        if unknown:
            raise ValidationError({"expected": f"Not an action of this table: {', '.join(unknown)}"})
        if row.pk is not None:
            misuse = existing.get(row.pk)
            if misuse is None:
                raise ValidationError("That row is not in this table of the school's matrix")
            if misuse.is_continued and row.retired:
                raise ValidationError(
                    {"retired": "The row for continued infringements cannot be retired: untick its "
                     "actions if none is expected"}
                )  # fmt: skip
        if description.casefold() in seen:
            raise ValidationError({"description": f"Two rows say the same: {description}"})
        seen.add(description.casefold())
    given = {row.pk for row in rows if row.pk is not None}
    for misuse in existing.values():  # a new row may not repeat one that is kept as it is
        if misuse.pk not in given and _words(misuse.description).casefold() in seen:
            raise ValidationError({"description": f"The matrix has this row already: {misuse.description}"})


def _set_expected(misuse: Misuse, before: list[SanctionAction], after: list[SanctionAction]) -> None:
    misuse.expected.set(after)
    record(
        AuditAction.UPDATE,
        obj=misuse,
        before={"expected": [a.key for a in before]},
        after={"expected": [a.key for a in after]},
    )
