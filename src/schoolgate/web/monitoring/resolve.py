"""Who an activity event is about: the person behind a user name or an address, as the school's network
identities say.

The order is the filter's own: a user name the gateway saw names the person whose `username` identity
it is, folded the way the engine folds it (`engine.policy.user_key`: case does not matter, but no
character outside ASCII becomes one inside it). Without one, the address: a `device` identity of that
exact address, else the narrowest `network` range holding it among the ranges given to a person (a
range of the classroom tablets, given to nobody, says nothing about who used it).

A `Resolver` answers for one school during one round of the ingester: it reads the identities a batch
needs in a few queries, however many events name them, and keeps what it found until the round ends
(an identity changed in the web application counts from the next round on: within a second when
the worker is keeping up).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from schoolgate.engine.policy import user_key
from schoolgate.web.monitoring.access import headteachers, subject_of
from schoolgate.web.monitoring.choices import Subject
from schoolgate.web.people.choices import IdentityKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.tenancy.models import School

__all__ = ["Found", "Resolver", "address"]

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Found:
    """Whom an event is about: the person (or None), what they are, and the name of the device the
    address is known as (its identity's label), if any."""

    person: Person | None
    subject: Subject
    device: str = ""


NOBODY = Found(None, Subject.UNKNOWN)


def address(text: str | None) -> str | None:
    """An address as the identities store it (`str(ip_address(...))`), or None when it is not one."""
    if not text:
        return None
    return _address(text)


@lru_cache(maxsize=65_536)
def _address(text: str) -> str | None:
    try:
        found: IpAddress = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        found = found.ipv4_mapped  # "::ffff:10.0.0.1" as a dual-stack proxy may write it
    return str(found)


class Resolver:
    """Resolves the user names and addresses of one batch of one school (see the module)."""

    def __init__(self, school: School) -> None:
        self.school = school
        self._headteachers = headteachers(school)
        self._users: dict[str, Person | None] = {}
        self._addresses: dict[str, tuple[Person | None, str]] = {}
        self._ranges: list[tuple[IpNetwork, Person]] | None = None
        self._found: dict[tuple[str | None, str | None], Found] = {}
        # The user names and addresses, as written, looked up already.
        self._seen_users: set[str] = set()
        self._seen_addresses: set[str] = set()

    def prepare(self, users: Iterable[str], addresses: Iterable[str]) -> None:
        """Read the identities of these user names and addresses (as the gateway wrote them) at once."""
        fresh = set(users) - self._seen_users
        self._seen_users |= fresh
        keys = {user_key(u) for u in fresh if u} - self._users.keys()
        if keys:
            for key in keys:
                self._users[key] = None
            rows = NetworkIdentity.objects.filter(
                school=self.school, kind=IdentityKind.USERNAME, value__in=sorted(keys), person__isnull=False
            ).select_related("person__year_group", "person__class_group")
            for row in rows:
                key = user_key(row.value)
                if key in keys:
                    self._users[key] = row.person
        fresh = set(addresses) - self._seen_addresses
        self._seen_addresses |= fresh
        wanted = {a for a in (address(text) for text in fresh) if a is not None} - self._addresses.keys()
        if wanted:
            devices = {
                row.value: row
                for row in NetworkIdentity.objects.filter(
                    school=self.school, kind=IdentityKind.DEVICE, value__in=sorted(wanted)
                ).select_related("person__year_group", "person__class_group")
            }
            for found in wanted:
                device = devices.get(found)
                person = device.person if device is not None else None
                label = device.label if device is not None else ""
                if person is None:
                    person = self._in_range(found)
                self._addresses[found] = (person, label)

    def _in_range(self, text: str) -> Person | None:
        if self._ranges is None:
            ranges: list[tuple[IpNetwork, Person]] = []
            rows = NetworkIdentity.objects.filter(
                school=self.school, kind=IdentityKind.NETWORK, person__isnull=False
            ).select_related("person__year_group", "person__class_group")
            for row in rows:
                try:
                    network = ipaddress.ip_network(row.value, strict=False)
                except ValueError:
                    continue  # saved before it was checked: it names no address
                assert row.person is not None
                ranges.append((network, row.person))
            ranges.sort(key=lambda item: -item[0].prefixlen)  # the narrowest first
            self._ranges = ranges
        ip = ipaddress.ip_address(text)
        for network, person in self._ranges:
            if network.version == ip.version and ip in network:
                return person
        return None

    def find(self, user: str | None, ip: str | None) -> Found:
        """Whom an event of this user name (or None) from this address (or None) is about; `prepare`
        must have been given both."""
        known = self._found.get((user, ip))
        if known is not None:
            return known
        found = self._find(user, ip)
        if len(self._found) < 100_000:
            self._found[(user, ip)] = found
        return found

    def _find(self, user: str | None, ip: str | None) -> Found:
        person: Person | None = None
        device = ""
        if user:
            person = self._users.get(user_key(user))
        found = address(ip)
        if found is not None:
            known, device = self._addresses.get(found, (None, ""))
            if person is None:
                person = known
        if person is None:
            return Found(None, Subject.UNKNOWN, device) if device else NOBODY
        return Found(person, subject_of(person, self._headteachers), device)

    def who(self, text: str | None) -> Found:
        """Whom a review request's `who` (a user name, or an address when there was none) is about."""
        if not text:
            return NOBODY
        if address(text) is not None:
            self.prepare((), (text,))
            return self.find(None, text)
        self.prepare((text,), ())
        return self.find(text, None)
