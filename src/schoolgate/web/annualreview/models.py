"""What the annual review keeps, per school and school year.

- `Review`: one school year's review: in progress until the three slots are signed, then signed. From
  the first signature it keeps the evidence as it was then (`evidence`, JSON), so that a signed review
  always shows what was signed.
- `Answer`: a point of the standards (`standards.POINTS`) answered met, partly met or not met, with
  notes.
- `ReviewAction`: something to do that came out of the review: what, who (a member of staff), by when,
  and when it was done.
- `SignOff`: a signature in one slot (headteacher, DSL, online safety governor). Changing the review
  after a signature clears the signatures: they are kept, marked cleared with when and why.
- `Schedule`: the date the school set for the next review (otherwise a year after the last sign-off).
- `ReminderSent`: the e-mail that the next review is due, sent once per due date.

All kept, never deleted (`Kept`): the review is evidence for the school's inspectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from schoolgate.web.accounts.choices import Role
from schoolgate.web.core import schoolyear
from schoolgate.web.core.models import Kept, KeptQuerySet

USER = settings.AUTH_USER_MODEL


class ReviewState(models.TextChoices):
    IN_PROGRESS = "in-progress", "In progress"
    SIGNED = "signed", "Signed"


class Judgement(models.TextChoices):
    MET = "met", "Met"
    PARTLY = "partly", "Partly met"
    NOT_MET = "not-met", "Not met"


class Slot(models.TextChoices):
    """Who signs the review, each in their own slot, with the role that slot needs."""

    HEADTEACHER = "headteacher", "Headteacher"
    DSL = "dsl", "Designated Safeguarding Lead"
    GOVERNOR = "governor", "Online safety governor"


SLOT_ROLE: dict[str, Role] = {
    Slot.HEADTEACHER: Role.HEADTEACHER,
    Slot.DSL: Role.DSL,
    Slot.GOVERNOR: Role.ONLINE_SAFETY_GOVERNOR,
}


class Review(Kept):
    year = models.PositiveSmallIntegerField(help_text="The school year, by the calendar year it starts in")
    state = models.CharField(max_length=12, choices=ReviewState.choices, default=ReviewState.IN_PROGRESS)
    started_at = models.DateTimeField()
    evidence = models.JSONField(
        null=True, blank=True, help_text="The evidence as it was at the first signature (none before)"
    )
    signed_at = models.DateTimeField(null=True, blank=True, help_text="When the last slot was signed")

    objects = KeptQuerySet["Review"].as_manager()

    class Meta:
        ordering = ("school", "-year")
        constraints = (models.UniqueConstraint(fields=("school", "year"), name="one_review_per_year"),)

    def __str__(self) -> str:
        return f"annual review {schoolyear.name(self.year)}"

    @property
    def year_name(self) -> str:
        return schoolyear.name(self.year)

    def get_absolute_url(self) -> str:
        return reverse("annualreview:year", args=[self.year])


class Answer(Kept):
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="answers")
    point = models.CharField(max_length=40, help_text="The point's key in standards.POINTS")
    judgement = models.CharField(max_length=8, choices=Judgement.choices)
    notes = models.TextField(blank=True)
    answered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField()

    objects = KeptQuerySet["Answer"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("review", "point"), name="one_answer_per_point"),)

    def __str__(self) -> str:
        return f"{self.point}: {self.get_judgement_display()}"


class ReviewAction(Kept):
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="actions")
    what = models.CharField(max_length=300)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    due = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    objects = KeptQuerySet["ReviewAction"].as_manager()

    class Meta:
        ordering = ("due", "id")

    def __str__(self) -> str:
        return self.what


class SignOff(Kept):
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="signoffs")
    slot = models.CharField(max_length=12, choices=Slot.choices)
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200, help_text="The name as it was when they signed")
    signed_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_why = models.CharField(max_length=300, blank=True)

    objects = KeptQuerySet["SignOff"].as_manager()

    class Meta:
        ordering = ("signed_at", "id")
        constraints = (
            models.UniqueConstraint(
                fields=("review", "slot"),
                condition=models.Q(cleared_at__isnull=True),
                name="one_signature_per_slot",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_slot_display()}: {self.signer_name}"


class Schedule(Kept):
    """The next review's date, when the school chose one (after the last sign-off, it wins over "a
    year after the last sign-off")."""

    next_due = models.DateField("next review due")
    set_at = models.DateTimeField()

    objects = KeptQuerySet["Schedule"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school",), name="one_review_schedule"),)

    def __str__(self) -> str:
        return f"next review due {self.next_due}"


class ReminderSent(Kept):
    """The reminder for one due date, sent once."""

    due = models.DateField()
    sent_at = models.DateTimeField()
    sent_to = models.TextField(blank=True, help_text="One address per line")

    objects = KeptQuerySet["ReminderSent"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school", "due"), name="one_reminder_per_due_date"),)

    def __str__(self) -> str:
        return f"reminder for {self.due}"
