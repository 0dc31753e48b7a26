"""`schoolgate rpz export`: the policy as Response Policy Zones, one per group, for a DNS resolver.

A resolver that applies RPZ (unbound, BIND, PowerDNS Recursor) answers a name in a zone with what the
zone says instead of what the name's own servers say. Schoolgate writes, for every group of the policy,
`<group>.rpz` with the origin `<label>.rpz.schoolgate.`, holding:

- every listed domain that the policy blocks for the group at the moment of the export (locked lists
  first, then the rules, then the group's default, exactly as `decide` does for the site as a whole),
  with its subdomains: `bet365.com CNAME .` and `*.bet365.com CNAME .` (NXDOMAIN), or, with
  `block_with="block-page"`, the block page's host, so that a plain-HTTP browser lands on it;
  a subdomain the policy allows under a blocked domain gets `rpz-passthru.`;
- safe search, locked on by name for groups with `safe_search`: every Google domain to
  `forcesafesearch.google.com`, Bing to `strict.bing.com`, DuckDuckGo to `safe.duckduckgo.com`;
  YouTube's names to `restrict.youtube.com` or `restrictmoderate.youtube.com` per the group's `youtube`;
- for everyone: the Firefox canary `use-application-dns.net` (NXDOMAIN tells Firefox not to turn on
  its own DNS over HTTPS) and the best-known DNS-over-HTTPS/TLS resolvers' names, which would let a
  device ask its questions where the school's resolver cannot see them.

Every owner name is an A-label, as the resolver is asked for it: the lists' entries were converted when
they were read (`schoolgate.engine.urls.canonical_host`, UTS #46 as browsers do it), so `straße.de`
in a list is `xn--strae-oqa.de` here, never `strasse.de`.

DNS sees names only: paths, search terms and URL patterns are the proxy's to filter. Rules with time
windows are exported as they stand at `at`; export again when a window opens or closes.

`export_zones` writes each zone beside the old one and renames it over it, then `zones.json`
(the serial and the zones), so a resolver that reloads never reads half a file. The serial is the
export time in seconds, and always more than the last one.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schoolgate.engine.decide import decide_name
from schoolgate.engine.policy import Action, CompiledPolicy, Policy, YouTubeMode
from schoolgate.engine.safesearch import BING_HOSTS, DUCKDUCKGO_HOSTS, GOOGLE_HOSTS
from schoolgate.engine.urls import parse_url
from schoolgate.files import write_atomically

__all__ = [
    "DOH_RESOLVERS",
    "ZONE_SUFFIX",
    "ExportResult",
    "export_zones",
    "rest_text",
    "rest_zone",
    "zone_groups",
    "zone_label",
    "zone_text",
]

ZONE_SUFFIX = "rpz.schoolgate."
TTL = 300
CANARY = "use-application-dns.net"
# The longest listed name a zone can carry: "*." + name + "." + the longest zone name (a 50-character
# label, "._rest.rpz.schoolgate.") must fit in a DNS name's 255 octets. Longer ones are the proxy's.
MAX_NAME = 253 - 2 - 1 - (50 + len("._rest.") + len(ZONE_SUFFIX))
UNLISTED = "schoolgate-unlisted.invalid"  # a name no list can hold (.invalid is reserved)

# Google's list of the names that take YouTube's restriction by DNS.
YOUTUBE_DNS_HOSTS = (
    "www.youtube.com",
    "m.youtube.com",
    "youtubei.googleapis.com",
    "youtube.googleapis.com",
    "www.youtube-nocookie.com",
)

# DNS over HTTPS / TLS resolvers a device could use to go round the school's resolver.
DOH_RESOLVERS = (
    "dns.google",
    "dns.google.com",
    "dns64.dns.google",
    "cloudflare-dns.com",
    "one.one.one.one",
    "1dot1dot1dot1.cloudflare-dns.com",
    "dns.quad9.net",
    "dns9.quad9.net",
    "dns10.quad9.net",
    "dns11.quad9.net",
    "doh.opendns.com",
    "dns.opendns.com",
    "doh.familyshield.opendns.com",
    "dns.adguard.com",
    "dns.adguard-dns.com",
    "doh.cleanbrowsing.org",
    "dns.nextdns.io",
    "doh.mullvad.net",
    "dns.mullvad.net",
    "doh.dns.sb",
    "dns.alidns.com",
    "doh.pub",
    "dns.controld.com",
    "freedns.controld.com",
    "doh.libredns.gr",
    "ordns.he.net",
)

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


def zone_label(group: str) -> str:
    """The DNS label for a group's zone: lowercase letters, digits and hyphens."""
    return _NOT_LABEL.sub("-", group.lower()).strip("-") or "group"


