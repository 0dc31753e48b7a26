"""Login throttling: too many failures for one user name, or from one address, lock logins out for a while."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from schoolgate.web.accounts.models import LoginFailure


@dataclass(frozen=True)
class Lockout:
    until: dt.datetime

    def minutes_left(self) -> int:
        return max(1, -(-int((self.until - timezone.now()).total_seconds()) // 60))


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.LOGIN_FAILURE_WINDOW_S))


def locked_out(username: str, address: str | None) -> Lockout | None:
    """A lockout if the user name or the address has had the limit of failures within the window."""
    since = timezone.now() - _window()
    limit = int(settings.LOGIN_FAILURE_LIMIT)
    recent = LoginFailure.objects.filter(at__gte=since)
    for which in (Q(username=username.lower()), Q(address=address) if address else None):
        if which is None:
            continue
        times = list(recent.filter(which).order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            return Lockout(times[-1] + _window())
    return None


def note_failure(username: str, address: str | None, stage: str = "password") -> None:
    LoginFailure.objects.create(
        at=timezone.now(), username=username.lower()[:150], address=address, stage=stage
    )


def clear_failures(username: str) -> None:
    """After a successful login the user name's failures are forgotten (the address's are kept)."""
    LoginFailure.objects.filter(username=username.lower()).delete()
