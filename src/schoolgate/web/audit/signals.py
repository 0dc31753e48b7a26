"""Every save and delete of an `Audited` record writes an entry, whoever makes it. Who made it and why
come from the audit trail's context variable (`core.actions.acting`, `audit.trail.acting_as`)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save

from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.models import Audited
from schoolgate.web.audit.trail import record

_BEFORE = "_audit_before"


def _before_save(sender: type[Audited], instance: Audited, raw: bool = False, **kwargs: Any) -> None:
    if raw or not issubclass(sender, Audited):
        return
    old = None
    if instance.pk is not None and not instance._state.adding:
        stored = sender._base_manager.filter(pk=instance.pk).first()
        old = stored.audit_snapshot() if stored is not None else None
    setattr(instance, _BEFORE, old)


def _after_save(
    sender: type[Audited], instance: Audited, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not issubclass(sender, Audited):
        return
    before = getattr(instance, _BEFORE, None)
    after = instance.audit_snapshot()
    if not created and before == after:
        return  # saved with nothing changed
    record(
        AuditAction.CREATE if created or before is None else AuditAction.UPDATE,
        obj=instance,
        before=None if created else before,
        after=after,
    )  # the reason: the one the change is made with (`core.actions.acting`), from the context variable
    setattr(instance, _BEFORE, after)


def _after_delete(sender: type[Audited], instance: Audited, **kwargs: Any) -> None:
    if not issubclass(sender, Audited):
        return
    record(AuditAction.DELETE, obj=instance, before=instance.audit_snapshot(), after=None)


def connect() -> None:
    pre_save.connect(_before_save, dispatch_uid="schoolgate-audit-pre-save")
    post_save.connect(_after_save, dispatch_uid="schoolgate-audit-post-save")
    post_delete.connect(_after_delete, dispatch_uid="schoolgate-audit-post-delete")
