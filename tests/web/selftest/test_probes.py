"""selftest/probes.py: what each group is asked, and how an answer is judged. Tables, no gateways."""

from __future__ import annotations

import pytest

from schoolgate.web.selftest.probes import (
    BLOCKED,
    OPEN,
    DnsAnswer,
    Endpoint,
    Probe,
    ProxyAnswer,
    is_reserved_name,
    judge_dns,
    judge_proxy,
    outcome_of_run,
    parse_endpoint,
    plan,
)

PAGE = "http://blocked.school.internal/blocked"


def keys(probes: list[Probe]) -> list[tuple[str, str]]:
    return [(p.gateway, p.key) for p in probes]


def test_a_pupil_group_is_asked_everything_through_both_gateways() -> None:
    probes = plan(
        "pupils", "pupils", youtube="strict", locked=["iwf-test.example"], curriculum=["bbc.co.uk"],
        proxy=True, dns=True,
    )  # fmt: skip
    assert keys(probes) == [
        ("proxy", "locked"), ("dns", "locked"),
        ("proxy", "adult"), ("dns", "adult"), ("proxy", "gambling"), ("dns", "gambling"),
        ("proxy", "vpn"), ("dns", "vpn"), ("proxy", "doh"), ("dns", "doh"),
        ("dns", "canary"), ("dns", "google"), ("dns", "bing"), ("dns", "youtube"),
        ("proxy", "curriculum"), ("dns", "curriculum"),
    ]  # fmt: skip
    by_key = {(p.gateway, p.key): p for p in probes}
    assert by_key["proxy", "gambling"].target == "http://bet365.com/"
    assert by_key["dns", "google"].expect == "answered by forcesafesearch.google.com"
    assert by_key["dns", "youtube"].expect == "answered by restrict.youtube.com"
    assert by_key["proxy", "curriculum"].expect == OPEN
    assert all(p.group == "pupils" for p in probes)


def test_a_staff_group_is_asked_only_what_holds_for_everyone() -> None:
    probes = plan(
        "staff",
        "staff",
        youtube="moderate",
        locked=["https://iwf-test.example/page"],
        curriculum=["bbc.co.uk"],
        proxy=True,
        dns=True,
    )
    assert keys(probes) == [
        ("proxy", "locked"), ("dns", "locked"), ("dns", "canary"), ("dns", "youtube"),
        ("proxy", "curriculum"), ("dns", "curriculum"),
    ]  # fmt: skip
    assert probes[0].target == "https://iwf-test.example/page"  # a test URL is asked for as given
    assert probes[1].target == "iwf-test.example"  # and by its host through DNS
    assert probes[3].expect == "answered by restrictmoderate.youtube.com"


def test_a_group_without_an_address_is_not_asked_through_dns() -> None:
    probes = plan("staff", "staff", youtube="", locked=["a.test"], curriculum=[], proxy=True, dns=False)
    assert keys(probes) == [("proxy", "locked")]


def test_a_probe_survives_its_round_trip_through_the_run_plan() -> None:
    probe = plan("p", "pupils", youtube="", locked=[], curriculum=[], proxy=True, dns=False)[0]
    assert Probe.from_dict(probe.as_dict()) == probe


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("iwf-test.example", True),
        ("terror-test.example.", True),
        ("extremist-content-test.invalid", True),
        ("x.test", True),
        ("example", True),
        ("example.com", False),
        ("bad.example.co.uk", False),
        ("testsite.org", False),
    ],
)
def test_only_reserved_names_make_a_locked_list_a_stand_in(name: str, reserved: bool) -> None:
    assert is_reserved_name(name) is reserved


UNREACHABLE = "the proxy 10.0.0.2:3128 could not be reached"
LOGIN = "the proxy asked for a login: check the group's test user name and password"
SILENT = "the resolver 10.0.0.2:53 did not answer within 3 seconds"
BLOCK = Probe("pupils", "proxy", "gambling", "Gambling", "http://bet365.com/", BLOCKED)
OPEN_SITE = Probe("pupils", "proxy", "curriculum", "Curriculum", "http://bbc.co.uk/", OPEN)


