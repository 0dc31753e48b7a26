"""Every change the people pages make, as `do_*` functions that take the acting user.

Each checks that the user may make the change at the record's school, runs in one transaction, and is
written to the audit trail: by the signals for records saved one by one, and here, one entry per
record, for the records an import writes in bulk. Pages call these; so may commands and tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import acting_as, current_actor, record
from schoolgate.web.people import importing
from schoolgate.web.people.choices import ImportKind, ImportStatus
from schoolgate.web.people.models import (
    ClassGroup,
    GuardianLink,
    ImportBatch,
    ImportFile,
    NetworkIdentity,
    Person,
    YearGroup,
)

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

# A checked upload waits this long for its confirmation; after that it must be uploaded again (the
# school's records may have moved on, and the file's personal data is not kept longer than needed).
BATCH_LIFETIME = dt.timedelta(hours=24)


@contextmanager
def _acting(user: User, reason: str = "") -> Iterator[None]:
    """Name `user` in the audit trail, unless the request already does (the pages)."""
    actor = current_actor()
    if actor.user is not None and actor.user.pk == user.pk and not reason:
        yield
        return
    with acting_as(user, reason):
        yield


def _require(user: User, capability: Capability, school_id: int) -> None:
    if not user.can(capability, school_id):
        raise PermissionDenied(f"{user} may not {capability.label} at this school")


def _save(obj: Model, reason: str = "") -> None:
    obj.audit_reason = reason  # type: ignore[attr-defined]  # what the signals write as the reason
    obj.save()


# ---------------------------------------------------------------------------------------------------
# People


def do_save_person(person: Person, user: User, *, link: GuardianLink | None = None) -> Person:
    """Add or change a person (and, for a new parent or carer, their link to a child)."""
    _require(user, Capability.PEOPLE_CHANGE, person.school_id)
    with transaction.atomic(), _acting(user):
        _save(person)
        if link is not None:
            link.guardian = person
            link.school_id = person.school_id
            _save(link)
    return person


def do_archive(person: Person, user: User, reason: str) -> Person:
    """Archive a person: they leave the lists and their record stays, with why."""
    _require(user, Capability.PEOPLE_CHANGE, person.school_id)
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("say why the record is archived")
    with transaction.atomic(), _acting(user):
        person.archived_at = timezone.now()
        person.archive_reason = reason[:300]
        _save(person, f"archived: {reason}")
    return person


def do_restore(person: Person, user: User) -> Person:
    """Bring an archived person back into the lists."""
    _require(user, Capability.PEOPLE_CHANGE, person.school_id)
    with transaction.atomic(), _acting(user):
        person.archived_at = None
        person.archive_reason = ""
        _save(person, "restored from the archive")
    return person


def do_save_link(link: GuardianLink, user: User) -> GuardianLink:
    _require(user, Capability.PEOPLE_CHANGE, link.school_id)
    with transaction.atomic(), _acting(user):
        _save(link)
    return link


def do_remove_link(link: GuardianLink, user: User) -> None:
    """Remove a link between a parent or carer and a child (entered by mistake, or ended); both
    people's records stay."""
    _require(user, Capability.PEOPLE_CHANGE, link.school_id)
    with transaction.atomic(), _acting(user, "link removed"):
        link.delete()


# ---------------------------------------------------------------------------------------------------
# Network identities, year groups and classes


def do_save_identity(identity: NetworkIdentity, user: User) -> NetworkIdentity:
    _require(user, Capability.IDENTITIES_CHANGE, identity.school_id)
    with transaction.atomic(), _acting(user):
        _save(identity)
    return identity


def do_remove_identity(identity: NetworkIdentity, user: User) -> None:
    _require(user, Capability.IDENTITIES_CHANGE, identity.school_id)
    with transaction.atomic(), _acting(user, "network identity removed"):
        identity.delete()


def do_save_year_group(year: YearGroup, user: User) -> YearGroup:
    _require(user, Capability.PEOPLE_CHANGE, year.school_id)
    with transaction.atomic(), _acting(user):
        _save(year)
    return year


def do_save_class(group: ClassGroup, user: User) -> ClassGroup:
    _require(user, Capability.PEOPLE_CHANGE, group.school_id)
    with transaction.atomic(), _acting(user):
        _save(group)
    return group


# ---------------------------------------------------------------------------------------------------
# Importing from the MIS


def do_upload(school: School, user: User, files: Sequence[tuple[ImportKind, str, bytes, str]]) -> ImportBatch:
    """Keep an upload ((kind, file name, the bytes, their text) for each file) for its check and
    confirmation. Also lets go of the school's uploads that were never confirmed in time."""
    _require(user, Capability.PEOPLE_CHANGE, school.pk)
    with transaction.atomic(), _acting(user):
        do_expire_batches(school, user)
        batch = ImportBatch(school=school, uploaded_by=user)
        _save(batch, "MIS export uploaded for checking")
        for kind, filename, raw, text in files:
            _save(
                ImportFile(
                    school=school,
                    batch=batch,
                    kind=kind,
                    filename=filename[:255],
                    content=text,
                    sha256=hashlib.sha256(raw).hexdigest(),
                    size=len(raw),
                )
            )
    return batch


