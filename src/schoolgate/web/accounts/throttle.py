"""Login throttling, by the account and the address together, and by the address alone.

- An account from one address: after `LOGIN_FAILURE_LIMIT` failures within the window, that account is
  locked out from that address until the window has passed.
- One address, whatever the accounts: after `LOGIN_FAILURE_ADDRESS_LIMIT` failures (a higher limit,
  for a staff-room PC where several people mistype) the address is locked out.
- Never an account alone: failures for an account from other addresses do not lock its owner out from
  their own, or anyone could lock the DSL out of the safeguarding record from anywhere by typing her
  user name. A password guessed from many addresses still meets the second step (the authenticator
  code), which django-otp throttles per device.

The address is the client's as `schoolgate web serve` sets it (from the trusted reverse proxy's
X-Forwarded-For, never from anyone else's). An IPv4 address counts alone, and so does an IPv6 address
on the school's own networks: unique local and link-local ones (fc00::/7, fe80::/10) and those in
`SCHOOLGATE_INTERNAL_NETWORKS` (`settings.INTERNAL_NETWORKS`). There a /64 is usually the whole
school, and counting it as one would let a pupil's laptop lock a named member of staff out of the PC
next door (five wrong passwords for her user name), or everyone out (twenty for any names). Any other
IPv6 address counts as its /64, which any home or server may move about in at will: counted alone, one
machine could guess without end. A school whose network has global IPv6 addresses names it in
`SCHOOLGATE_INTERNAL_NETWORKS`. (A machine given a /48 still has many /64s: what stops guessing there,
as from many IPv4 addresses, is the second step.) An IPv4 client reached through NAT64
(64:ff9b::/96) counts as its IPv4 address.
Failures older than the window are deleted as new ones come in.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from schoolgate.web.accounts.models import LoginFailure

# Never the internet's: unique local and link-local addresses (not `is_private`, which takes in
# reachable blocks such as Teredo's, and differs between Python versions), and loopback.
_OWN_NETWORKS = tuple(ipaddress.IPv6Network(n) for n in ("fc00::/7", "fe80::/10", "::1/128"))
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

USERNAME_MAX = 150  # LoginFailure.username's length


@dataclass(frozen=True)
class Lockout:
    until: dt.datetime

    def minutes_left(self) -> int:
        return max(1, -(-int((self.until - timezone.now()).total_seconds()) // 60))


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.LOGIN_FAILURE_WINDOW_S))


def _account(username: str) -> str:
    return username.strip().lower()[:USERNAME_MAX]


def throttled_address(address: str | None) -> str | None:
    """The address failures are counted against, written one way: the IPv4 address, an IPv6 address of
    the school's own networks whole (without its interface), any other IPv6 address's /64 (its first
    address); an IPv4 address written as IPv6 is the IPv4 address. None when there is none, or it is not
    an address: all such requests share one count."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        parsed = ipaddress.IPv6Address(parsed.packed)  # "fe80::1%eth0" is fe80::1
        if parsed in _NAT64:  # an IPv4 client through the network's NAT64: the IPv4 address
            return str(ipaddress.IPv4Address(parsed.packed[-4:]))
        if any(parsed in network for network in (*_OWN_NETWORKS, *settings.INTERNAL_NETWORKS)):
            return str(parsed)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def _from(address: str | None) -> QuerySet[LoginFailure]:
    since = timezone.now() - _window()
    recent = LoginFailure.objects.filter(at__gte=since)
    counted = throttled_address(address)
    return recent.filter(address__isnull=True) if counted is None else recent.filter(address=counted)


def _lockout(failures: QuerySet[LoginFailure], limit: int) -> Lockout | None:
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    return Lockout(times[-1] + _window()) if len(times) >= limit else None


def locked_out(username: str, address: str | None) -> Lockout | None:
    """A lockout if this account has had its limit of failures from this address, or the address its
    limit across every account, within the window. Other addresses' failures never count."""
    recent = _from(address)
    return _lockout(recent.filter(username=_account(username)), int(settings.LOGIN_FAILURE_LIMIT)) or (
        _lockout(recent, int(settings.LOGIN_FAILURE_ADDRESS_LIMIT))
    )


def note_failure(username: str, address: str | None, stage: str = "password") -> None:
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - _window()).delete()
    LoginFailure.objects.create(
        at=now, username=_account(username), address=throttled_address(address), stage=stage
    )


def clear_failures(username: str, address: str | None) -> None:
    """After a successful login the account's failures from that address are forgotten: they were the
    person's own. Its failures from elsewhere still count against those addresses."""
    _from(address).filter(username=_account(username)).delete()
