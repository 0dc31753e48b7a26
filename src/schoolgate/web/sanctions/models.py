"""The sanctions matrix: for pupils and for staff, the kinds of misuse (rows) and what the school does
about them (actions, the columns). Editable data, filled from the online safety policy the first time
it is needed (`matrix.ensure_matrix`); kept, never deleted, like the log's records: incidents keep the
row they were recorded under and the actions taken in them.

The tables are the ones the online safety log made when the matrix was part of it (`db_table`): the
move to this app changed no row (migrations/0001_initial.py).
"""

from __future__ import annotations

from django.db import models

from schoolgate.web.core.models import Kept, KeptQuerySet
from schoolgate.web.sanctions.choices import AppliesTo


class SanctionAction(Kept):
    """A column of the matrix: something the school does about misuse ("Inform parents / carers")."""

    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices)
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    is_sanction = models.BooleanField(
        default=False,
        help_text="A warning or sanction: misuse after it counts as a continued infringement",
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = KeptQuerySet["SanctionAction"].as_manager()

    class Meta:
        db_table = "incidents_sanctionaction"
        ordering = ("school", "applies_to", "order", "pk")
        constraints = (
            models.UniqueConstraint(fields=("school", "applies_to", "key"), name="sanction_action_once"),
        )

    def __str__(self) -> str:
        return self.name


class Misuse(Kept):
    """A row of the matrix: a kind of misuse, with the actions the policy expects for it."""

    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices)
    key = models.SlugField(max_length=40)
    description = models.CharField(max_length=300)
    expected = models.ManyToManyField(SanctionAction, blank=True, related_name="expected_for")
    is_continued = models.BooleanField(
        default=False, help_text="The row for continued infringements after earlier warnings or sanctions"
    )
    order = models.PositiveSmallIntegerField(default=0)
    retired = models.BooleanField(default=False, help_text="No longer offered for new incidents")

    objects = KeptQuerySet["Misuse"].as_manager()

    class Meta:
        db_table = "incidents_misuse"
        ordering = ("school", "applies_to", "order", "pk")
        constraints = (models.UniqueConstraint(fields=("school", "applies_to", "key"), name="misuse_once"),)
        verbose_name_plural = "misuse"

    def __str__(self) -> str:
        return self.description
