"""Who sees which requests, and who teaches which class.

Those who oversee the filtering (REQUESTS_VIEW: the DSL team, the coordinator, the network manager,
the headteacher) and those who decide (REQUESTS_DECIDE) see every request of the school; any
other member of staff (REQUESTS_ASK) sees the requests they made, and nobody else sees any. A pupil
has no login: they are told on the block page (`status`).
"""

from __future__ import annotations

from django.db.models import QuerySet

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.filterrequests.models import ClassTeacher, FilterRequest
from schoolgate.web.people.models import ClassGroup
from schoolgate.web.tenancy.models import School

__all__ = ["sees_all", "teaches", "visible"]


def sees_all(user: User, school: School | int) -> bool:
    """Whether `user` sees every request of `school`, not only their own."""
    return user.can(Capability.REQUESTS_VIEW, school) or user.can(Capability.REQUESTS_DECIDE, school)


def visible(user: User, school: School) -> QuerySet[FilterRequest]:
    """The requests of `school` that `user` may open."""
    requests = FilterRequest.objects.filter(school=school)
    if not user.is_authenticated:
        return requests.none()
    if sees_all(user, school):
        return requests
    if user.can(Capability.REQUESTS_ASK, school):
        return requests.filter(asked_by=user)
    return requests.none()


def teaches(user: User, class_group: ClassGroup) -> bool:
    """Whether the school says `user` teaches `class_group` (kept on the requests' settings page)."""
    if not user.is_authenticated:
        return False
    return ClassTeacher.objects.filter(class_group=class_group, teacher=user).exists()
