"""The online safety log: incidents, the people in them, what was done, referrals, parents told,
evidence, the illegal-content steps, and who looked.

Nothing here is ever deleted (`delete` refuses): a record raised in error is archived with a reason.
Free text (what happened, the child's words, reasons) goes to the audit trail as its SHA-256 only, so
that the trail proves what was written without showing it to readers of the trail.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from schoolgate.web.core.models import Kept, KeptQuerySet
from schoolgate.web.incidents.choices import (
    OPEN_STATES,
    Agency,
    ContactMethod,
    EventKind,
    EvidenceKind,
    IllegalContent,
    IllegalStep,
    IncidentKind,
    IncidentType,
    Outcome,
    RecordsMatch,
    RiskArea,
    Role,
    Status,
)
from schoolgate.web.tenancy.models import SchoolScoped

if TYPE_CHECKING:
    from schoolgate.web.accounts.choices import Capability
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

USER = settings.AUTH_USER_MODEL


class IllegalContentRouteError(ValidationError):
    """Refused: the incident may involve illegal content, so nothing of it is captured."""

    def __init__(self) -> None:
        super().__init__(
            "This incident may involve illegal content: nothing is uploaded, copied or kept. "
            "Stop, do not look further, isolate the device and refer to the police."
        )


M = TypeVar("M", bound=models.Model)


# ---------------------------------------------------------------------------------------------------------
# Incidents


# An incident's reference: eight characters that cannot be mistaken for one another (no 0 or O, 1, I
# or L, no U), in two groups of four. Drawn at random, so that it tells nothing of how many there are.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = f"[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}"


def new_reference() -> str:
    drawn = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{drawn[:4]}-{drawn[4:]}"


def reference_of(text: str) -> str | None:
    """The reference someone typed ("k7q3 m2xp", "K7Q3M2XP"), written the one way, or None."""
    plain = "".join(c for c in text.upper() if c.isalnum())[:20]
    if len(plain) != 8:
        return None
    found = f"{plain[:4]}-{plain[4:]}"
    return found if re.fullmatch(REFERENCE_PATTERN, found) else None


class IncidentQuerySet(KeptQuerySet["Incident"]):
    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=sorted(OPEN_STATES))

    def restrict(
        self, user: User, capability: Capability | Iterable[Capability], school: School | None = None
    ) -> Self:
        """The incidents (of `school`, if given) that `capability` opens to `user`, by the log's rules
        (`access.rule`): with `incidents.report`, those they reported and those they deal with; with
        the capabilities of those in charge (any of them, as a tuple), those they deal with. Never one
        they may not see, whatever the capability; nothing for a user with no such role."""
        from schoolgate.web.incidents import access

        if not user.is_authenticated:
            return self.none()
        capabilities = (capability,) if isinstance(capability, str) else tuple(capability)
        schools = [school.pk] if school is not None else sorted(user.capabilities_by_school())
        found: Q | None = None
        for school_id in schools:
            rule = access.rule(user, school_id, capabilities)
            if rule is not None:
                rule &= Q(school_id=school_id)
                found = rule if found is None else found | rule
        return self.filter(found) if found is not None else self.none()


class Incident(Kept):
    audit_digest: ClassVar[tuple[str, ...]] = (
        "location",
        "what_happened",
        "childs_words",
        "outcome_reasons",
        "not_referred_reason",
        "parents_not_told_reason",
        "archive_reason",
    )

    reference = models.CharField(
        max_length=9, editable=False, help_text="Random, so that it says nothing of how many there are"
    )
    kind = models.CharField(max_length=10, choices=IncidentKind.choices, default=IncidentKind.PUPIL)
    risk_area = models.CharField("area of risk", max_length=10, choices=RiskArea.choices)
    incident_type = models.CharField("type", max_length=20, choices=IncidentType.choices)
    misuse = models.ForeignKey(
        "sanctions.Misuse", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents",
        help_text="The kind of misuse, from the sanctions matrix, where it is one",
    )  # fmt: skip
    illegal_content = models.CharField(
        "may it involve illegal content?", max_length=10, choices=IllegalContent.choices, blank=True
    )
    restricted = models.BooleanField(
        default=False,
        help_text="Only the DSL and deputies see it (besides the member of staff who reported it)",
    )
    concerns_headteacher = models.BooleanField(
        default=False, help_text="A concern about the headteacher: the chair of governors deals with it"
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW)
    occurred_at = models.DateTimeField("when it happened")
    location = models.CharField("where it happened", max_length=200)
    what_happened = models.TextField()
    childs_words = models.TextField("the child's own words", blank=True)
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="incidents_reported")
    reported_at = models.DateTimeField(default=timezone.now)
    senior_first = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="first senior member of staff",
    )  # fmt: skip
    senior_second = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="second senior member of staff",
    )  # fmt: skip
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_reasons = models.TextField(blank=True)
    not_referred_reason = models.TextField("why it was not referred", blank=True)
    parents_not_told_reason = models.TextField("why parents or carers were not told", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    archive_reason = models.TextField(blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ("-reported_at", "-pk")
        constraints = (
            models.UniqueConstraint(fields=("school", "reference"), name="incident_reference_once"),
        )
        indexes = (models.Index(fields=("school", "status")), models.Index(fields=("school", "occurred_at")))

    def __str__(self) -> str:
        # No names, nothing of what happened, and no count: what the audit trail and the page titles show.
        return f"Incident {self.reference}"

    @property
    def illegal(self) -> bool:
        return bool(self.illegal_content)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def takes_evidence(self) -> bool:
        return not self.illegal and self.status != Status.ARCHIVED


class Involvement(Kept):
    """A person's part in an incident. Each row is one person and their own role: adding a victim
    never makes anyone else one. The name is kept as written, full, for people outside the records.

    Every name keeps its key (`names.key_of`), and a name that is not linked whether the records had
    someone of that name (`records`): where the concern goes, who may deal with it and a pupil's
    chronology all follow who the name may be, linked or not (a record picked may be someone's second
    record, or one made to look like them)."""

    audit_digest: ClassVar[tuple[str, ...]] = ("name", "notes", "name_key")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="involvements")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="involvements"
    )
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="login", help_text="A login of the school, for someone with no record in its people",
    )  # fmt: skip
    name = models.CharField("full name", max_length=200)
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    records = models.CharField(
        "on the school's records", max_length=10, choices=RecordsMatch.choices,
        default=RecordsMatch.UNCHECKED,
    )  # fmt: skip
    role = models.CharField(max_length=15, choices=Role.choices)
    notes = models.CharField(max_length=300, blank=True, help_text="Their class, or how they are involved")
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = KeptQuerySet["Involvement"].as_manager()

    class Meta:
        ordering = ("incident", "role", "name")
        constraints = (
            models.UniqueConstraint(
                fields=("incident", "person", "role"),
                condition=models.Q(person__isnull=False),
                name="person_role_once",
            ),
            models.UniqueConstraint(
                fields=("incident", "user", "role"),
                condition=models.Q(user__isnull=False),
                name="login_role_once",
            ),
        )
        indexes = (models.Index(fields=("school", "name_key")),)

    def __str__(self) -> str:
        return f"{self.get_role_display()} in incident {self.incident.reference}"


class Event(Kept):
    """A line of the incident's chronology: a status change, a note, a decision and its reasons."""

    audit_digest: ClassVar[tuple[str, ...]] = ("text",)

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=15, choices=EventKind.choices)
    text = models.TextField(blank=True)

    objects = KeptQuerySet["Event"].as_manager()

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in incident {self.incident.reference}"