@dataclass(frozen=True, slots=True)
class ExportResult:
    serial: int
    zones: dict[str, Path]  # group -> zone file
    names: dict[str, int]  # group -> names blocked
    seconds: float


def _safe_search(group_safe: bool, youtube: YouTubeMode) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if group_safe:
        out += [(name, "forcesafesearch.google.com.") for name in sorted(GOOGLE_HOSTS)]
        out += [(name, "strict.bing.com.") for name in sorted(BING_HOSTS) if name != "strict.bing.com"]
        out += [(name, "safe.duckduckgo.com.") for name in sorted(DUCKDUCKGO_HOSTS)]
    if youtube is not YouTubeMode.OFF:
        target = "restrict.youtube.com." if youtube is YouTubeMode.STRICT else "restrictmoderate.youtube.com."
        out += [(name, target) for name in YOUTUBE_DNS_HOSTS]
    return out


# Labels of letters, digits, "_" and "-" (not first: a zone file would read it as an option), up to 63.
_DNS_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_][a-z0-9_-]{0,62}(\.[a-z0-9_][a-z0-9_-]{0,62})*")
_ADDRESS = re.compile(r"[0-9.]+|.*:.*")


def _is_dns_name(name: str) -> bool:
    return _DNS_NAME.fullmatch(name) is not None and _ADDRESS.fullmatch(name) is None


def _inherited(name: str, decided: dict[str, bool], default: bool) -> bool:
    """Whether `name` is blocked by what the zone already says of it or of its nearest parent."""
    rest = name
    while True:
        found = decided.get(rest)
        if found is not None:
            return found
        if "." not in rest:
            return default
        rest = rest.split(".", 1)[1]


def _parents_first(name: str) -> list[str]:
    return name.split(".")[::-1]


def listed_names(compiled: CompiledPolicy) -> list[str]:
    """Every name the policy's lists and site lists hold that DNS can carry (no addresses)."""
    names = [name for name, _ in compiled.index.domains()]
    if compiled.sites_index is not None:
        names += [name for name, _ in compiled.sites_index.domains()]
    return [name for name in names if _is_dns_name(name) and len(name) <= MAX_NAME]


