"""Login throttling: an account and an address together are limited, and one address trying many
accounts; failures for an account from elsewhere never lock the person out from their own address."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from schoolgate.web.accounts.models import LoginFailure
from schoolgate.web.accounts.throttle import clear_failures, locked_out, note_failure
from tests.web.factories import PASSWORD, Cast

HER_ADDRESS = "10.20.0.15"  # the DSL's own PC


def _fail(username: str, address: str | None, times: int = 1) -> None:
    for _ in range(times):
        note_failure(username, address)


def test_fifty_failures_from_elsewhere_do_not_lock_the_dsl_out_from_her_own_address(db: None) -> None:
    for i in range(50):
        _fail("alice", f"203.0.113.{i}")
    assert locked_out("alice", HER_ADDRESS) is None
    assert locked_out("Alice", HER_ADDRESS) is None


def test_fifty_wrong_passwords_from_elsewhere_and_the_dsl_still_logs_in(cast: Cast) -> None:
    for i in range(50):
        _fail("alice", f"198.51.100.{i}")
    response = Client(REMOTE_ADDR=HER_ADDRESS).post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].endswith("/login/set-up/")


def test_the_limit_for_one_account_from_one_address_locks_only_that_pair(db: None) -> None:
    _fail("alice", "10.20.0.99", settings.LOGIN_FAILURE_LIMIT - 1)
    assert locked_out("alice", "10.20.0.99") is None
    _fail("ALICE", "10.20.0.99")  # the same account, however it is typed
    lockout = locked_out("alice", "10.20.0.99")
    assert lockout is not None and 1 <= lockout.minutes_left() <= settings.LOGIN_FAILURE_WINDOW_S // 60
    assert locked_out("alice", HER_ADDRESS) is None  # the account from another address
    assert locked_out("tom", "10.20.0.99") is None  # another account from that address
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_S + 1)):
        assert locked_out("alice", "10.20.0.99") is None


def test_a_locked_pair_is_refused_even_the_right_password_and_the_person_elsewhere_is_not(cast: Cast) -> None:
    attacker = Client(REMOTE_ADDR="10.20.0.99")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attacker.post("/login/", {"username": "alice", "password": "wrong"})
    response = attacker.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    response = Client(REMOTE_ADDR=HER_ADDRESS).post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(db: None) -> None:
    limit = settings.LOGIN_FAILURE_ADDRESS_LIMIT
    assert limit > settings.LOGIN_FAILURE_LIMIT  # a staff-room PC where several people mistype
    for i in range(limit - 1):
        _fail(f"teacher{i}", "10.20.0.50")
    assert locked_out("tom", "10.20.0.50") is None
    _fail("teacher-last", "10.20.0.50")
    assert locked_out("tom", "10.20.0.50") is not None
    assert locked_out("alice", "10.20.0.50") is not None
    assert locked_out("tom", "10.20.0.51") is None  # only that address


SCHOOL_V6 = "2a02:8010:6a:1"  # a school's global IPv6 /64
SCHOOL_NETWORK = (ipaddress.IPv6Network(f"{SCHOOL_V6}::/64"),)


@pytest.mark.parametrize("network", ["private", "named"])
def test_on_the_schools_own_network_each_ipv6_address_counts_alone(db: None, network: str) -> None:
    """A school's network is usually one /64: counting it as one address would let a pupil's laptop lock
    the DSL, or everyone, out of the staff-room PC next door. Private networks are the school's; a
    global one is named in SCHOOLGATE_INTERNAL_NETWORKS."""
    prefix = "fd12:3456:789a:1" if network == "private" else SCHOOL_V6
    laptop, staff_room, head = f"{prefix}::abcd", f"{prefix}::1", f"{prefix}::77"
    with override_settings(INTERNAL_NETWORKS=SCHOOL_NETWORK):
        _neighbours_lock_nobody_out(laptop, staff_room, head)


def test_elsewhere_a_global_ipv6_address_counts_as_its_64(db: None) -> None:
    """A home or a server moves about its /64 at will: counted alone, one machine could guess for ever."""
    _fail("alice", f"{SCHOOL_V6}::abcd", settings.LOGIN_FAILURE_LIMIT)
    assert locked_out("alice", f"{SCHOOL_V6}::beef") is not None
    assert locked_out("alice", "2a02:8010:6a:2::1") is None  # another /64
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {f"{SCHOOL_V6}::"}


def _neighbours_lock_nobody_out(laptop: str, staff_room: str, head: str) -> None:
    _fail("alice", laptop, settings.LOGIN_FAILURE_LIMIT)
    assert locked_out("alice", laptop) is not None
    assert locked_out("alice", staff_room) is None
    for i in range(settings.LOGIN_FAILURE_ADDRESS_LIMIT):
        _fail(f"nobody{i}", laptop)
    assert locked_out("hana", laptop) is not None
    assert locked_out("hana", head) is None and locked_out("alice", staff_room) is None


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("FD12:3456:789A:1:0:0:0:ABCD", "fd12:3456:789a:1::abcd"),  # one address, however it is written
        ("[fd12:3456:789a:1::abcd]", "fd12:3456:789a:1::abcd"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:4136:e378::"),  # Teredo: the internet's, its /64
        ("64:ff9b::a14:3c", "10.20.0.60"),  # an IPv4 client through NAT64
        ("fe80::1%eth0", "fe80::1"),  # the interface is not part of the address
        ("::ffff:10.20.0.60", "10.20.0.60"),  # IPv4 written as IPv6
    ],
)
def test_an_address_counts_the_same_however_it_is_written(db: None, written: str, same_as: str) -> None:
    _fail("alice", written, settings.LOGIN_FAILURE_LIMIT)
    assert locked_out("alice", same_as) is not None
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {same_as}


@override_settings(INTERNAL_NETWORKS=SCHOOL_NETWORK)
def test_a_pupils_laptop_on_the_school_network_does_not_lock_the_dsl_out(cast: Cast) -> None:
    laptop = Client(REMOTE_ADDR=f"{SCHOOL_V6}::abcd")
    for _ in range(settings.LOGIN_FAILURE_ADDRESS_LIMIT):
        laptop.post("/login/", {"username": "alice", "password": "wrong"})
    assert laptop.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 429
    response = Client(REMOTE_ADDR=f"{SCHOOL_V6}::1").post(
        "/login/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"].endswith("/login/set-up/")


def test_a_login_forgets_only_its_own_addresses_failures(db: None) -> None:
    _fail("alice", HER_ADDRESS, 2)
    _fail("alice", "10.20.0.99", 3)
    clear_failures("alice", HER_ADDRESS)
    assert not LoginFailure.objects.filter(address=HER_ADDRESS).exists()
    # Someone else's failures still count against their address.
    assert LoginFailure.objects.filter(address="10.20.0.99").count() == 3


@pytest.mark.parametrize("address", [None, "", "unknown", "10.0.0.300", "x" * 500])
def test_a_missing_or_unreadable_address_is_throttled_without_an_error(db: None, address: str | None) -> None:
    _fail("alice", address, settings.LOGIN_FAILURE_LIMIT)
    assert locked_out("alice", address) is not None
    assert locked_out("alice", HER_ADDRESS) is None
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {None}  # kept as "unknown"


def test_failures_older_than_the_window_are_not_kept(db: None) -> None:
    _fail("alice", "10.20.0.99", 3)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_S + 1)):
        _fail("tom", "10.20.0.98")
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["tom"]


def test_a_very_long_user_name_is_kept_short(db: None) -> None:
    _fail("a" * 10_000, HER_ADDRESS, settings.LOGIN_FAILURE_LIMIT)
    assert locked_out("a" * 10_000, HER_ADDRESS) is not None
