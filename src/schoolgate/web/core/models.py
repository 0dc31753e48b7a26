"""What records of every app share: "kept, never deleted".

A record that people may want gone (a pupil who left, a visitor whose visit ended) is archived with a
reason instead: it leaves the lists and its history stays, with who archived it and when in the audit
trail. `core.actions.archive` and `restore` do it; the app's `do_archive` checks the permission.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.db import models

from schoolgate.web.audit.models import Audited
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet

M = TypeVar("M", bound=models.Model)


class ArchivableQuerySet(SchoolQuerySet[M]):
    """A school's records, with the archived ones set apart."""

    def unarchived(self) -> Self:
        """The records in the lists: not archived."""
        return self.filter(archived_at__isnull=True)

    def archived(self) -> Self:
        """The records archived, kept out of the lists."""
        return self.filter(archived_at__isnull=False)


class Archivable(models.Model):
    """Archived instead of deleted: when, and why (who did it is in the audit trail)."""

    archived_at = models.DateTimeField(null=True, blank=True)
    archive_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class KeptQuerySet(SchoolQuerySet[M]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Schoolgate keeps every record of the log: archive it with a reason")


class Kept(Audited, SchoolScoped):
    """A record kept for good (the online safety log, the sanctions matrix): audited, never deleted, one
    by one or many at once."""

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Schoolgate keeps every record of the log: archive it with a reason")
