"""The training records of a school.

- `Course`: a course the school asks people to do (induction, the annual safeguarding update, online
  safety, Prevent, governor training ...), who it is for and how often it must be refreshed. The five
  the policies name are made for a school the first time its training is opened (`defaults.py`).
  Archived, never deleted: the attendance on it stays readable.
- `Attendance`: that a person did a course on a day, with whom, and the certificate if there is one
  (kept by its SHA-256 under the data directory, as the online safety log keeps evidence). Recorded by
  mistake: archived with a reason, never deleted.
- `NeedsAssessment`: one member of staff's answers to the training needs questions (policy 002: "An
  audit of the online safety training needs of all staff will be carried out regularly"), once per
  school year; answering again in the same year changes that year's answers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from schoolgate.web.core.models import Archivable, ArchivableQuerySet, Kept, KeptQuerySet
from schoolgate.web.people.models import Person
from schoolgate.web.training.choices import CourseKind, ForWhom

NAME_MAX = 120
DESCRIPTION_MAX = 2_000
MONTHS_MAX = 120  # ten years: a refresher less often than that is "once"


class CourseQuerySet(ArchivableQuerySet["Course"]):
    """A school's courses: the archived ones set apart, none ever deleted."""

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Schoolgate keeps every course: archive it with a reason")


class Course(Archivable, Kept):
    """A course, who it is for, and how often it must be done again (`refresh_months`; None: once)."""

    name = models.CharField(max_length=NAME_MAX)
    kind = models.CharField(max_length=20, choices=CourseKind.choices, default=CourseKind.OTHER)
    for_whom = models.CharField(
        "who it is for", max_length=10, choices=ForWhom.choices, default=ForWhom.STAFF
    )
    refresh_months = models.PositiveSmallIntegerField(
        "done again every (months)",
        null=True,
        blank=True,
        help_text="Empty: done once (induction). 12 for every year, 24 for every two years ...",
    )
    description = models.TextField(blank=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ("school", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="course_name_once"),)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("training:course", args=[self.pk])

    @property
    def how_often(self) -> str:
        months = self.refresh_months
        if months is None:
            return "Once"
        if months % 12 == 0:
            years = months // 12
            return "Every year" if years == 1 else f"Every {years} years"
        return "Every month" if months == 1 else f"Every {months} months"

    def clean(self) -> None:
        self.name = " ".join(self.name.split())
        if not self.name:
            raise ValidationError({"name": "Give the course a name"})
        if self.refresh_months is not None and not 1 <= self.refresh_months <= MONTHS_MAX:
            raise ValidationError(
                {"refresh_months": f"Between 1 and {MONTHS_MAX} months, or empty for a course done once"}
            )
        if len(self.description) > DESCRIPTION_MAX:
            raise ValidationError({"description": f"Keep it under {DESCRIPTION_MAX:,} characters"})


class AttendanceQuerySet(ArchivableQuerySet["Attendance"]):
    """A school's attendance records: the archived ones set apart, none ever deleted."""

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Schoolgate keeps every training record: archive it with a reason")


class Attendance(Archivable, Kept):
    """`person` did `course` on `attended_on`."""

    audit_digest: ClassVar[tuple[str, ...]] = ("original_name",)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="training")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="attendance")
    attended_on = models.DateField("date")
    provider = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who gave it: the DSL, the local authority, an online course ...",
    )
    note = models.CharField(max_length=300, blank=True)
    # The certificate, when there is one: the file is kept by its SHA-256 (`certificates.path`).
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ("school", "-attended_on", "pk")
        verbose_name_plural = "attendance"
        indexes = (models.Index(fields=("school", "course", "person", "attended_on")),)

    def __str__(self) -> str:
        return f"{self.person} did {self.course} on {self.attended_on:%d %B %Y}"

    def get_absolute_url(self) -> str:
        return reverse("training:attendance", args=[self.pk])

    @property
    def has_certificate(self) -> bool:
        return bool(self.sha256)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.person.school_id != self.school_id or self.course.school_id != self.school_id:
            raise ValidationError("The person and the course must be of this school")
        super().save(*args, **kwargs)


class NeedsAssessment(Kept):
    """One member of staff's training needs answers for one school year (2026 for 2026/27).

    `answers`: {question key: confidence 1-4} (`questions.QUESTIONS`); `wanted`: the question keys
    they would like training on; `what_would_help`: their own words, read only by TRAINING_VIEW."""

    audit_digest: ClassVar[tuple[str, ...]] = ("what_would_help",)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="training_needs")
    school_year = models.PositiveSmallIntegerField()
    answers = models.JSONField(default=dict)
    wanted = models.JSONField(default=list)
    what_would_help = models.TextField(blank=True)
    submitted_at = models.DateTimeField()

    objects = KeptQuerySet["NeedsAssessment"].as_manager()

    class Meta:
        ordering = ("school", "-school_year", "person")
        constraints = (
            models.UniqueConstraint(fields=("person", "school_year"), name="needs_assessment_once_a_year"),
        )

    def __str__(self) -> str:
        return f"{self.person}'s training needs, {self.school_year}"
