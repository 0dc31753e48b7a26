"""The school's own term dates, which the governors' report counts by.

A school that has entered none keeps the fixed terms of `terms` (September to December, January to
March, April to August). A term is kept, never deleted: one entered by mistake is archived with a
reason, and the audit trail keeps who changed what.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from schoolgate.web.core.models import Archivable, ArchivableQuerySet, Kept
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet

NAME_MAX = 40


class SchoolTerm(Archivable, Kept):
    """One term of the school's calendar: its name ("Autumn 2026"), its first and last day."""

    name = models.CharField(max_length=NAME_MAX, help_text='For example "Autumn 2026"')
    first = models.DateField("first day")
    last = models.DateField("last day")

    objects = ArchivableQuerySet["SchoolTerm"].as_manager()

    class Meta:
        ordering = ("school", "first", "id")
        constraints = (
            models.CheckConstraint(condition=Q(last__gte=F("first")), name="school_term_in_order"),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.first:%-d %B %Y} to {self.last:%-d %B %Y})"

    def get_absolute_url(self) -> str:
        return reverse("reports:term", args=[self.pk])


class BlockCount(SchoolScoped):
    """The filter's blocks of one day in one category (a locked list's apart), of pupils and devices
    not identified: the governors' report reads these instead of a year of events (`rollup`). Counts
    worked out from the monitoring's events, so not audited; never about members of staff."""

    day = models.DateField()
    category = models.CharField(max_length=64, blank=True)
    locked = models.BooleanField(default=False)
    blocked = models.PositiveIntegerField(default=0)

    objects = SchoolQuerySet["BlockCount"].as_manager()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("school", "day", "category", "locked"), name="one_block_count_a_day"
            ),
        )

    def __str__(self) -> str:
        return f"{self.day} {self.category or '-'}{' (locked)' if self.locked else ''}: {self.blocked}"


class BlockRollup(SchoolScoped):
    """How far a school's blocks are counted into `BlockCount`: every day before `until`."""

    until = models.DateField()

    objects = SchoolQuerySet["BlockRollup"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school",), name="one_block_rollup_per_school"),)

    def __str__(self) -> str:
        return f"blocks counted before {self.until}"
