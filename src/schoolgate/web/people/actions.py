"""Every change the people pages make, as `do_verb(obj, *, actor, ...)` functions (`core.actions`).

Each checks that the actor may make the change at the record's school (PermissionDenied), refuses bad
input with ValidationError, runs in one transaction, and is written to the audit trail: by the signals
for records saved one by one, and here, one entry per record, for the records an import writes in
bulk. Pages call these; so may commands and tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import record
from schoolgate.web.core.actions import acting, archive, require, restore, save
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


R = TypeVar("R", GuardianLink, NetworkIdentity, YearGroup, ClassGroup)


def _checked_save(obj: R, capability: Capability, actor: User) -> R:
    """Add or change a record of the school's that needs `capability` there."""
    require(actor, capability, obj.school_id)
    save(obj, actor=actor)
    return obj


# ---------------------------------------------------------------------------------------------------
# People


def do_save_person(person: Person, *, actor: User, link: GuardianLink | None = None) -> Person:
    """Add or change a person (and, for a new parent or carer, their link to a child)."""
    require(actor, Capability.PEOPLE_CHANGE, person.school_id)
    with transaction.atomic(), acting(actor):
        person.save()
        if link is not None:
            link.guardian = person
            link.school_id = person.school_id
            link.save()
    return person


def do_archive(person: Person, *, actor: User, reason: str) -> Person:
    """Archive a person: they leave the lists and their record stays, with why. Kept, never deleted."""
    require(actor, Capability.PEOPLE_CHANGE, person.school_id)
    if person.archived_at is not None:
        raise ValidationError(f"{person.full_name}'s record is archived already")
    archive(person, actor=actor, reason=reason)
    return person


def do_restore(person: Person, *, actor: User) -> Person:
    """Bring an archived person back into the lists."""
    require(actor, Capability.PEOPLE_CHANGE, person.school_id)
    restore(person, actor=actor)
    return person


def do_save_link(link: GuardianLink, *, actor: User) -> GuardianLink:
    return _checked_save(link, Capability.PEOPLE_CHANGE, actor)


def do_remove_link(link: GuardianLink, *, actor: User) -> None:
    """Remove a link between a parent or carer and a child (entered by mistake, or ended); both
    people's records stay, and the link's last state stays in the audit trail."""
    require(actor, Capability.PEOPLE_CHANGE, link.school_id)
    with transaction.atomic(), acting(actor, "link removed"):
        link.delete()


# ---------------------------------------------------------------------------------------------------
# Network identities, year groups and classes


def do_save_identity(identity: NetworkIdentity, *, actor: User) -> NetworkIdentity:
    return _checked_save(identity, Capability.IDENTITIES_CHANGE, actor)


def do_remove_identity(identity: NetworkIdentity, *, actor: User) -> None:
    """Remove a network identity: the filter no longer knows the person by it. Its last state stays
    in the audit trail (an identity is a key to a person, not a record of them: not archived)."""
    require(actor, Capability.IDENTITIES_CHANGE, identity.school_id)
    with transaction.atomic(), acting(actor, "network identity removed"):
        identity.delete()


def do_save_year_group(year: YearGroup, *, actor: User) -> YearGroup:
    return _checked_save(year, Capability.PEOPLE_CHANGE, actor)


def do_save_class(group: ClassGroup, *, actor: User) -> ClassGroup:
    return _checked_save(group, Capability.PEOPLE_CHANGE, actor)


# ---------------------------------------------------------------------------------------------------
# Importing from the MIS


def do_upload(
    school: School,
    *,
    actor: User,
    files: Sequence[tuple[ImportKind, str, bytes, str]],
    usernames: importing.UsernameSetting = importing.NO_USERNAMES,
) -> ImportBatch:
    """Keep an upload ((kind, file name, the bytes, their text) for each file) for its check and
    confirmation, with what it asks of network user names (the network manager's to give). Also lets
    go of the school's uploads that were never confirmed in time."""
    require(actor, Capability.PEOPLE_CHANGE, school.pk)
    if usernames.wanted:
        require(actor, Capability.IDENTITIES_CHANGE, school.pk)
    with transaction.atomic(), acting(actor):
        do_expire_batches(school, actor=actor)
        batch = ImportBatch(
            school=school,
            uploaded_by=actor,
            usernames_from_column=usernames.from_column,
            username_rule=usernames.rule.text if usernames.rule else "",
        )
        save(batch, actor=actor, reason="MIS export uploaded for checking")
        for kind, filename, raw, text in files:
            save(
                ImportFile(
                    school=school,
                    batch=batch,
                    kind=kind,
                    filename=filename[:255],
                    content=text,
                    sha256=hashlib.sha256(raw).hexdigest(),
                    size=len(raw),
                ),
                actor=actor,
            )
    return batch


def batch_expired(batch: ImportBatch) -> bool:
    return batch.status == ImportStatus.CHECKED and batch.created_at < timezone.now() - BATCH_LIFETIME


