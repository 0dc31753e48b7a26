"""A real unbound, configured by `schoolgate unbound config` with the zones of `schoolgate rpz export`,
asked from the pupils', the staff's and an unknown address (see conftest.py)."""

from __future__ import annotations

import json
import subprocess

from .conftest import (
    PUPIL,
    STAFF,
    STRANGER,
    UNBOUND,
    UPSTREAM_NAMES,
    Resolver,
    addresses,
    blocked,
    cname_targets,
    publish,
    resolves,
    write_policy,
)


def test_gambling_is_blocked_for_pupils_and_resolves_for_staff(resolver: Resolver) -> None:
    assert blocked(resolver, "bet.test", PUPIL)
    assert resolves(resolver, "bet.test", STAFF)
    assert blocked(resolver, "bet.test", STRANGER)


def test_a_subdomain_of_a_blocked_domain_is_blocked(resolver: Resolver) -> None:
    assert blocked(resolver, "www.bet.test", PUPIL)
    assert blocked(resolver, "www.bet.test", STRANGER)
    assert resolves(resolver, "www.bet.test", STAFF)


def test_the_schools_own_site_resolves_for_everyone(resolver: Resolver) -> None:
    for source in (PUPIL, STAFF, STRANGER):
        assert resolves(resolver, "school.test", source), source


def test_the_default_group_blocks_what_no_rule_allows(resolver: Resolver) -> None:
    for name in ("games.test", "other.test", "news.com"):
        assert blocked(resolver, name, STRANGER), name
        assert resolves(resolver, name, PUPIL), name
        assert resolves(resolver, name, STAFF), name


def test_google_answers_with_safe_search_for_pupils_only(resolver: Resolver) -> None:
    pupil = resolver.ask("www.google.com", PUPIL)
    assert cname_targets(pupil) == ["forcesafesearch.google.com."]
    assert addresses(pupil) == {UPSTREAM_NAMES["forcesafesearch.google.com"]}
    # Staff's group has safe_search = false: Google as it is.
    staff = resolver.ask("www.google.com", STAFF)
    assert cname_targets(staff) == []
    assert addresses(staff) == {UPSTREAM_NAMES["www.google.com"]}


def test_an_unknown_address_never_gets_google_or_youtube_unrestricted(resolver: Resolver) -> None:
    for name, safe in (
        ("www.google.com", "forcesafesearch.google.com."),
        ("mail.google.com", None),
        ("www.youtube.com", "restrict.youtube.com."),
    ):
        answer = resolver.ask(name, STRANGER)
        assert blocked(resolver, name, STRANGER) or (safe and cname_targets(answer) == [safe]), name


def test_youtube_is_restricted_per_group(resolver: Resolver) -> None:
    pupil = resolver.ask("www.youtube.com", PUPIL)
    assert cname_targets(pupil) == ["restrict.youtube.com."]
    assert addresses(pupil) == {UPSTREAM_NAMES["restrict.youtube.com"]}
    staff = resolver.ask("www.youtube.com", STAFF)
    assert cname_targets(staff) == ["restrictmoderate.youtube.com."]
    assert addresses(staff) == {UPSTREAM_NAMES["restrictmoderate.youtube.com"]}


def test_the_firefox_canary_is_nxdomain_for_everyone(resolver: Resolver) -> None:
    for source in (PUPIL, STAFF, STRANGER):
        assert blocked(resolver, "use-application-dns.net", source), source


def test_queries_and_zone_answers_are_logged_with_the_client_and_group(resolver: Resolver) -> None:
    resolver.ask("bet.test", PUPIL)
    resolver.ask("bet.test", STAFF)
    log = resolver.log.read_text()
    assert f"info: {PUPIL} bet.test. A IN" in log
    assert f"info: {STAFF} bet.test. A IN" in log
    assert f"rpz: applied [ks2] bet.test. rpz-nxdomain {PUPIL}@" in log
    assert "rpz: applied [staff] bet.test." not in log


def zone_serials(resolver: Resolver) -> dict[str, int]:
    listed = subprocess.run(
        [UNBOUND + "-control", "-c", str(resolver.conf), "list_auth_zones"],
        capture_output=True,
        text=True,
        check=True,
    )
    serials = {}
    for line in listed.stdout.splitlines():
        name, _, serial = line.partition("\tserial ")
        serials[name] = int(serial)
    return serials


def test_a_published_change_is_answered_without_restarting_unbound(resolver: Resolver) -> None:
    pid = resolver.process.pid
    pidfile = (resolver.work / "unbound.pid").read_text().strip()
    before = json.loads((resolver.zones / "zones.json").read_text())["serial"]
    assert resolves(resolver, "games.test", PUPIL)  # also in unbound's cache now
    try:
        write_policy(resolver.policy, games_blocked_for_pupils=True)
        publish(resolver.policy, resolver.index, resolver.zones)
        after = json.loads((resolver.zones / "zones.json").read_text())["serial"]
        assert after > before
        done = resolver.reload()
        assert "6 zones reloaded" in done.stdout  # two a group: its own, and the rest
        assert blocked(resolver, "games.test", PUPIL)
        assert resolves(resolver, "games.test", STAFF)
        assert blocked(resolver, "bet.test", PUPIL)  # the rest of the zone is still there
        assert set(zone_serials(resolver).values()) == {after}
        # The same unbound, never restarted.
        assert resolver.process.poll() is None
        assert resolver.process.pid == pid
        assert (resolver.work / "unbound.pid").read_text().strip() == pidfile
        assert resolver.log.read_text().count("start of service") == 1
    finally:  # the policy as the other tests expect it
        write_policy(resolver.policy)
        publish(resolver.policy, resolver.index, resolver.zones)
        resolver.reload()
    assert resolves(resolver, "games.test", PUPIL)
