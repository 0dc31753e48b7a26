"""Acceptable-use agreements: a versioned text per audience, and who accepted which version, when and how.

A person has accepted when there is an `Acceptance` of the version in force for their audience, in
the current school year (`core.schoolyear`): agreements are renewed each year (policy 000), and a new
version asks everyone again. Both are kept for good (`Kept`): what someone agreed to stays readable.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.core.models import Kept, KeptQuerySet
from schoolgate.web.people.choices import KeyStage, PersonKind
from schoolgate.web.people.models import Person

TEXT_MAX = 20_000  # characters of an agreement's text: a few pages, never a book


class AgreementVersionQuerySet(KeptQuerySet["AgreementVersion"]):
    def in_force(self, audience: str, day: dt.date) -> AgreementVersion | None:
        """The version for `audience` in force on `day`: the newest that has started and not ended."""
        return (
            self.filter(audience=audience, in_force_from__lte=day)
            .exclude(in_force_until__lt=day)
            .order_by("-in_force_from", "-number")
            .first()
        )


class AgreementVersion(Kept):
    """One version of the agreement for one audience, with the dates it is in force."""

    audience = models.CharField(max_length=20, choices=Audience.choices)
    number = models.PositiveIntegerField(help_text="1 for the first version for this audience, then 2, 3 ...")
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="What the reader agrees to, in plain words")
    in_force_from = models.DateField()
    in_force_until = models.DateField(null=True, blank=True, help_text="Empty: until a newer version starts")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField()

    objects = AgreementVersionQuerySet.as_manager()

    class Meta:
        ordering = ("school", "audience", "-number")
        constraints = (
            models.UniqueConstraint(fields=("school", "audience", "number"), name="agreement_number_once"),
        )

    def __str__(self) -> str:
        return f"{self.get_audience_display()}: version {self.number}"

    def clean(self) -> None:
        if len(self.text) > TEXT_MAX:
            raise ValidationError({"text": f"Keep it under {TEXT_MAX:,} characters"})
        if self.in_force_until is not None and self.in_force_until < self.in_force_from:
            raise ValidationError({"in_force_until": "It cannot end before it starts"})


class Acceptance(Kept):
    """`person` accepted `version` in school year `school_year` (the year it starts: 2026 for 2026/27)."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="acceptances")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="acceptances")
    school_year = models.PositiveSmallIntegerField()
    accepted_at = models.DateTimeField()
    how = models.CharField(max_length=20, choices=HowAccepted.choices)
    parent = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="acceptances_for_children",
        help_text="The parent or carer who accepted on the child's behalf",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = KeptQuerySet["Acceptance"].as_manager()

    class Meta:
        ordering = ("school", "-accepted_at")
        constraints = (
            models.UniqueConstraint(
                fields=("version", "person", "school_year"), name="acceptance_once_a_year"
            ),
        )
        indexes = (models.Index(fields=("school", "school_year", "person")),)

    def __str__(self) -> str:
        return f"{self.person} accepted {self.version}"


_PUPIL_STAGES = {
    KeyStage.EYFS: Audience.KS1,
    KeyStage.KS1: Audience.KS1,
    KeyStage.KS2: Audience.KS2,
    KeyStage.KS3: Audience.SECONDARY,
    KeyStage.KS4: Audience.SECONDARY,
    KeyStage.KS5: Audience.SECONDARY,
}
_KINDS = {
    PersonKind.STAFF: Audience.STAFF,
    PersonKind.SUPPLY: Audience.STAFF,
    PersonKind.GOVERNOR: Audience.VOLUNTEERS,
    PersonKind.VISITOR: Audience.VISITORS,
    PersonKind.COMMUNITY: Audience.VISITORS,
    PersonKind.PARENT: Audience.PARENTS,
}


def audience_of(person: Person) -> Audience | None:
    """The agreement `person` is asked to accept; None for a pupil with no year group (the chase list
    names them so that the office can put them in one)."""
    if person.kind == PersonKind.PUPIL:
        stage = person.year_group.key_stage if person.year_group_id and person.year_group else None
        return _PUPIL_STAGES.get(KeyStage(stage)) if stage else None
    return _KINDS.get(PersonKind(person.kind))
