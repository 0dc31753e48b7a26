"""Login throttling: an account and an address together are limited, and one address trying many
accounts; failures for an account from elsewhere never lock the person out from their own address."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from schoolgate.web.accounts.models import LoginFailure
from schoolgate.web.accounts.throttle import clear_failures, locked_out, note_failure
from tests.web.cast import PASSWORD, Cast

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


def test_an_ipv6_network_counts_as_one_address(db: None) -> None:
    """One household or one server holds a whole /64: a new address in it is not a new chance."""
    for i in range(settings.LOGIN_FAILURE_ADDRESS_LIMIT):
        _fail(f"name{i}", f"2001:db8:7:1::{i + 1:x}")
    assert locked_out("tom", "2001:db8:7:1:ffff::1") is not None
    assert locked_out("tom", "2001:db8:7:2::1") is None
    _fail("alice", "::ffff:10.20.0.60", settings.LOGIN_FAILURE_LIMIT)  # IPv4 written as IPv6
    assert locked_out("alice", "10.20.0.60") is not None


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
