"""What the requests put on the home page, by what the user's roles open:

- those who may decide (REQUESTS_DECIDE, and chosen by the school for the kind): the requests
  waiting for them;
- every member of staff: their own requests decided and not yet opened (the "decided" mark goes when
  they open it, `actions.mark_seen`);
- those who oversee the filtering (REQUESTS_VIEW: the DSL team, the coordinator, the network manager,
  the headteacher): the lesson unblocks teachers made without approval in the last 7 days.

A few queries whatever the number of requests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.accounts.models import Membership
from schoolgate.web.filterrequests.choices import OPEN_STATES, Approvers, RequestKind, RequestState
from schoolgate.web.filterrequests.models import FilterRequest, RequestSettings

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

LISTED = 5
UNBLOCKS_SINCE = dt.timedelta(days=7)
LASTING = (RequestKind.CHANGE, RequestKind.BLOCK)


@dataclass
class Panel:
    """The requests' part of one user's home page; a part left None is not for them."""

    waiting: int | None = None
    waiting_listed: list[FilterRequest] = field(default_factory=list)
    decided: list[FilterRequest] = field(default_factory=list)
    unblocks: list[FilterRequest] | None = None

    @property
    def shown(self) -> bool:
        return bool(self.waiting is not None or self.decided or self.unblocks is not None)


def _allowed(chosen: str, roles: set[str]) -> bool:
    if chosen == Approvers.EITHER:
        return True
    needed = Role.ONLINE_SAFETY_COORDINATOR if chosen == Approvers.COORDINATOR else Role.NETWORK_MANAGER
    return needed in roles


def decidable(user: User, school: School) -> QuerySet[FilterRequest] | None:
    """The school's requests of the kinds `user` may decide (as `actions.may_decide` says for each),
    or None when they decide none."""
    if not user.is_authenticated or not user.can(Capability.REQUESTS_DECIDE, school):
        return None
    roles = set(Membership.objects.filter(user=user, school=school).values_list("role", flat=True))
    row = RequestSettings.objects.filter(school=school).first()
    unblock = Approvers.EITHER if row is None else row.unblock_approvers
    change = Approvers.EITHER if row is None else row.change_approvers
    kinds = [k for k in RequestKind if _allowed(change if k in LASTING else unblock, roles)]
    if not kinds:
        return None
    return FilterRequest.objects.filter(school=school, kind__in=kinds)


def today(user: User, school: School, now: dt.datetime) -> Panel:
    """What the requests need of `user` at `school` now."""
    out = Panel()
    mine = decidable(user, school)
    if mine is not None:
        waiting = mine.filter(state__in=OPEN_STATES).order_by("asked_at", "number")
        out.waiting = waiting.count()
        out.waiting_listed = list(waiting[:LISTED]) if out.waiting else []
    if user.is_authenticated and user.can(Capability.REQUESTS_ASK, school):
        out.decided = list(
            FilterRequest.objects.filter(school=school, asked_by=user, seen_at__isnull=True)
            .exclude(state__in=OPEN_STATES)
            .exclude(without_approval=True)
            .exclude(state=RequestState.WITHDRAWN)
            .order_by("-decided_at", "-number")[:LISTED]
        )
    if user.is_authenticated and user.can(Capability.REQUESTS_VIEW, school):
        out.unblocks = list(
            FilterRequest.objects.filter(
                school=school, without_approval=True, decided_at__gte=now - UNBLOCKS_SINCE
            )
            .select_related("asked_by", "for_class")
            .order_by("-decided_at", "-number")[:50]
        )
    return out