class ActionTaken(Kept):
    """An action of the matrix that was taken: which, when, by whom, about whom."""

    audit_digest: ClassVar[tuple[str, ...]] = ("notes",)

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="actions_taken")
    action = models.ForeignKey("sanctions.SanctionAction", on_delete=models.PROTECT, related_name="+")
    involvement = models.ForeignKey(
        Involvement, null=True, blank=True, on_delete=models.PROTECT, related_name="actions",
        verbose_name="about", help_text="The person it was about, where it was about one",
    )  # fmt: skip
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.CharField(max_length=300, blank=True)

    objects = KeptQuerySet["ActionTaken"].as_manager()

    class Meta:
        ordering = ("taken_at", "pk")
        verbose_name_plural = "actions taken"

    def __str__(self) -> str:
        return f"{self.action} in incident {self.incident.reference}"


class IllegalStepDone(Kept):
    """That one of the illegal-content steps was done, when and by whom: nothing else."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="illegal_steps")
    step = models.CharField(max_length=15, choices=IllegalStep.choices)
    done_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    objects = KeptQuerySet["IllegalStepDone"].as_manager()

    class Meta:
        ordering = ("done_at", "pk")
        constraints = (models.UniqueConstraint(fields=("incident", "step"), name="illegal_step_once"),)

    def __str__(self) -> str:
        return f"{self.get_step_display()} (incident {self.incident.reference})"


class Evidence(Kept):
    """A file (kept by its SHA-256 under the data directory), a web address or a description.
    Refused, here and in every path above it, for an incident that may involve illegal content."""

    audit_digest: ClassVar[tuple[str, ...]] = ("url", "description", "original_name")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=15, choices=EvidenceKind.choices)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    url = models.URLField("web address", max_length=2000, blank=True)
    description = models.TextField(blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    withheld = models.BooleanField(
        default=False, help_text="Removed when the incident turned out to involve illegal content"
    )

    objects = KeptQuerySet["Evidence"].as_manager()

    class Meta:
        ordering = ("added_at", "pk")
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"Evidence {self.pk} ({self.get_kind_display()}) in incident {self.incident.reference}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The last line of the illegal-content route: whatever calls it, nothing is kept.
        if Incident.objects.filter(pk=self.incident_id).exclude(illegal_content="").exists():
            raise IllegalContentRouteError()
        super().save(*args, **kwargs)


class Referral(Kept):
    audit_digest: ClassVar[tuple[str, ...]] = ("reference", "contact", "notes", "outcome")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="referrals")
    agency = models.CharField(max_length=20, choices=Agency.choices)
    made_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField("their reference number", max_length=100, blank=True)
    contact = models.CharField("who you spoke to", max_length=200, blank=True)
    due_on = models.DateField("follow up by", null=True, blank=True)
    notes = models.TextField(blank=True)
    completed_on = models.DateField("answered on", null=True, blank=True)
    outcome = models.TextField("their answer", blank=True)

    objects = KeptQuerySet["Referral"].as_manager()

    class Meta:
        ordering = ("made_at", "pk")

    def __str__(self) -> str:
        return f"Referral to {self.get_agency_display()} (incident {self.incident.reference})"

    def is_overdue(self, today: dt.date) -> bool:
        return self.completed_on is None and self.due_on is not None and self.due_on < today


class ParentContact(Kept):
    """Parents or carers told: who, when, how, by whom."""

    audit_digest: ClassVar[tuple[str, ...]] = ("name", "notes")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="parent_contacts")
    guardian = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("who was told", max_length=200)
    told_at = models.DateTimeField("when", default=timezone.now)
    method = models.CharField("how", max_length=15, choices=ContactMethod.choices)
    told_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)

    objects = KeptQuerySet["ParentContact"].as_manager()

    class Meta:
        ordering = ("told_at", "pk")

    def __str__(self) -> str:
        return f"Parents told {self.get_method_display().lower()} (incident {self.incident.reference})"


class RecordViewQuerySet(models.QuerySet["RecordView"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the log of who looked is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the log of who looked is append-only")


class RecordView(SchoolScoped):
    """Somebody opened an incident's record (or its chronology, evidence, print view)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="views")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    what = models.CharField(max_length=100)

    objects = RecordViewQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return f"{self.user} looked at incident {self.incident.reference} ({self.what})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("the log of who looked is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the log of who looked is append-only")
