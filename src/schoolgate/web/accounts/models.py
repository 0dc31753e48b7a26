"""Logins (`User`), roles at a school (`Membership`), and failed logins (for throttling)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models

from schoolgate.web.accounts.choices import CAPABILITIES, Capability, Role
from schoolgate.web.audit.models import Audited
from schoolgate.web.tenancy.models import School


class User(Audited, AbstractUser):
    """A staff member's or governor's login. Pupils and parents have no login here."""

    audit_exclude: ClassVar[tuple[str, ...]] = ("password", "last_login")

    display_name = models.CharField(max_length=200, blank=True)

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

    class Meta:
        constraints = (models.UniqueConstraint(fields=("user", "school", "role"), name="one_role_once"),)
        ordering = ("school", "role")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.school}"


class LoginFailure(models.Model):
    """A failed password or code, kept for throttling (by user name and by address)."""

    at = models.DateTimeField(db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    stage = models.CharField(max_length=10, default="password")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} from {self.address} ({self.stage})"
