"""What every app's actions share: who is acting and why, the capability check, saving and archiving.

The convention, in every app: a change is a `do_verb(obj, *, actor, ...)` function in the app's
`actions.py`. It checks the actor's permission itself (`require`, raising `PermissionDenied`), refuses
bad input with `ValidationError` (never another kind of error), runs in one transaction, and is written
to the audit trail by the signals (`audit.signals`) with the actor and the reason given here. Pages,
management commands, the demo and the tests all call the same functions, so the rules hold whichever
way a change comes.

The actor and the reason travel in the audit trail's context variable (`audit.trail.acting_as`),
never as an attribute set on the record: the signals read them from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from schoolgate.web.audit.trail import acting_as, current_actor

if TYPE_CHECKING:
    from schoolgate.web.accounts.choices import Capability
    from schoolgate.web.accounts.models import User
    from schoolgate.web.core.models import Archivable
    from schoolgate.web.tenancy.models import School

__all__ = ["REASON_MAX", "Operator", "acting", "archive", "clean_reason", "require", "restore", "save"]

# The longest reason kept on a record (the audit trail keeps what it is given, up to its own limit).
REASON_MAX = 300


@dataclass(frozen=True)
class Operator:
    """The server's operator: someone at the command line of the server (`schoolgate web manage ...`),
    or the server's own set-up (a new school's default policy). `label` says who, for the audit trail.
    `require` lets the operator do anything: they hold the server, its database and its files already,
    and the commands are their tools. Pages never act as an operator."""

    label: str


@contextmanager
def acting(actor: User | Operator | str | None, reason: str = "") -> Iterator[None]:
    """Every change inside is written to the audit trail as made by `actor` (a user, an operator, or a
    label such as "schoolgate web import-demo"), with `reason`. Inside a request the user is named
    already (`audit.middleware`): naming them again with no reason changes nothing, so it is skipped."""
    if isinstance(actor, Operator):
        actor = actor.label
    named = current_actor().user
    if (
        not reason
        and named is not None
        and actor is not None
        and not isinstance(actor, str)
        and named.pk == actor.pk
    ):
        yield
        return
    with acting_as(actor, reason):
        yield


def require(actor: User | Operator, capability: Capability, school: School | int | None) -> None:
    """`actor` holds `capability` at `school` (the operator holds every one), or PermissionDenied
    (which a page turns into a 403)."""
    if isinstance(actor, Operator):
        return
    if not actor.is_authenticated or not actor.can(capability, school):
        raise PermissionDenied(f"{actor} may not {capability.label} at this school")


def clean_reason(reason: str, *, field: str = "reason", required: str = "Say why") -> str:
    """The reason with its spaces tidied; ValidationError on `field` when there is none."""
    tidy = " ".join(str(reason or "").split())
    if not tidy:
        raise ValidationError({field: required})
    return tidy


def save(obj: models.Model, *, actor: User | Operator | str | None, reason: str = "") -> None:
    """Save `obj`, written to the audit trail as changed by `actor` for `reason`."""
    with transaction.atomic(), acting(actor, reason):
        obj.save()


def archive(obj: Archivable, *, actor: User | Operator | str | None, reason: str) -> None:
    """Archive `obj` (a `core.models.Archivable`): it leaves the lists and stays, with why. Kept,
    never deleted. Callers check the actor's permission first (the app's `do_archive`)."""
    why = clean_reason(reason, required="Say why the record is archived")
    obj.archived_at = timezone.now()
    obj.archive_reason = why[:REASON_MAX]
    save(obj, actor=actor, reason=f"archived: {why}")


def restore(obj: Archivable, *, actor: User | Operator | str | None, reason: str = "") -> None:
    """Bring an archived record back into the lists."""
    obj.archived_at = None
    obj.archive_reason = ""
    save(obj, actor=actor, reason=reason or "restored from the archive")