def zone_text(
    compiled: CompiledPolicy,
    group: str,
    at: datetime,
    serial: int,
    block_target: str = ".",
    domains: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, int, bool]:
    """The zone for `group` at `at`, how many names it blocks, and whether the names no list holds
    are blocked too (then `rest_text` is the group's second zone). `block_target` is what a blocked
    name answers: "." (NXDOMAIN) or a host name with its final dot.

    Every name a list or site list holds is decided as a whole site; a name is written only where
    its verdict differs from what it would inherit from its nearest written parent, or from the
    group's default for names no list holds (a group that blocks those blocks every name, `*`, but
    the allowed ones)."""
    spec = compiled.policy.groups[group]
    # What a name that no list holds gets: the group's default, unless a rule for every site decides.
    default_block = decide_name(compiled, group, UNLISTED, at).verdict is Action.BLOCK
    given = domains if domains is not None else listed_names(compiled)
    names = sorted({n for n in given if _is_dns_name(n) and len(n) <= MAX_NAME}, key=_parents_first)
    decided: dict[str, bool] = {}
    blocked = 0
    for number, name in enumerate(names):
        if progress is not None and number % 4096 == 0:
            progress(number)
        block = decide_name(compiled, group, name, at).verdict is Action.BLOCK
        if block != _inherited(name, decided, default_block):
            decided[name] = block
            blocked += block
    if progress is not None:
        progress(len(names))
    # What each name answers: one record per owner name, the later kinds taking precedence.
    # A resolver does not look for a name's nearest written parent: unbound matches the wildcard of
    # the parent it shares with the entry before it in order. So every name between an entry and its
    # nearest written parent is written too, with that parent's verdict: `c.b.games.test` must meet
    # `*.b.games.test`, not fall past `a.b.games.test` out of `*.games.test`.
    between: dict[str, bool] = {}
    for name in decided:
        chain: list[str] = []
        rest = name
        while "." in rest:
            rest = rest.split(".", 1)[1]
            if rest in decided:
                for middle in chain:
                    between.setdefault(middle, decided[rest])
                break
            chain.append(rest)
    verdicts = {**between, **decided}
    exact = {name: block_target if block else "rpz-passthru." for name, block in verdicts.items()}
    wild = dict(exact)
    safe = [
        (name, target)
        for name, target in _safe_search(spec.safe_search, spec.youtube)
        if not _inherited(name, decided, default_block)
    ]
    for name, target in safe:
        exact[name] = target
    # Where everything else is blocked, the names safe search sends browsers to must still resolve.
    for target in sorted({t.rstrip(".") for _, t in safe}):
        if _inherited(target, decided, default_block) and target not in exact:
            exact[target] = "rpz-passthru."
    for name in (CANARY, *DOH_RESOLVERS):  # for everyone, whatever a rule says
        exact[name] = "."
        if name != CANARY:
            wild[name] = "."
    head = [
        f"; Schoolgate's DNS policy for the group {group!r} of {compiled.policy.school or 'the school'},",
        f"; as it stands at {at.isoformat(timespec='minutes')}. Written by `schoolgate rpz export`;",
        "; export again rather than editing it by hand.",
        f"$TTL {TTL}",
        f"@ SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 {TTL}",
        "@ NS localhost.",
        "; For everyone: the Firefox DNS-over-HTTPS canary, and resolvers that would go round this one.",
        "; Safe search and YouTube's restriction are locked on by name where the group has them.",
        f"; Decided for {group}: {blocked:,} domains blocked with their subdomains, "
        f"{len(decided) - blocked:,} let through.",
    ]
    if default_block:
        head.append(f"; {group!r} blocks the names no list holds: its zone {rest_zone(group)} says so.")
    lines = []
    for name in sorted(exact.keys() | wild.keys(), key=_parents_first):
        if name in exact:
            lines.append(f"{name} CNAME {exact[name]}")
        if name in wild:
            lines.append(f"*.{name} CNAME {wild[name]}")
    return "\n".join([*head, *lines, ""]), blocked, default_block


def rest_zone(group: str) -> str:
    """The zone that blocks every other name, for a group that blocks the names no list holds. It is
    a zone of its own, applied after the group's zone: a resolver then takes the group's zone for the
    names it holds and this one for all the rest (unbound does not apply a zone's own `*` to a name
    beside the zone's other names). `_rest` cannot be a group's label."""
    return f"{zone_label(group)}._rest.{ZONE_SUFFIX}"


def rest_text(group: str, serial: int, block_target: str, block: bool = True) -> str:
    """The group's second zone: every other name blocked, or (`block` False, while no rule blocks
    the names no list holds) nothing. Every group has one, so the set of zones a resolver is set up
    with changes only with the groups, never with the time of day."""
    says = "is blocked" if block else "is left alone now (this zone is empty)"
    return "\n".join(
        [
            f"; For {group!r}: every name that {zone_label(group)}.{ZONE_SUFFIX} does not hold {says}.",
            "; Written by `schoolgate rpz export`.",
            f"$TTL {TTL}",
            f"@ SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 {TTL}",
            "@ NS localhost.",
            *([f"* CNAME {block_target}"] if block else []),
            "",
        ]
    )