def batch_expired(batch: ImportBatch) -> bool:
    return batch.status == ImportStatus.CHECKED and batch.created_at < timezone.now() - BATCH_LIFETIME


def do_expire_batches(school: School, user: User) -> int:
    """Uploads of `school` left unconfirmed for longer than BATCH_LIFETIME: marked expired, and
    their files' text removed."""
    stale = ImportBatch.objects.restrict(user, Capability.PEOPLE_CHANGE, school).filter(
        status=ImportStatus.CHECKED, created_at__lt=timezone.now() - BATCH_LIFETIME
    )
    count = 0
    with transaction.atomic(), _acting(user):
        for batch in stale:
            _forget(batch, ImportStatus.EXPIRED, "not confirmed within a day: the upload expired")
            count += 1
    return count


def _forget(batch: ImportBatch, status: ImportStatus, reason: str) -> None:
    for file in batch.files.all():
        file.content = ""
        file.save(update_fields=["content"])  # the text is not in the trail: no entry
    batch.status = status
    _save(batch, reason)


def batch_files(batch: ImportBatch) -> list[tuple[ImportKind, str, str]]:
    return [(ImportKind(f.kind), f.filename, f.content) for f in batch.files.all()]


def check_batch(batch: ImportBatch, user: User) -> importing.Plan:
    """What importing `batch` would do now, and what is wrong with it."""
    school = batch.school
    return importing.plan(school, user, batch_files(batch))


@dataclass
class ImportOutcome:
    imported: bool
    plan: importing.Plan | None
    message: str


class ImportFailedError(Exception):
    """Raised inside the import's transaction so that nothing of it is kept."""


def do_import(batch: ImportBatch, user: User) -> ImportOutcome:
    """Import a checked upload: check it again against the records as they are now and, if every row
    of every file is right, write all of it in one transaction; else write nothing. The audit trail
    has an entry for every record created or changed, and one for the import."""
    _require(user, Capability.PEOPLE_CHANGE, batch.school_id)
    with transaction.atomic(), _acting(user):
        locked = ImportBatch.objects.select_for_update().select_related("school").get(pk=batch.pk)
        if locked.status == ImportStatus.IMPORTED:
            return ImportOutcome(False, None, "This upload has been imported already.")
        if locked.status == ImportStatus.EXPIRED or batch_expired(locked):
            if locked.status != ImportStatus.EXPIRED:
                _forget(locked, ImportStatus.EXPIRED, "not confirmed within a day: the upload expired")
            return ImportOutcome(False, None, "This upload has expired: upload the files again.")
        plan = importing.plan(locked.school, user, batch_files(locked))
        if not plan.ok:
            return ImportOutcome(False, plan, "Nothing was imported: the files have problems.")
        names = ", ".join(f.filename for f in plan.files)
        reason = f"imported from the MIS ({names}; upload {locked.pk})"
        _apply(plan, reason)
        summary = plan.summary()
        locked.imported_at = timezone.now()
        locked.summary = summary[:300]
        _forget(locked, ImportStatus.IMPORTED, f"imported: {summary}")
        record(AuditAction.IMPORT, obj=locked, reason=f"{summary} ({names})")
    batch.refresh_from_db()
    return ImportOutcome(True, plan, f"Imported: {summary}.")


def _apply(plan: importing.Plan, reason: str) -> None:
    """Write a checked plan. Year groups and classes one by one (there are few); people and links in
    bulk, each with its own audit entry."""
    for year in plan.years_created:
        _save(year, reason)
    for group in plan.classes_created:
        _save(group, reason)
    for change in plan.classes_updated:
        _save(change.obj, reason)
    for file in plan.files:
        _write(Person, [c.obj for c in file.created], [], reason)
        _write(Person, [], file.updated, reason)
    for file in plan.files:
        _write(GuardianLink, [c.obj for c in file.links_created], file.links_updated, reason)


_PERSON_FIELDS = (
    "title", "first_name", "last_name", "preferred_name", "date_of_birth", "year_group", "class_group",
    "job_title", "email", "phone", "archived_at", "archive_reason",
)  # fmt: skip
_LINK_FIELDS = ("relationship", "parental_responsibility", "contact_order")


def _write(
    model: type[Person] | type[GuardianLink], new: list[Any], changed: list[importing.Change], reason: str
) -> None:
    if new:
        if connection.features.can_return_rows_from_bulk_insert:
            model.objects.bulk_create(new, batch_size=500)
            for obj in new:
                record(AuditAction.CREATE, obj=obj, after=obj.audit_snapshot(), reason=reason)
        else:  # a database that cannot say the new rows' ids: one by one, through the signals
            for obj in new:
                _save(obj, reason)
    if changed:
        fields = _PERSON_FIELDS if model is Person else _LINK_FIELDS
        model.objects.bulk_update([c.obj for c in changed], fields, batch_size=500)
        for change in changed:
            record(
                AuditAction.UPDATE,
                obj=change.obj,
                before=change.before,
                after=change.obj.audit_snapshot(),
                reason=reason,
            )
