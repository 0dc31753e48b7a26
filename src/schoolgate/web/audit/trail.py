"""Writing to the audit trail and checking it.

Who is acting comes from a context variable: the web application sets it for each request (the
logged-in user), and commands and imports say who they act for with `acting_as`. A change made with
nobody named is written as made by "system".
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.models import GENESIS, AuditEntry, AuditHead

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

__all__ = ["Actor", "Broken", "Verified", "acting_as", "current_actor", "record", "verify"]


@dataclass(frozen=True)
class Actor:
    user: User | None
    label: str
    reason: str = ""


SYSTEM = Actor(None, "system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("schoolgate_audit_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


@contextmanager
def acting_as(who: User | str | None, reason: str = "") -> Iterator[Actor]:
    """Every change inside is written to the trail as made by `who` (a user, or a label such as
    "schoolgate web import-demo"), with `reason` unless the change gives its own."""
    if who is None or isinstance(who, str):
        actor = Actor(None, who or "system", reason)
    else:
        actor = Actor(who, who.get_username(), reason)
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def record(
    action: AuditAction | str,
    *,
    obj: object | None = None,
    school: School | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor: Actor | None = None,
) -> AuditEntry:
    """Append one entry. Runs in the caller's transaction (or its own), so that the entry and the
    change it records are kept or lost together."""
    who = actor or current_actor()
    if obj is not None:
        meta = obj._meta  # type: ignore[attr-defined]
        object_type = object_type or meta.label_lower
        object_id = object_id or str(obj.pk)  # type: ignore[attr-defined]
        object_repr = object_repr or str(obj)[:300]
        if school is None:
            school = _school_of(obj)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            pk=head.last_id + 1,
            at=timezone.now(),
            actor=who.user,
            actor_label=who.label[:200],
            school=school,
            action=str(action),
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:300],
            before=before,
            after=after,
            reason=reason or who.reason,
            prev_hash=head.last_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save(force_insert=True)
        head.last_id, head.last_hash, head.count = entry.pk, entry.hash, head.count + 1
        head.save(update_fields=("last_id", "last_hash", "count"))
    return entry


def _school_of(obj: object) -> School | None:
    from schoolgate.web.tenancy.models import School

    if isinstance(obj, School):
        return obj
    school_id = getattr(obj, "school_id", None)
    if school_id is None:
        return None
    return School(pk=school_id)  # only its id is written


@dataclass(frozen=True)
class Broken:
    entry_id: int
    problem: str


@dataclass(frozen=True)
class Verified:
    count: int
    head_hash: str
    broken: Broken | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(progress: Any = None) -> Verified:
    """Walk the chain from the first entry: each entry's stored hash must be the hash of its fields,
    its previous hash the hash of the entry before it, and the head must name the last entry.
    Returns at the first broken link. `progress(n)` is called every 1,000 entries."""
    prev = GENESIS
    count = 0
    last_id = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if entry.prev_hash != prev:
            problem = (
                "an entry before it was removed or changed: its previous hash does not match"
                if count > 1
                else "the first entry's previous hash is not the chain's start"
            )
            return Verified(count, prev, Broken(entry.pk, problem))
        if entry.compute_hash() != entry.hash:
            return Verified(count, prev, Broken(entry.pk, "its content was changed after it was written"))
        prev, last_id = entry.hash, entry.pk
        if progress is not None and count % 1000 == 0:
            progress(count)
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        if count:
            return Verified(count, prev, Broken(last_id, "the chain's head record is missing"))
        return Verified(0, prev, None)
    if head.last_id != last_id or head.last_hash != prev or head.count != count:
        return Verified(
            count,
            prev,
            Broken(
                head.last_id,
                f"the chain ends at entry {last_id} ({count} entries) but its head names entry "
                f"{head.last_id} ({head.count} entries): entries were removed from the end",
            ),
        )
    return Verified(count, prev, None)
