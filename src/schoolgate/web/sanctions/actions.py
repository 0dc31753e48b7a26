"""Changing a school's sanctions matrix: the wording of its rows, the actions each expects, new rows,
and retiring rows (nothing is deleted: incidents keep the row they were recorded under); and its
actions (the columns): their names, whether each is a warning or sanction, and new actions. An action
keeps its key when it is renamed, and none is deleted: actions taken in incidents keep theirs.

The rows' and the actions' own fields are written to the audit trail by the signals; which actions a
row expects is a many-to-many link the signals do not see, so it is written here, as the action keys
before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import record
from schoolgate.web.core.actions import acting, require
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import Misuse, SanctionAction

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

DESCRIPTION_MAX = Misuse._meta.get_field("description").max_length or 300
KEY_MAX = Misuse._meta.get_field("key").max_length or 40
NAME_MAX = SanctionAction._meta.get_field("name").max_length or 200


@dataclass(frozen=True)
class Row:
    """A row of the matrix as the edit form gives it: an existing row (`pk`) or a new one (None)."""

    description: str
    expected: tuple[str, ...]  # the keys of the actions it expects
    retired: bool = False
    pk: int | None = None


@dataclass(frozen=True)
class Column:
    """An action of the matrix as the edit form gives it: an existing one (`pk`) or a new one (None)."""

    name: str
    is_sanction: bool = False  # a warning or sanction: misuse after it counts as a continued infringement
    pk: int | None = None


@dataclass(frozen=True)
class Changed:
    changed: int  # existing rows changed
    added: int  # new rows
    actions_changed: int = 0
    actions_added: int = 0

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.actions_changed or self.actions_added)


def _words(text: str) -> str:
    return " ".join(text.split())


def unique_key(description: str, taken: set[str], fallback: str = "misuse") -> str:
    """A slug of the description, short enough for the key field, and not one of `taken`."""
    base = slugify(description)[:KEY_MAX].strip("-") or fallback
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[: KEY_MAX - len(suffix)].strip("-") + suffix
    return key


def do_change_actions(school: School, *, actor: User, applies_to: str, columns: Sequence[Column]) -> Changed:
    """Save the actions (columns) of one table of the school's matrix: each existing action given is
    changed to what it says (actions not given are left as they are), each new action is added, last."""
    return do_change_matrix(school, actor=actor, applies_to=applies_to, rows=(), columns=columns)


def do_change_matrix(
    school: School,
    *,
    actor: User,
    applies_to: str,
    rows: Sequence[Row],
    columns: Sequence[Column] = (),
) -> Changed:
    """Save one table (pupils' or staff) of the school's matrix, all or nothing: each existing row given
    is changed to what it says (rows not given are left as they are), each new row is added; and so
    for the actions in `columns`. The rows expect actions the table had before: a new action is ticked
    for a row once it is there."""
    require(actor, Capability.SANCTIONS_CHANGE, school)
    if applies_to not in AppliesTo.values:
        raise ValidationError(f"There is no {applies_to!r} table in the sanctions matrix")
    changed = added = 0
    with transaction.atomic(), acting(actor):
        actions = {
            a.key: a
            for a in SanctionAction.objects.select_for_update().filter(school=school, applies_to=applies_to)
        }
        existing = {
            m.pk: m
            for m in Misuse.objects.select_for_update()
            .filter(school=school, applies_to=applies_to)
            .prefetch_related("expected")
        }
        _check_columns(columns, {a.pk: a for a in actions.values()})
        _check(rows, actions, existing)
        actions_changed, actions_added = _save_columns(school, applies_to, columns, actions)
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
    return Changed(changed, added, actions_changed, actions_added)


def _check_columns(columns: Sequence[Column], existing: dict[int, SanctionAction]) -> None:
    seen: set[str] = set()
    for column in columns:
        name = _words(column.name)
        if not name:
            raise ValidationError({"name": "Name the action"})
        if len(name) > NAME_MAX:
            raise ValidationError({"name": f"Keep the action's name to {NAME_MAX} characters"})
        if column.pk is not None and column.pk not in existing:
            raise ValidationError("That action is not in this table of the school's matrix")
        if name.casefold() in seen:
            raise ValidationError({"name": f"Two actions are called the same: {name}"})
        seen.add(name.casefold())
    given = {column.pk for column in columns if column.pk is not None}
    for action in existing.values():  # nor may one repeat an action that is kept as it is
        if action.pk not in given and _words(action.name).casefold() in seen:
            raise ValidationError({"name": f"The table has this action already: {action.name}"})


def _save_columns(
    school: School, applies_to: str, columns: Sequence[Column], actions: dict[str, SanctionAction]
) -> tuple[int, int]:
    """Save the actions (checked), the new ones added to `actions`; how many were changed and added."""
    by_pk = {a.pk: a for a in actions.values()}
    order = max((a.order for a in actions.values()), default=-1) + 1
    changed = added = 0
    for column in columns:
        name = _words(column.name)
        if column.pk is None:
            action = SanctionAction(
                school=school, applies_to=applies_to, key=unique_key(name, set(actions), "action"),
                name=name, is_sanction=column.is_sanction, order=order,
            )  # fmt: skip
            action.save()
            actions[action.key] = action
            order += 1
            added += 1
            continue
        action = by_pk[column.pk]
        if (action.name, action.is_sanction) != (name, column.is_sanction):
            action.name, action.is_sanction = name, column.is_sanction
            action.save()
            changed += 1
    return changed, added


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
