"""Trusts and schools. A deployment holds one school, or a trust (or local authority) of many."""

from __future__ import annotations

from django.db import models

from schoolgate.web.audit.models import Audited


class Trust(Audited, models.Model):
    """A multi-academy trust or local authority: a group of schools run together. A school may
    stand alone (no trust)."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class School(Audited, models.Model):
    """A school. Every record of people, incidents and policy belongs to exactly one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True, help_text="Short name used in addresses")
    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="schools")
    urn = models.CharField(
        "URN", max_length=12, blank=True, help_text="The school's Unique Reference Number (GIAS), if known"
    )
    timezone = models.CharField(max_length=64, default="Europe/London")

    class Meta:
        ordering = ("name",)
        constraints = (
            # One school per URN, whoever asks at the same moment: `do_create_school` checks first and
            # says so clearly; this keeps two runs at the same instant from both making it.
            models.UniqueConstraint(fields=("urn",), condition=~models.Q(urn=""), name="one_school_per_urn"),
        )

    def __str__(self) -> str:
        return self.name


class SchoolScoped(models.Model):
    """Base of every record that belongs to a school."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
