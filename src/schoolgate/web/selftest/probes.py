"""What the self-test asks, and how it judges what comes back: no I/O, no database.

A probe is one question to one gateway on behalf of one group: "fetch http://bet365.com/ through the
proxy as the pupils' test user" or "resolve www.google.com from the pupils' test address". What it
expects comes from the school's intent for the group (`Profile`), never from the running policy, so
that a policy that lets gambling through for pupils fails the test instead of changing what it expects:

- the locked lists' test entries: blocked for every group (proxy and DNS);
- adult content, gambling, a VPN site, a DNS-over-HTTPS resolver: blocked for pupil groups;
- the Firefox canary `use-application-dns.net`: NXDOMAIN for every group (DNS);
- safe search: www.google.com and www.bing.com answered by their safe-search names for pupil groups
  (DNS: the resolver's safe-search CNAMEs are what hold for HTTPS, where a proxy sees only the host);
- YouTube: www.youtube.com answered by restrict.youtube.com (strict) or restrictmoderate.youtube.com
  (moderate), where the school says which;
- the school's curriculum list (a site list of the running policy it names): open for every group.

The category samples are well-known sites that the full UT1 lists hold; a school whose lists lack one
sees it fail, which is what the test is for.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from schoolgate.web.selftest.choices import Gateway, Outcome, Profile, YouTubeExpected

__all__ = [
    "BLOCKED",
    "CANARY",
    "CATEGORY_SAMPLES",
    "OPEN",
    "DnsAnswer",
    "Endpoint",
    "Probe",
    "ProxyAnswer",
    "is_reserved_name",
    "judge_dns",
    "judge_proxy",
    "parse_endpoint",
    "plan",
]

BLOCKED: Final = "blocked"
OPEN: Final = "open"
_CNAME: Final = "answered by "  # + the name: safe search and YouTube

CANARY: Final = "use-application-dns.net"
# key -> (what it stands for, a site the full UT1 lists hold in that category)
CATEGORY_SAMPLES: Final[dict[str, tuple[str, str]]] = {
    "adult": ("Adult content", "pornhub.com"),
    "gambling": ("Gambling", "bet365.com"),
    "vpn": ("VPN or proxy site", "nordvpn.com"),
    "doh": ("DNS-over-HTTPS resolver", "dns.google"),
}
SAFE_SEARCH: Final = (
    ("google", "Google safe search", "www.google.com", "forcesafesearch.google.com"),
    ("bing", "Bing safe search", "www.bing.com", "strict.bing.com"),
)
YOUTUBE_NAMES: Final = {
    YouTubeExpected.STRICT.value: "restrict.youtube.com",
    YouTubeExpected.MODERATE.value: "restrictmoderate.youtube.com",
}
# RFC 2606 and RFC 6761: names that are never anyone's site. The locked lists' stand-ins use only these.
RESERVED_SUFFIXES: Final = (".example", ".invalid", ".test", ".localhost")


@dataclass(frozen=True)
class Probe:
    """One question to one gateway for one group, and what the answer should be."""

    group: str
    gateway: str  # Gateway value
    key: str  # "locked", "adult", "gambling", "vpn", "doh", "canary", "google", "bing", "youtube", ...
    label: str
    target: str  # a URL (proxy) or a name (DNS)
    expect: str  # BLOCKED, OPEN, or "answered by NAME"

    def as_dict(self) -> dict[str, str]:
        return {
            "group": self.group,
            "gateway": self.gateway,
            "key": self.key,
            "label": self.label,
            "target": self.target,
            "expect": self.expect,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Probe:
        return cls(
            **{name: str(data[name]) for name in ("group", "gateway", "key", "label", "target", "expect")}
        )


def is_reserved_name(host: str) -> bool:
    """Whether `host` is a reserved test name (never a real site): a locked list made only of these is
    a stand-in, whose entries the self-test may ask for; a real list's entries are never asked for."""
    name = host.strip().lower().rstrip(".")
    return any(name.endswith(suffix) or name == suffix[1:] for suffix in RESERVED_SUFFIXES)


def _both(group: str, key: str, label: str, host: str, expect: str, proxy: bool, dns: bool) -> list[Probe]:
    out = []
    if proxy:
        out.append(Probe(group, Gateway.PROXY.value, key, label, f"http://{host}/", expect))
    if dns:
        out.append(Probe(group, Gateway.DNS.value, key, label, host, expect))
    return out


def plan(
    group: str,
    profile: str,
    *,
    youtube: str,
    locked: Sequence[str],
    curriculum: Sequence[str],
    proxy: bool,
    dns: bool,
) -> list[Probe]:
    """The probes for one group, in the order the results page shows them. `locked`: the locked lists'
    test entries (hosts or URLs); `curriculum`: the hosts that must stay open; `proxy`/`dns`: whether
    the group can be probed through each gateway (it has a test login or address for it)."""
    out: list[Probe] = []
    for entry in locked:
        host = _host(entry)
        if proxy:
            url = entry if "://" in entry else f"http://{host}/"
            out.append(
                Probe(
                    group,
                    Gateway.PROXY.value,
                    "locked",
                    "Illegal content (locked list test entry)",
                    url,
                    BLOCKED,
                )
            )
        if dns:
            out.append(
                Probe(
                    group,
                    Gateway.DNS.value,
                    "locked",
                    "Illegal content (locked list test entry)",
                    host,
                    BLOCKED,
                )
            )
    if profile == Profile.PUPILS:
        for key, (label, host) in CATEGORY_SAMPLES.items():
            out += _both(group, key, label, host, BLOCKED, proxy, dns)
    if dns:
        out.append(
            Probe(group, Gateway.DNS.value, "canary", "Firefox's DNS-over-HTTPS canary", CANARY, BLOCKED)
        )
        if profile == Profile.PUPILS:
            for key, label, host, safe in SAFE_SEARCH:
                out.append(Probe(group, Gateway.DNS.value, key, label, host, _CNAME + safe))
        if youtube in YOUTUBE_NAMES:
            name = YOUTUBE_NAMES[youtube]
            label = f"YouTube restricted ({YouTubeExpected(youtube).label.lower()})"
            out.append(Probe(group, Gateway.DNS.value, "youtube", label, "www.youtube.com", _CNAME + name))
    for host in curriculum:
        out += _both(group, "curriculum", "Curriculum site (must stay open)", host, OPEN, proxy, dns)
    return out


