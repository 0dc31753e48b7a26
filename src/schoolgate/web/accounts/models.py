"""Logins (`User`), roles at a school (`Membership`), one-time links to choose a password
(`AccessLink`), and failed logins (for throttling)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models

from schoolgate.web.accounts.choices import CAPABILITIES, Capability, Role
from schoolgate.web.audit.models import Audited
from schoolgate.web.tenancy.models import School
from schoolgate.web.tenancy.querysets import SchoolQuerySet


class User(Audited, AbstractUser):
    """A staff member's or governor's login. Pupils and parents have no login here."""

    # must_change_password is written to the trail by the actions that set it, with their reason.
    audit_exclude: ClassVar[tuple[str, ...]] = ("password", "last_login", "must_change_password")

    display_name = models.CharField(max_length=200, blank=True)
    # A one-time password, shown to whoever made the login: the person chooses their own at their
    # first login, before any page opens (`PasswordChangeMiddleware`).
    must_change_password = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    # Filled once per request object: which schools the user may do what at.
    _capabilities: dict[int, frozenset[Capability]] | None = None

    def capabilities_by_school(self) -> dict[int, frozenset[Capability]]:
        if self._capabilities is None:
            found: dict[int, set[Capability]] = {}
            if self.is_active:
                for school_id, role in Membership.objects.filter(user=self).values_list("school_id", "role"):
                    found.setdefault(school_id, set()).update(CAPABILITIES.get(Role(role), ()))
            self._capabilities = {k: frozenset(v) for k, v in found.items()}
        return self._capabilities

    def school_ids(self) -> set[int]:
        return set(self.capabilities_by_school())

    def schools_with(self, capability: Capability) -> set[int]:
        return {s for s, caps in self.capabilities_by_school().items() if capability in caps}

    def can(self, capability: Capability, school: School | int | None) -> bool:
        if school is None:
            return False
        school_id = school if isinstance(school, int) else school.pk
        return capability in self.capabilities_by_school().get(school_id, frozenset())

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self._capabilities = None
        super().refresh_from_db(*args, **kwargs)


class Membership(Audited, models.Model):
    """A role a user holds at a school. A user may hold several (a deputy DSL who also teaches)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)

    objects = SchoolQuerySet["Membership"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("user", "school", "role"), name="one_role_once"),)
        ordering = ("school", "role")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.school}"


class LinkPurpose(models.TextChoices):
    INVITATION = "invitation", "invitation to a new login"
    RESET = "reset", "reset"


class AccessLink(models.Model):
    """A one-time link with which a person chooses their own password and sets up a new authenticator
    app: e-mailed to their own address (an invitation, or a reset asked for by someone who manages
    logins), or handed over in person by the server's operator. Only the SHA-256 of its token is kept,
    so the table (or a copy of the database) opens nobody's login."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_links")
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    made_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    made_by = models.CharField(max_length=200, help_text="who asked for it, as written at the time")
    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="where it was asked for: its use is written to that school's audit trail",
    )
    used_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="a newer link, or never sent")

    class Meta:
        ordering = ("-made_at",)

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for {self.user} made {self.made_at:%Y-%m-%d %H:%M}"


class LoginFailure(models.Model):
    """A failed password or code, kept for throttling (by user name and address together, and by address)."""

    at = models.DateTimeField(db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    stage = models.CharField(max_length=10, default="password")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} from {self.address} ({self.stage})"
