"""People and the groups the school already keeps (year groups, classes)."""

from __future__ import annotations

import ipaddress
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from schoolgate.web.audit.models import Audited
from schoolgate.web.core.models import Archivable, ArchivableQuerySet
from schoolgate.web.people.choices import (
    TEMPORARY_KINDS,
    IdentityKind,
    ImportKind,
    ImportStatus,
    KeyStage,
    PersonKind,
    Relationship,
)
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet


class YearGroup(Audited, SchoolScoped):
    """A year group ("Year 5"), in a key stage."""

    name = models.CharField(max_length=50)
    key_stage = models.CharField(max_length=10, choices=KeyStage.choices)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Where it comes in lists: Reception 0, Year 1 1, ..."
    )

    objects = SchoolQuerySet["YearGroup"].as_manager()

    class Meta:
        ordering = ("school", "order", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="year_group_name_once"),)

    def __str__(self) -> str:
        return self.name


class ClassGroup(Audited, SchoolScoped):
    """A class or registration group ("5B"), usually in one year group."""

    name = models.CharField(max_length=50)
    year_group = models.ForeignKey(
        YearGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="classes"
    )

    objects = SchoolQuerySet["ClassGroup"].as_manager()

    class Meta:
        ordering = ("school", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="class_name_once"),)
        verbose_name = "class"
        verbose_name_plural = "classes"

    def __str__(self) -> str:
        return self.name


class PersonQuerySet(ArchivableQuerySet["Person"]):
    def current(self) -> PersonQuerySet:
        """Not archived, and (for visitors, supply staff and community users) not yet expired."""
        now = timezone.now()
        return self.unarchived().exclude(expires_at__lte=now)


class Person(Archivable, Audited, SchoolScoped):
    """Anyone the school keeps a record of. Full names, never initials: the records must say who."""

    kind = models.CharField(max_length=20, choices=PersonKind.choices, db_index=True)
    title = models.CharField(max_length=20, blank=True, help_text="Mr, Mrs, Ms, Miss, Mx, Dr ...")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="If they go by another first name"
    )
    mis_id = models.CharField(
        "MIS ID",
        max_length=50,
        blank=True,
        help_text="The school's MIS identifier (UPN for a pupil, staff code for staff)",
    )
    date_of_birth = models.DateField(null=True, blank=True)
    year_group = models.ForeignKey(
        YearGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="pupils"
    )
    class_group = models.ForeignKey(
        ClassGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pupils",
        verbose_name="class",
    )
    job_title = models.CharField(max_length=100, blank=True)
    team = models.CharField(
        max_length=100,
        blank=True,
        help_text="Staff: their team, for the lists by team (Teaching, Support, Office, Lunchtime ...)",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Visitors, supply staff and community users: who they are with and why, and until when.
    organisation = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=300, blank=True, help_text="Why they are in school")
    host = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="visitors",
        help_text="The member of staff responsible for them",
    )  # fmt: skip
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When their access ends")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="person"
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ("school", "last_name", "first_name")
        indexes = (models.Index(fields=("school", "kind", "last_name")),)
        constraints = (
            models.UniqueConstraint(
                fields=("school", "kind", "mis_id"),
                condition=~models.Q(mis_id=""),
                name="mis_id_once_per_kind",
            ),
        )
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()

    @property
    def key_stage(self) -> str:
        return self.year_group.get_key_stage_display() if self.year_group else ""

    @property
    def is_temporary(self) -> bool:
        return self.kind in TEMPORARY_KINDS

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind in TEMPORARY_KINDS and self.expires_at is None:
            errors["expires_at"] = (
                "Visitors, supply staff and community users need an end date for their access"
            )
        if self.kind != PersonKind.PUPIL and (self.year_group_id or self.class_group_id):
            errors["year_group"] = "Only pupils are in a year group or class"
        if (
            self.class_group_id
            and self.year_group_id
            and self.class_group
            and self.class_group.year_group_id
            not in (
                None,
                self.year_group_id,
            )
        ):
            errors["class_group"] = "That class is in another year group"
        for name in ("year_group", "class_group", "host"):
            related = getattr(self, name)
            if related is not None and related.school_id != self.school_id:
                errors[name] = "That belongs to another school"
        if errors:
            raise ValidationError(errors)


