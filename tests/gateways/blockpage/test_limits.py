"""The review limits as pure code: per signed address, per pupil or device, in all; and what they keep
in memory. (The writer's cuts, daily limit and failed writes taken back: tests/activity/test_reviews.py.)"""

from __future__ import annotations

import threading

import pytest

from schoolgate.gateways.blockpage.limits import HOUR, Limit, Refusal, ReviewLimiter, ReviewLimits, client_key
from schoolgate.gateways.blockpage.notice import MAX_AGE_SECONDS

NOW = 1796121125.0  # Tuesday 1 December 2026, 10:32:05 UTC
AT = int(NOW) - 60


def test_one_signed_address_takes_a_handful_ever() -> None:
    limiter = ReviewLimiter()
    assert [limiter.admit("sig", "who:amelia", AT, NOW) for _ in range(3)] == [None, None, None]
    assert limiter.used_up("sig", NOW)
    assert limiter.admit("sig", "who:amelia", AT, NOW) == Refusal(Limit.PAGE, True, None)
    assert limiter.admit("sig", "who:ben", AT, NOW) == Refusal(Limit.PAGE, False, None)  # logged once
    # the next hour, and the next day: still refused, for as long as the block is fresh
    assert limiter.admit("sig", "who:amelia", AT, NOW + HOUR) == Refusal(Limit.PAGE, False, None)
    assert limiter.admit("sig", "who:amelia", AT, NOW + 6 * 24 * HOUR) == Refusal(Limit.PAGE, False, None)
    assert not limiter.used_up("other", NOW)


def test_one_pupil_or_device_takes_ten_an_hour() -> None:
    limiter = ReviewLimiter()
    for n in range(10):
        assert limiter.admit(f"sig{n}", "who:amelia", AT, NOW) is None
    rest_of_hour = HOUR - int(NOW % HOUR)
    assert limiter.admit("sig10", "who:amelia", AT, NOW) == Refusal(Limit.CLIENT, True, rest_of_hour)
    assert limiter.admit("sig11", "who:amelia", AT, NOW + 1) == Refusal(Limit.CLIENT, False, rest_of_hour - 1)
    assert limiter.admit("sig12", "who:ben", AT, NOW) is None  # another pupil is not held up
    next_hour = (NOW // HOUR + 1) * HOUR
    assert limiter.admit("sig13", "who:amelia", AT, next_hour) is None  # a new hour


def test_the_server_takes_three_hundred_an_hour_in_all() -> None:
    limiter = ReviewLimiter()
    for n in range(300):
        assert limiter.admit(f"sig{n}", f"who:pupil{n}", AT, NOW) is None
    assert limiter.admit("sig300", "who:pupil300", AT, NOW) == Refusal(
        Limit.TOTAL, True, HOUR - int(NOW % HOUR)
    )
    assert limiter.admit("sig301", "who:pupil301", AT, NOW) == Refusal(
        Limit.TOTAL, False, HOUR - int(NOW % HOUR)
    )
    assert limiter.admit("sig302", "who:pupil302", AT, (NOW // HOUR + 1) * HOUR) is None


def test_a_refused_request_is_not_counted() -> None:
    limiter = ReviewLimiter(ReviewLimits(per_page=1, per_client=1, total=2))
    assert limiter.admit("a", "who:amelia", AT, NOW) is None
    for _ in range(50):  # hammering at a limit does not use up the others
        assert limiter.admit("b", "who:amelia", AT, NOW) is not None
    assert limiter.admit("b", "who:ben", AT, NOW) is None


def test_what_is_kept_stays_small_whatever_is_sent() -> None:
    limiter = ReviewLimiter(ReviewLimits(per_page=3, per_client=2, total=20))
    for n in range(5000):  # many pupils, many addresses: only what was let through is kept
        limiter.admit(f"sig{n}", f"who:pupil{n}", AT, NOW)
    assert len(limiter._clients) == 20 and len(limiter._pages) == 20 and len(limiter._clients_refused) == 0
    for hour in range(1, 24 * 9):  # nine days of floods: an address is forgotten once its block is old
        for n in range(100):
            limiter.admit(f"sig{hour}-{n}", f"who:pupil{n}", AT + hour * HOUR, NOW + hour * HOUR)
        assert len(limiter._clients) == 20
        assert len(limiter._pages) <= 20 * (MAX_AGE_SECONDS // HOUR + 2)
    assert len(limiter._pages) <= 20 * (MAX_AGE_SECONDS // HOUR + 1)
    assert all(len(key) == 16 for key in [*limiter._pages, *limiter._clients])  # digests, never names


def test_the_limits_hold_across_threads() -> None:
    limiter = ReviewLimiter(ReviewLimits(per_page=3, per_client=1000, total=1000))
    let_through: list[int] = []

    def send(thread: int) -> None:
        for n in range(200):
            if limiter.admit(f"sig{n % 50}", f"who:{thread}", AT, NOW) is None:
                let_through.append(1)

    threads = [threading.Thread(target=send, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(let_through) == 150  # 50 addresses, 3 each: not one more


@pytest.mark.parametrize(
    ("who", "remote", "key"),
    [
        ("ks2-amelia", "10.0.0.1", "who:ks2-amelia"),  # the signed who, not the proxy's address
        ("10.0.0.7", "10.0.0.1", "net:10.0.0.7"),
        ("2001:db8:1:2:3:4:5:6", "10.0.0.1", "net:2001:db8:1:2:3:4:5:6"),
        ("[2001:db8:1:2::9]", None, "net:2001:db8:1:2::9"),
        (None, "10.0.0.9", "net:10.0.0.9"),
        (None, None, "who:"),
    ],
)
def test_a_pupil_or_device_is_the_one_the_address_names(
    who: str | None, remote: str | None, key: str
) -> None:
    assert client_key(who, remote) == key


def test_a_request_from_no_signed_address_counts_only_by_client_and_in_all() -> None:
    limiter = ReviewLimiter(ReviewLimits(per_page=1, per_client=2, total=3))
    assert limiter.admit(None, "net:10.0.0.7", AT, NOW) is None
    assert limiter.admit(None, "net:10.0.0.7", AT, NOW) is None  # no page limit without a page
    assert limiter.admit(None, "net:10.0.0.7", AT, NOW) == Refusal(Limit.CLIENT, True, HOUR - int(NOW % HOUR))
    assert limiter.admit(None, "net:10.0.0.8", AT, NOW) is None
    assert limiter.admit(None, "net:10.0.0.9", AT, NOW) == Refusal(Limit.TOTAL, True, HOUR - int(NOW % HOUR))
    assert not limiter._pages  # nothing kept per address for them