def _block_target(block_with: str, block_page: str) -> str:
    """What a blocked name answers: "." (NXDOMAIN), or the block page's host as the browser would ask
    for it (a Unicode name becomes its A-label, as in the lists: `canonical_host` for both)."""
    if block_with == "nxdomain":
        return "."
    url = parse_url(block_page)
    if url is None or not url.scheme or url.is_ip or not _is_dns_name(url.host):
        raise ValueError(
            f"the block page {block_page!r} is not on a host name: DNS can send a blocked name to a "
            "host name only (give the block page a name, or block with NXDOMAIN)"
        )
    return url.host + "."


def previous_serial(out: Path) -> int:
    try:
        return int(json.loads((out / "zones.json").read_text())["serial"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def zone_groups(policy: Policy) -> tuple[str, ...]:
    """The groups that get a zone: all but those whose every identity is timed (the groups Schoolgate
    makes for the people of an approved request). unbound gives zones by address ranges written into
    its configuration once, from the ranges without times (`schoolgate unbound config`), so no device
    could get such a group's zone; and a zone for each request would change unbound's configuration
    with every approval. Those people's devices get the zone of their range, as before the request."""
    timed_only = {block.group for block in policy.timed_identities}
    if not timed_only:
        return tuple(policy.groups)
    timed_only -= set(policy.users.values())
    timed_only -= {net.group for net in policy.networks}
    return tuple(g for g in policy.groups if g not in timed_only)


def export_zones(
    compiled: CompiledPolicy,
    out: Path,
    at: datetime,
    block_with: str = "nxdomain",
    progress: Callable[[str, int, int], None] | None = None,
) -> ExportResult:
    """Write every group's zone and zones.json into `out`. Raises ValueError for a block target
    that cannot be, OSError when `out` cannot be written."""
    started = time.monotonic()
    target = _block_target(block_with, compiled.policy.block_page)
    labels: dict[str, str] = {}
    groups = zone_groups(compiled.policy)
    for group in groups:
        label = zone_label(group)
        if label in labels:
            raise ValueError(
                f"the groups {labels[label]!r} and {group!r} would have the same zone ({label}); rename one"
            )
        if len(label) > 50:
            raise ValueError(f"the group {group!r} has too long a name for a DNS zone: 50 characters at most")
        labels[label] = group
    out.mkdir(parents=True, exist_ok=True)
    serial = max(previous_serial(out) + 1, int(time.time()))
    domains = listed_names(compiled)
    zones: dict[str, Path] = {}
    names: dict[str, int] = {}
    entries: list[dict[str, str]] = []  # in the order a resolver is to apply them
    for group in groups:

        def report(done: int, group: str = group) -> None:
            if progress is not None:
                progress(group, done, len(domains))

        text, count, rest = zone_text(compiled, group, at, serial, target, domains, report)
        path = out / f"{zone_label(group)}.rpz"
        write_atomically(path, text)
        zones[group], names[group] = path, count
        entries.append({"group": group, "zone": f"{zone_label(group)}.{ZONE_SUFFIX}", "file": path.name})
        rest_path = out / f"{zone_label(group)}._rest.rpz"
        write_atomically(rest_path, rest_text(group, serial, target, rest))
        entries.append({"group": group, "zone": rest_zone(group), "file": rest_path.name})
    manifest = {"serial": serial, "at": at.isoformat(), "zones": entries}
    write_atomically(out / "zones.json", json.dumps(manifest, indent=2) + "\n")
    return ExportResult(serial, zones, names, time.monotonic() - started)