def do_expire_batches(school: School, *, actor: User) -> int:
    """Uploads of `school` left unconfirmed for longer than BATCH_LIFETIME: marked expired, and
    their files' text removed."""
    stale = ImportBatch.objects.restrict(actor, Capability.PEOPLE_CHANGE, school).filter(
        status=ImportStatus.CHECKED, created_at__lt=timezone.now() - BATCH_LIFETIME
    )
    count = 0
    with transaction.atomic(), acting(actor):
        for batch in stale:
            _forget(batch, ImportStatus.EXPIRED, "not confirmed within a day: the upload expired", actor)
            count += 1
    return count


def _forget(batch: ImportBatch, status: ImportStatus, reason: str, actor: User) -> None:
    for file in batch.files.all():
        file.content = ""
        file.save(update_fields=["content"])  # the text is not in the trail: no entry
    batch.status = status
    save(batch, actor=actor, reason=reason)


def batch_files(batch: ImportBatch) -> list[tuple[ImportKind, str, str]]:
    return [(ImportKind(f.kind), f.filename, f.content) for f in batch.files.all()]


def check_batch(batch: ImportBatch, user: User) -> importing.Plan:
    """What importing `batch` would do now, and what is wrong with it."""
    school = batch.school
    return importing.plan(school, user, batch_files(batch), usernames=batch_usernames(batch))


def batch_usernames(batch: ImportBatch) -> importing.UsernameSetting:
    """What the upload asked of user names (its rule was checked when it was uploaded)."""
    rule = importing.parse_rule(batch.username_rule) if batch.username_rule else None
    return importing.UsernameSetting(batch.usernames_from_column, rule)


@dataclass
class ImportOutcome:
    imported: bool
    plan: importing.Plan | None
    message: str


class ImportFailedError(Exception):
    """Raised inside the import's transaction so that nothing of it is kept."""


def do_import(batch: ImportBatch, *, actor: User) -> ImportOutcome:
    """Import a checked upload: check it again against the records as they are now and, if every row
    of every file is right, write all of it in one transaction; else write nothing. The audit trail
    has an entry for every record created or changed, and one for the import."""
    require(actor, Capability.PEOPLE_CHANGE, batch.school_id)
    with transaction.atomic(), acting(actor):
        locked = ImportBatch.objects.select_for_update().select_related("school").get(pk=batch.pk)
        if locked.status == ImportStatus.IMPORTED:
            return ImportOutcome(False, None, "This upload has been imported already.")
        if locked.status == ImportStatus.EXPIRED or batch_expired(locked):
            if locked.status != ImportStatus.EXPIRED:
                _forget(locked, ImportStatus.EXPIRED, "not confirmed within a day: the upload expired", actor)
            return ImportOutcome(False, None, "This upload has expired: upload the files again.")
        plan = importing.plan(locked.school, actor, batch_files(locked), usernames=batch_usernames(locked))
        if not plan.ok:
            return ImportOutcome(False, plan, "Nothing was imported: the files have problems.")
        names = ", ".join(f.filename for f in plan.files)
        reason = f"imported from the MIS ({names}; upload {locked.pk})"
        _apply(plan, actor, reason)
        summary = plan.summary()
        locked.imported_at = timezone.now()
        locked.summary = summary[:300]
        _forget(locked, ImportStatus.IMPORTED, f"imported: {summary}", actor)
        record(AuditAction.IMPORT, obj=locked, reason=f"{summary} ({names})")
    batch.refresh_from_db()
    return ImportOutcome(True, plan, f"Imported: {summary}.")


def _apply(plan: importing.Plan, actor: User, reason: str) -> None:
    """Write a checked plan. Year groups and classes one by one (there are few); people and links in
    bulk, each with its own audit entry."""
    for year in plan.years_created:
        save(year, actor=actor, reason=reason)
    for group in plan.classes_created:
        save(group, actor=actor, reason=reason)
    for change in plan.classes_updated:
        save(change.obj, actor=actor, reason=reason)
    for file in plan.files:
        _write(Person, [c.obj for c in file.created], [], actor, reason)
        _write(Person, [], file.updated, actor, reason)
    for file in plan.files:  # once their people have ids
        _write(NetworkIdentity, [c.obj for c in file.identities_created], [], actor, reason)
    for file in plan.files:
        _write(GuardianLink, [c.obj for c in file.links_created], file.links_updated, actor, reason)


_PERSON_FIELDS = (
    "title", "first_name", "last_name", "preferred_name", "date_of_birth", "year_group", "class_group",
    "job_title", "email", "phone", "archived_at", "archive_reason",
)  # fmt: skip
_LINK_FIELDS = ("relationship", "parental_responsibility", "contact_order")


def _write(
    model: type[Person] | type[GuardianLink] | type[NetworkIdentity],
    new: list[Any],
    changed: list[importing.Change],
    actor: User,
    reason: str,
) -> None:
    if new:
        if connection.features.can_return_rows_from_bulk_insert:
            model.objects.bulk_create(new, batch_size=500)
            for obj in new:
                record(AuditAction.CREATE, obj=obj, after=obj.audit_snapshot(), reason=reason)
        else:  # a database that cannot say the new rows' ids: one by one, through the signals
            for obj in new:
                save(obj, actor=actor, reason=reason)
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
