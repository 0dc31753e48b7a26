"""Photo and video consent: a history of decisions per child and purpose, and parents' one-time links.

`ConsentRecord` rows are kept for good (`Kept`): the current state for a child and a purpose is the
latest row (by the date it was given, then the order it was recorded); no row means consent was never
given (the policies: written permission before a photograph is published), which the pages call "not
asked yet", apart from "withdrawn".

`ConsentLink`: a link e-mailed to one parent for one child. Its token is 256 random bits in the
address only; the database keeps its SHA-256 (`links`), as for the login links.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from schoolgate.web.audit.models import Audited
from schoolgate.web.consent.choices import Decision, HowGiven, Purpose
from schoolgate.web.core.models import Kept, KeptQuerySet
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet

NOTE_MAX = 500


class ConsentRecord(Kept):
    """One decision for one child and one purpose: given or withdrawn, by whom, how and when."""

    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consent_records")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    # The parent who decided, when they are on record as the child's; empty when the office took it
    # from someone not on record (`note` says who).
    given_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="consent_decisions"
    )
    how = models.CharField(max_length=10, choices=HowGiven.choices)
    given_on = models.DateField(help_text="The date on the form, or of the call or e-mail")
    recorded_at = models.DateTimeField()
    # Who typed it in: a member of staff; empty when the parent used their link.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=NOTE_MAX, blank=True)

    objects = KeptQuerySet["ConsentRecord"].as_manager()

    class Meta:
        ordering = ("school", "child", "purpose", "given_on", "recorded_at", "pk")
        indexes = (models.Index(fields=("school", "child", "purpose")),)

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.get_decision_display().lower()} for {self.child}"


class ConsentLink(Audited, SchoolScoped):
    """A one-time link for one parent to give or withdraw consent for one child."""

    # The hash proves which link it was without letting a reader of the trail use it (it is a hash).
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    made_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    made_by = models.CharField(max_length=200)
    sent_to = models.EmailField()
    used_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolQuerySet["ConsentLink"].as_manager()

    class Meta:
        ordering = ("-made_at",)
        indexes = (models.Index(fields=("parent", "made_at")),)

    def __str__(self) -> str:
        return f"consent link for {self.parent} about {self.child}"


class LinkPost(models.Model):
    """A form sent to the public consent page, by address: how many an address may send is limited
    (`links.POSTS_PER_WINDOW`). Old rows are deleted as new ones come in; not school records."""

    address = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
