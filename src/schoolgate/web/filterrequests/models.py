"""The records of filter change requests, kept per school and never deleted.

- `FilterRequest`: one request, however it was made (a pupil's review from the block page, a
  teacher's lesson unblock, "this site should be blocked", a permanent change): who asked, for whom,
  which site, for how long, why, what the filter decided at the time, and the decision.
- `RequestNote`: the conversation on a request ("more information, please" and the answer).
- `Grant`: what an approval wrote into the filter: allow or block these sites for this person,
  class, group or everyone, from when, until when, within which time window. The policy's requests
  section is rendered from the grants in force (`schoolgate.web.policy.requests_section`); a grant
  is ended early by a person (`ended_at`), or ends by itself at `expires`.
- `ClassTeacher`: who teaches which class, for teachers' own lesson unblocks (kept here, edited on the
  requests' settings page: the people records say who is in a class, not who teaches it).
- `RequestSettings`: the school's choices: who may approve what, and whether teachers may unblock a
  site for their own class for one lesson without approval.

Requests are a list of their own beside the incidents of the online safety log, not an incident type:
a request has its own life (asked, decided, written into the filter, expired) and its own readers
(the coordinator and the network manager decide it; teachers see their own), and most are not
safeguarding concerns. The log's pages link to it, and the governors' report counts it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from schoolgate.web.audit.models import Audited
from schoolgate.web.filterrequests.choices import (
    Approvers,
    Audience,
    Duration,
    NoteKind,
    RequestKind,
    RequestSource,
    RequestState,
)
from schoolgate.web.people.models import ClassGroup, Person
from schoolgate.web.policy.choices import Verdict
from schoolgate.web.policy.models import FilterGroup, PolicyVersion, TimeWindow
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet


class FilterRequest(Audited, SchoolScoped):
    """One request for a change to the filtering, numbered 1, 2, 3 ... per school."""

    # Why it was asked may be what a pupil wrote on the block page: the trail proves it, the request's
    # page shows it to those who may read it.
    audit_digest: ClassVar[tuple[str, ...]] = ("reason",)

    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    source = models.CharField(max_length=20, choices=RequestSource.choices)
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.NEW)
    asked_at = models.DateTimeField()
    # Who asked: a member of staff (their login), or a pupil from the block page (the person the
    # signed block page names, when the filter knows them; else `asked_by_name` holds the user name or
    # address as signed).
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asked_by_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="filter_requests"
    )
    asked_by_name = models.CharField(max_length=200, blank=True)
    # The pupil's review request as it came from the block page, when this request is one.
    review = models.OneToOneField(
        "monitoring.ReviewRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filter_request",
    )
    # For whom (as asked; what was granted is in the grants).
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.PERSON)
    for_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    for_class = models.ForeignKey(
        ClassGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="class"
    )
    for_group = models.ForeignKey(
        FilterGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="group"
    )
    # Which site: the host name (canonical, lower case) and, when one page was asked, its URL.
    site = models.CharField(max_length=255)
    url = models.TextField(blank=True)
    whole_site = models.BooleanField(default=True, help_text="The whole site, not only this page")
    # For how long (as asked).
    duration = models.CharField(max_length=10, choices=Duration.choices, default=Duration.LESSON)
    starts = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    window = models.ForeignKey(
        TimeWindow,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="time window",
    )
    reason = models.TextField("why", blank=True)
    # What the filter decided when the request was made (the running policy's `explain()`).
    decided_verdict = models.CharField(max_length=5, blank=True)
    decided_group = models.CharField(max_length=64, blank=True)
    decided_category = models.CharField(max_length=64, blank=True)
    decided_rule = models.CharField(max_length=200, blank=True)
    decided_locked = models.BooleanField(default=False)
    explanation = models.TextField(blank=True)
    # The decision.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    without_approval = models.BooleanField(
        default=False, help_text="A teacher's own lesson unblock, which the school lets teachers make"
    )
    version = models.ForeignKey(
        PolicyVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The policy version that put the decision into the filter",
    )
    # Telling the requester: staff in the app and by e-mail (when `told_at` is empty the worker sends
    # it); a pupil sees it on the block page for that site.
    told_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True, help_text="When the requester opened the decision")
    # Telling those who decide: the worker e-mails them once about a new request (a link, no site).
    deciders_told_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolQuerySet["FilterRequest"].as_manager()

    class Meta:
        ordering = ("school", "-number")
        constraints = (
            models.UniqueConstraint(fields=("school", "number"), name="filter_request_number_once"),
        )
        indexes = (
            models.Index(fields=("school", "state")),
            models.Index(fields=("school", "site")),
            # What the worker looks for every round (`notify.send_due`): a few rows, found at once.
            models.Index(
                fields=("state",),
                condition=Q(told_at__isnull=True, asked_by__isnull=False),
                name="filter_request_untold",
            ),
            models.Index(
                fields=("state",),
                condition=Q(deciders_told_at__isnull=True),
                name="filter_request_deciders_untold",
            ),
        )

    def __str__(self) -> str:
        return f"request {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("filterrequests:request", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.state in (RequestState.NEW, RequestState.MORE)


class RequestNote(SchoolScoped):
    """One message on a request: a question to the requester, their answer, a comment. Never changed."""

    request = models.ForeignKey(FilterRequest, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()

    objects = SchoolQuerySet["RequestNote"].as_manager()

    class Meta:
        ordering = ("request", "at", "id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("a note on a request is never changed")
        super().save(*args, **kwargs)


class Grant(Audited, SchoolScoped):
    """What an approval wrote into the filter. Rendered into the policy's requests section while in
    force: allowed (or blocked) sites for one person, a class, a filter group or everyone."""

    request = models.ForeignKey(FilterRequest, on_delete=models.PROTECT, related_name="grants")
    action = models.CharField(max_length=5, choices=Verdict.choices, default=Verdict.ALLOW)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    class_group = models.ForeignKey(
        ClassGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="class"
    )
    group = models.ForeignKey(
        FilterGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    domains = models.JSONField(default=list, blank=True)
    urls = models.JSONField(default=list, blank=True)
    starts = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    window = models.ForeignKey(
        TimeWindow,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name="time window",
    )
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    objects = SchoolQuerySet["Grant"].as_manager()

    class Meta:
        ordering = ("school", "made_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=(Q(audience=Audience.PERSON) & Q(person__isnull=False))
                | (Q(audience=Audience.CLASS) & Q(class_group__isnull=False))
                | (Q(audience=Audience.GROUP) & Q(group__isnull=False))
                | Q(audience=Audience.EVERYONE),
                name="grant_names_its_audience",
            ),
        )

    def __str__(self) -> str:
        return f"grant of {self.request}"

    def in_force(self, at: dt.datetime) -> bool:
        """Whether the filter applies it at `at` (its window aside)."""
        if self.ended_at is not None and self.ended_at <= at:
            return False
        if self.expires is not None and self.expires <= at:
            return False
        return self.starts is None or self.starts <= at

    @classmethod
    def current(cls, school_id: int, at: dt.datetime) -> models.QuerySet[Grant]:
        """The grants the policy file must carry at `at`: not ended, not expired (those not started
        yet too: the file says when they start)."""
        return cls.objects.filter(school_id=school_id, ended_at__isnull=True).exclude(expires__lte=at)


class RequestSettings(Audited, SchoolScoped):
    """The school's choices for requests: one row per school."""

    unblock_approvers = models.CharField(
        "who may approve an unblock", max_length=16, choices=Approvers.choices, default=Approvers.EITHER
    )
    change_approvers = models.CharField(
        "who may approve a lasting change or a block",
        max_length=16,
        choices=Approvers.choices,
        default=Approvers.EITHER,
    )
    teachers_may_unblock = models.BooleanField(
        "teachers may unblock a site for their own class for one lesson without approval",
        default=False,
        help_text="Never a locked list (illegal content). Every such unblock is recorded and shown "
        "to the DSL.",
    )
    lesson_minutes = models.PositiveIntegerField("how long a lesson unblock lasts, in minutes", default=60)

    objects = SchoolQuerySet["RequestSettings"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school",), name="request_settings_once"),)
        verbose_name = "request settings"
        verbose_name_plural = "request settings"

    def __str__(self) -> str:
        return "request settings"

    def get_absolute_url(self) -> str:
        return reverse("filterrequests:settings")


class ClassTeacher(Audited, SchoolScoped):
    """A login that teaches a class: may unblock a site for that class for one lesson without approval,
    when the school allows it (`RequestSettings.teachers_may_unblock`)."""

    class_group = models.ForeignKey(
        ClassGroup, on_delete=models.PROTECT, related_name="+", verbose_name="class"
    )
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = SchoolQuerySet["ClassTeacher"].as_manager()

    class Meta:
        ordering = ("school", "class_group", "teacher")
        constraints = (models.UniqueConstraint(fields=("class_group", "teacher"), name="class_teacher_once"),)

    def __str__(self) -> str:
        return f"{self.teacher} teaches {self.class_group}"