class GuardianLink(Audited, SchoolScoped):
    """A parent or carer of a pupil."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="guardian_links")
    guardian = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="child_links")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    parental_responsibility = models.BooleanField(default=True)
    contact_order = models.PositiveSmallIntegerField(default=1, help_text="1 is contacted first")

    objects = SchoolQuerySet["GuardianLink"].as_manager()

    class Meta:
        ordering = ("child", "contact_order")
        constraints = (models.UniqueConstraint(fields=("child", "guardian"), name="guardian_once"),)

    def __str__(self) -> str:
        return f"{self.guardian} ({self.get_relationship_display()}) of {self.child}"

    def clean(self) -> None:
        # Either side may be missing still (a form without it says so); RelatedObjectDoesNotExist is
        # an AttributeError, so getattr's default covers it.
        child: Person | None = getattr(self, "child", None)
        guardian: Person | None = getattr(self, "guardian", None)
        if child is not None and child.kind != PersonKind.PUPIL:
            raise ValidationError({"child": "Only a pupil has parents or carers here"})
        if guardian is not None and guardian.kind != PersonKind.PARENT:
            raise ValidationError({"guardian": "Choose a parent or carer"})
        if any(p is not None and p.school_id != self.school_id for p in (child, guardian)):
            raise ValidationError("Both must be of this school")


class NetworkIdentity(Audited, SchoolScoped):
    """How the filter recognises someone or something: a user name the proxy reports, a device by
    its address, or an address range (a classroom's tablets, the guest Wi-Fi). Published into the
    policy's `[[identities]]`."""

    kind = models.CharField(max_length=20, choices=IdentityKind.choices)
    value = models.CharField(
        max_length=150, help_text="The user name, the device's address, or a range such as 10.10.1.0/24"
    )
    label = models.CharField(
        max_length=200, blank=True, help_text='What it is, in words: "KS1 classroom tablets"'
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="identities"
    )

    objects = SchoolQuerySet["NetworkIdentity"].as_manager()

    class Meta:
        ordering = ("school", "kind", "value")
        constraints = (models.UniqueConstraint(fields=("school", "kind", "value"), name="identity_once"),)
        verbose_name_plural = "network identities"

    def __str__(self) -> str:
        return self.label or self.value

    def clean(self) -> None:
        value = self.value.strip()
        if self.kind == IdentityKind.USERNAME:
            if not value or any(c.isspace() for c in value):
                raise ValidationError({"value": "A user name has no spaces"})
            self.value = value.lower()
        elif self.kind == IdentityKind.DEVICE:
            try:
                self.value = str(ipaddress.ip_address(value))
            except ValueError:
                raise ValidationError(
                    {"value": f"{value} is not an IP address (for example 10.10.1.23)"}
                ) from None
        else:
            try:
                self.value = str(ipaddress.ip_network(value, strict=False))
            except ValueError:
                raise ValidationError(
                    {"value": f"{value} is not an address range (for example 10.10.1.0/24)"}
                ) from None
        if self.person is not None and self.person.school_id != self.school_id:
            raise ValidationError({"person": "That person belongs to another school"})


class ImportBatch(Audited, SchoolScoped):
    """One upload of MIS exports (pupils, staff, parents and carers: one file of each at most),
    kept on the server between the check and the import so that what is imported is exactly what was
    checked. A batch is imported at most once, and only if every row of every file is right."""

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.CHECKED)
    imported_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True, help_text="What the import did, in words")
    # Network user names (importing.UsernameSetting): from the files' user name column, by a rule, or both.
    usernames_from_column = models.BooleanField(default=False)
    username_rule = models.CharField(max_length=100, blank=True, help_text="Such as {first}.{last}")

    objects = SchoolQuerySet["ImportBatch"].as_manager()

    class Meta:
        ordering = ("school", "-created_at")
        verbose_name = "MIS import"
        verbose_name_plural = "MIS imports"

    def __str__(self) -> str:
        return f"MIS import {self.pk} ({self.created_at:%d/%m/%Y %H:%M})"


class ImportFile(Audited, SchoolScoped):
    """One uploaded CSV file of a batch: its name, fingerprint and (until it is imported or the batch
    expires) its text. The text is left out of the audit trail: it is the file, not a change."""

    audit_exclude: ClassVar[tuple[str, ...]] = ("content",)

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    content = models.TextField(blank=True, help_text="The file as text; emptied once it is imported")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField(default=0, help_text="In bytes, as uploaded")

    objects = SchoolQuerySet["ImportFile"].as_manager()

    class Meta:
        ordering = ("batch", "kind")
        constraints = (
            models.UniqueConstraint(fields=("batch", "kind"), name="one_file_of_a_kind_per_batch"),
        )

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_kind_display()})"