@pytest.mark.parametrize(
    ("probe", "answer", "outcome", "seen"),
    [
        (BLOCK, ProxyAnswer(302, PAGE + "?reason=rule&sig=x"), "passed", "sent to the block page"),
        (BLOCK, ProxyAnswer(200), "failed", "let through (the proxy answered 200)"),
        # A redirect somewhere else is the site's own: it got past the filter.
        (BLOCK, ProxyAnswer(301, "https://bet365.com/"), "failed", "let through (the proxy answered 301)"),
        (
            BLOCK,
            ProxyAnswer(302, "http://blocked.school.internal.evil/blocked"),
            "failed",
            "let through (the proxy answered 302)",
        ),
        (OPEN_SITE, ProxyAnswer(503), "passed", "let through (the proxy answered 503)"),
        (OPEN_SITE, ProxyAnswer(302, PAGE + "/?x=1"), "failed", "sent to the block page"),
        (BLOCK, ProxyAnswer(407), "error", LOGIN),
        (BLOCK, ProxyAnswer(error=UNREACHABLE), "error", UNREACHABLE),
    ],
)
def test_a_proxy_answer_is_judged(probe: Probe, answer: ProxyAnswer, outcome: str, seen: str) -> None:
    assert judge_proxy(probe, answer, PAGE) == (outcome, seen)


DNS_BLOCK = Probe("pupils", "dns", "gambling", "Gambling", "bet365.com", BLOCKED)
DNS_OPEN = Probe("pupils", "dns", "curriculum", "Curriculum", "bbc.co.uk", OPEN)
GOOGLE = Probe(
    "pupils", "dns", "google", "Google", "www.google.com", "answered by forcesafesearch.google.com"
)


@pytest.mark.parametrize(
    ("probe", "answer", "outcome", "seen"),
    [
        (DNS_BLOCK, DnsAnswer("NXDOMAIN"), "passed", "NXDOMAIN (blocked)"),
        (DNS_BLOCK, DnsAnswer("NOERROR", (), ("192.0.2.1",)), "failed", "resolved to 192.0.2.1"),
        (
            DNS_BLOCK,
            DnsAnswer("NOERROR", ("blocked.school.internal.",), ("10.0.0.5",)),
            "passed",
            "sent to the block page",
        ),
        (DNS_OPEN, DnsAnswer("NOERROR", (), ("192.0.2.9",)), "passed", "resolved to 192.0.2.9"),
        (DNS_OPEN, DnsAnswer("NXDOMAIN"), "failed", "NXDOMAIN (blocked)"),
        (
            GOOGLE,
            DnsAnswer("NOERROR", ("forcesafesearch.google.com.",), ("216.239.38.120",)),
            "passed",
            "answered through forcesafesearch.google.com",
        ),
        (GOOGLE, DnsAnswer("NOERROR", (), ("142.250.0.1",)), "failed", "resolved to 142.250.0.1"),
        (DNS_BLOCK, DnsAnswer("SERVFAIL"), "error", "the resolver answered SERVFAIL"),
        (DNS_BLOCK, DnsAnswer(error=SILENT), "error", SILENT),
    ],
)
def test_a_dns_answer_is_judged(probe: Probe, answer: DnsAnswer, outcome: str, seen: str) -> None:
    assert judge_dns(probe, answer, PAGE) == (outcome, seen)


@pytest.mark.parametrize(
    ("text", "default", "endpoint"),
    [
        ("10.0.0.2:3128", 3128, Endpoint("10.0.0.2", 3128)),
        ("Proxy.School.Internal", 3128, Endpoint("proxy.school.internal", 3128)),
        ("10.0.0.2", 53, Endpoint("10.0.0.2", 53)),
        ("[fd00::1]:5353", 53, Endpoint("fd00::1", 5353)),
        ("[fd00::1]", 53, Endpoint("fd00::1", 53)),
    ],
)
def test_a_gateway_address_is_read(text: str, default: int, endpoint: Endpoint) -> None:
    assert parse_endpoint(text, default) == endpoint


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "give a host name or address"),
        ("10.0.0.2:0", "is not a port number"),
        ("10.0.0.2:99999", "is not a port number"),
        ("10.0.0.2:http", "is not a port number"),
        ("fd00::1", "write an IPv6 address in brackets"),
        ("bad host:53", "is not a host name or address"),
        ("[fd00::1]x", "is not host:port"),
    ],
)
def test_a_bad_gateway_address_is_refused_in_words(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_endpoint(text, 53)


def test_str_of_an_endpoint_is_what_parse_reads_back() -> None:
    for endpoint in (Endpoint("10.0.0.2", 3128), Endpoint("fd00::1", 53)):
        assert parse_endpoint(str(endpoint), 1) == endpoint


@pytest.mark.parametrize(
    ("outcomes", "state"),
    [
        (["passed", "passed"], "passed"),
        (["passed", "error"], "incomplete"),
        (["error", "failed"], "failed"),
        ([], "incomplete"),
    ],
)
def test_a_runs_outcome_comes_from_its_answers(outcomes: list[str], state: str) -> None:
    assert outcome_of_run(outcomes) == state
