"""The audit trail's entries, the chain's head, and `Audited`, the base of every audited record."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.tenancy.querysets import SchoolQuerySet

GENESIS = "0" * 64  # the "previous hash" of the first entry


class Audited(models.Model):
    """Base of every record whose changes are written to the audit trail (by the signals in
    `audit.signals`, whoever makes the change: a page, an import, a command)."""

    # Fields left out of the before/after snapshots (secrets, or noise such as last-login times).
    audit_exclude: ClassVar[tuple[str, ...]] = ()
    # Fields written as the SHA-256 of their value ("sha256:..."): the trail proves what the record
    # said without showing it (what a child said, in the online safety log) to readers of the trail.
    audit_digest: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def audit_snapshot(self) -> dict[str, Any]:
        """The record as plain JSON values: concrete fields by name (foreign keys as their id)."""
        out: dict[str, Any] = {}
        for field in self._meta.concrete_fields:
            if field.name in self.audit_exclude:
                continue
            value = _plain(field.value_from_object(self))
            if field.name in self.audit_digest and value not in (None, ""):
                value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
            out[field.attname if field.is_relation else field.name] = value
        return out


def _plain(value: object) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class AuditEntryQuerySet(SchoolQuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the audit trail is append-only: entries are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit trail is append-only: entries are never deleted")


class AuditEntry(models.Model):
    """One change: who, when, what, the record before and after, and the chain's hashes."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="who, as written at the time")
    school = models.ForeignKey(
        "tenancy.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ("id",)
        indexes = (models.Index(fields=("object_type", "object_id")),)
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_repr}"

    def payload(self) -> dict[str, Any]:
        """What the hash covers: every field but the hash itself."""
        return {
            "id": self.pk,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "school": self.school_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical(self.payload()).encode()).hexdigest()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("the audit trail is append-only: entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit trail is append-only: entries are never deleted")


class AuditHead(models.Model):
    """The chain's last entry, in one row that every writer locks: entries are appended one at a
    time, and removing the newest entries is noticed (the head names an entry that is not there)."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head: {self.count} entries, last {self.last_id}"