def _host(entry: str) -> str:
    entry = entry.strip()
    if "://" in entry:
        return (urlsplit(entry).hostname or "").lower()
    return entry.split("/", 1)[0].lower()


# ---------------------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class ProxyAnswer:
    """What the proxy said: its status and redirect, or why nothing came back."""

    status: int = 0
    location: str = ""
    error: str = ""


@dataclass(frozen=True)
class DnsAnswer:
    """What the resolver said: its response code and the names and addresses in the answer."""

    rcode: str = ""
    cnames: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    error: str = ""


def _same_page(location: str, block_page: str) -> bool:
    got, page = urlsplit(location), urlsplit(block_page)
    return (
        bool(page.hostname)
        and got.scheme == page.scheme
        and got.hostname == page.hostname
        and got.port == page.port
        and got.path.rstrip("/") == page.path.rstrip("/")
    )


def judge_proxy(probe: Probe, answer: ProxyAnswer, block_page: str) -> tuple[str, str]:
    """(Outcome, what was seen in words). Blocked means the proxy sent the browser to the policy's block
    page (or refused a tunnel); anything else got past the filter, whatever the site then said."""
    if answer.error:
        return Outcome.ERROR.value, answer.error
    if answer.status == 407:
        return (
            Outcome.ERROR.value,
            "the proxy asked for a login: check the group's test user name and password",
        )
    blocked = 300 <= answer.status < 400 and _same_page(answer.location, block_page)
    seen = "sent to the block page" if blocked else f"let through (the proxy answered {answer.status})"
    wanted = probe.expect == BLOCKED
    return (Outcome.PASSED.value if blocked == wanted else Outcome.FAILED.value), seen


def judge_dns(probe: Probe, answer: DnsAnswer, block_page: str) -> tuple[str, str]:
    """(Outcome, what was seen in words). Blocked means NXDOMAIN, or an answer naming the block page's
    host (a resolver set to send blocked names there); safe search and YouTube mean the answer goes
    through the expected name."""
    if answer.error:
        return Outcome.ERROR.value, answer.error
    names = [name.lower().rstrip(".") for name in answer.cnames]
    page_host = (urlsplit(block_page).hostname or "").lower()
    blocked = answer.rcode == "NXDOMAIN" or (bool(page_host) and page_host in names)
    if answer.rcode not in ("NOERROR", "NXDOMAIN"):
        return Outcome.ERROR.value, f"the resolver answered {answer.rcode}"
    if blocked:
        seen = "NXDOMAIN (blocked)" if answer.rcode == "NXDOMAIN" else "sent to the block page"
    elif names:
        seen = "answered through " + ", ".join(names)
    elif answer.addresses:
        seen = "resolved to " + ", ".join(answer.addresses[:3])
    else:
        seen = "resolved, with no address"
    if probe.expect == BLOCKED:
        return (Outcome.PASSED.value if blocked else Outcome.FAILED.value), seen
    if probe.expect == OPEN:
        return (Outcome.FAILED.value if blocked else Outcome.PASSED.value), seen
    wanted = probe.expect.removeprefix(_CNAME)
    return (Outcome.PASSED.value if wanted in names else Outcome.FAILED.value), seen


def expectation_words(expect: str) -> str:
    """What a probe expects, as the results page says it."""
    if expect == BLOCKED:
        return "blocked"
    if expect == OPEN:
        return "open"
    return expect


# ---------------------------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_endpoint(text: str, default_port: int) -> Endpoint:
    """ "10.0.0.1:3128", "proxy.school.internal", "[fd00::1]:53" -> Endpoint; ValueError in words."""
    text = text.strip()
    if not text:
        raise ValueError("give a host name or address, with a port if it is not the usual one")
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{text!r} is not host:port")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif text.count(":") > 1:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, as [fd00::1]:53")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{port_text!r} is not a port number (1 to 65535)")
        port = int(port_text)
    else:
        port = default_port
    host = host.strip().lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.rstrip(".").split(".")
        if not host or not all(
            label and len(label) < 64 and label.replace("-", "").isalnum() for label in labels
        ):
            raise ValueError(f"{host!r} is not a host name or address") from None
    return Endpoint(host, port)


def outcome_of_run(outcomes: Iterable[str]) -> str:
    """The run's state from its results: failed if any failed, else incomplete if any could not be
    checked, else passed (a run with no probes at all is incomplete: nothing was shown to work)."""
    seen = list(outcomes)
    if Outcome.FAILED.value in seen:
        return "failed"
    if not seen or Outcome.ERROR.value in seen:
        return "incomplete"
    return "passed"
