"""How many review requests the block page takes: per signed address, per pupil or device, in all.

A review request costs the school a fsynced line in the spool and a person's time to read it, and the
form is open to anyone with a signed block page address. So:

- one signed address takes `per_page` requests, ever: the address of a block older than
  `notice.MAX_AGE_SECONDS` takes none (the page says so), so a restart, which forgets the counts,
  opens an address again for a few days at most;
- one pupil or device takes `per_client` an hour. The pupil or device is the one the signed address
  names (`who`: the user name, or the device's address as the filter saw it), not the address the
  request comes from: behind the school's proxy every browser comes from the proxy's address, and the
  signed `who` is one a pupil cannot change. A device counts by its whole address, IPv6 too: a
  school's network is often one /64, which would make one pupil's requests everyone's;
- the whole server takes `total` an hour.

The counts are kept in memory, fixed hour windows of the wall clock, under one lock (the server has a
thread per browser). Only a request that was let through is counted, so what is kept stays small
whatever is sent: at most `total` pupils or devices an hour, and at most the signed addresses let
through in the last `MAX_AGE_SECONDS` (`total` an hour), each as a short digest, never the name.

Each limit's first refusal in its window (for a signed address: its first) is to be logged once; the
caller logs it (`Refusal.first`), without the pupil's name or the site.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from enum import Enum
from hashlib import blake2b

from schoolgate.gateways.blockpage.notice import MAX_AGE_SECONDS

__all__ = ["Limit", "Refusal", "ReviewLimiter", "ReviewLimits"]

HOUR = 3600


@dataclass(frozen=True, slots=True)
class ReviewLimits:
    per_page: int = 3  # review requests from one signed block page address, ever
    per_client: int = 10  # from one pupil or device in an hour
    total: int = 300  # for the whole server in an hour


class Limit(Enum):
    PAGE = "page"
    CLIENT = "client"
    TOTAL = "total"


@dataclass(frozen=True, slots=True)
class Refusal:
    limit: Limit
    first: bool  # the first refusal of this limit in its window: log it
    retry_after: int | None  # seconds until the window is over; None: never, for this address


@dataclass(slots=True)
class _Page:
    count: int
    at: int  # when the block happened (the signed time), to forget the address once it is too old
    refused: bool = False


def client_key(who: str | None, remote_addr: str | None) -> str:
    """What a pupil or device counts as: the signed `who`, else the address the request came from;
    an address in its one written form (an IPv6 address whole, never its /64, which may be the whole
    school's network)."""
    text = who or remote_addr or ""
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return "who:" + text
    return f"net:{address}"


def _digest(text: str) -> bytes:
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class ReviewLimiter:
    """The counts, and the decision for each review request. Safe to call from several threads."""

    def __init__(self, limits: ReviewLimits = ReviewLimits(), max_age: int = MAX_AGE_SECONDS) -> None:
        self.limits = limits
        self.max_age = max_age
        self._lock = threading.Lock()
        self._hour = -1
        self._pages: dict[bytes, _Page] = {}
        self._clients: dict[bytes, int] = {}
        self._clients_refused: set[bytes] = set()  # a subset of _clients' keys
        self._total = 0
        self._total_refused = False
        # What _pages can hold: every entry is a request let through in the last max_age seconds.
        self.max_pages = limits.total * (max_age // HOUR + 2)

    def _roll(self, now: float) -> None:
        hour = int(now // HOUR)
        if hour == self._hour:
            return
        self._hour = hour
        self._clients.clear()
        self._clients_refused.clear()
        self._total = 0
        self._total_refused = False
        oldest = now - self.max_age
        self._pages = {key: page for key, page in self._pages.items() if page.at >= oldest}

    def used_up(self, page: str, now: float) -> bool:
        """Whether the signed address `page` (its signature) has taken all the requests it may."""
        with self._lock:
            self._roll(now)
            found = self._pages.get(_digest(page))
            return found is not None and found.count >= self.limits.per_page

    def admit(self, page: str | None, client: str, at: int, now: float) -> Refusal | None:
        """Count one review request from the signed address `page` (its signature, for a block at
        `at`) by `client` (`client_key`), or say which limit refuses it. A request from no signed
        address (a report made from the block page's own front page) has `page` None: only the
        per-client and total limits count it."""
        page_key, client_key_ = (_digest(page) if page is not None else None), _digest(client)
        with self._lock:
            self._roll(now)
            rest_of_hour = HOUR - int(now % HOUR)
            found = self._pages.get(page_key) if page_key is not None else None
            if found is not None and found.count >= self.limits.per_page:
                first, found.refused = not found.refused, True
                return Refusal(Limit.PAGE, first, None)
            if self._clients.get(client_key_, 0) >= self.limits.per_client:
                first = client_key_ not in self._clients_refused
                self._clients_refused.add(client_key_)
                return Refusal(Limit.CLIENT, first, rest_of_hour)
            if self._total >= self.limits.total:
                first, self._total_refused = not self._total_refused, True
                return Refusal(Limit.TOTAL, first, rest_of_hour)
            if page_key is None:
                pass
            elif found is None:
                if len(self._pages) >= self.max_pages:  # not reached while the limits hold; a backstop
                    del self._pages[next(iter(self._pages))]
                self._pages[page_key] = _Page(1, at)
            else:
                found.count += 1
            self._clients[client_key_] = self._clients.get(client_key_, 0) + 1
            self._total += 1
            return None
