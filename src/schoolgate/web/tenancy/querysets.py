"""`restrict`: the only way pages fetch school records, so that a user never sees another school's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from django.db import models

if TYPE_CHECKING:
    from schoolgate.web.accounts.choices import Capability
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

M = TypeVar("M", bound=models.Model)


class SchoolQuerySet(models.QuerySet[M]):
    def restrict(self, user: User, capability: Capability, school: School | None = None) -> Self:
        """The records of the schools where `user` has `capability` (only `school`'s, if given).
        Nothing at all for a user with no such role."""
        allowed = user.schools_with(capability) if user.is_authenticated else set()
        if school is not None:
            allowed &= {school.pk}
        return self.filter(school_id__in=sorted(allowed))
