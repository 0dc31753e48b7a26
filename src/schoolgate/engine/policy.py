"""The policy model: groups, identities, time windows, categories, site lists, rules and locked lists.

A `Policy` is plain data, built by `schoolgate.policyfile` from a TOML file (or by the web app).
`compile_policy()` checks it against a compiled list `Index` and turns it into a `CompiledPolicy`:
bit masks and pre-compiled matchers that `decide()` uses without further work.

Semantics, in the order `decide()` applies them:

1. Locked lists (any list source whose category or list is marked locked) block first, for
   everyone; no rule can override them, and a rule that would allow one of their entries is a
   compile error.
2. The first rule that matches wins. A rule names who (groups, or everyone), what (categories, site
   lists, inline domains/URLs, URL patterns, or every site), when (a named window, and optionally a
   start and an expiry) and the action.
3. Otherwise the group's own default action applies. An unidentified user gets the `default` group,
   which must be the most restrictive: its default action is block, and a rule may allow it something
   only if that rule allows every group and every block rule above it also blocks `default`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

import re2

from schoolgate.engine.index import Hit, Index, SourceEntries, build_index
from schoolgate.engine.lists import Regex, regex_error_text, regex_options, url_key
from schoolgate.engine.urls import canonical_host
from schoolgate.engine.windows import Window

__all__ = [
    "DEFAULT_GROUP",
    "EVERYONE",
    "UKSIC_CATEGORIES",
    "Action",
    "AlertLevel",
    "Category",
    "CompiledPolicy",
    "CompiledRule",
    "Group",
    "Network",
    "Policy",
    "PolicyError",
    "Rule",
    "SiteList",
    "YouTubeMode",
    "check_policy",
    "compile_policy",
]

DEFAULT_GROUP = "default"
EVERYONE = "everyone"

# The UK Safer Internet Centre's inappropriate-content categories (DESIGN.md).
UKSIC_CATEGORIES = (
    "discrimination",
    "drugs",
    "extremism",
    "gambling",
    "hate-speech",
    "malware-hacking",
    "misinformation",
    "pornography",
    "piracy",
    "self-harm",
    "violence",
    "illegal",
)


class Action(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


class AlertLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class YouTubeMode(StrEnum):
    STRICT = "strict"
    MODERATE = "moderate"
    OFF = "off"


class PolicyError(ValueError):
    """The policy cannot be compiled. `problems` holds (key, message) pairs; `key` is a dotted key path
    tuple as in the policy file, so the caller can point at the line."""

    def __init__(self, problems: Sequence[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(message for _, message in self.problems))


@dataclass(frozen=True, slots=True)
class Group:
    """A filtering profile: pupils of a key stage, staff, visitors, the unidentified default."""

    name: str
    default_action: Action
    description: str = ""
    safe_search: bool = True
    youtube: YouTubeMode = YouTubeMode.STRICT


@dataclass(frozen=True, slots=True)
class Network:
    """An address range whose devices belong to a group (class devices, KS1 class logons, guest Wi-Fi)."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    group: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    """A Schoolgate category: a name, the list sources it covers and its UKSIC category."""

    name: str
    sources: tuple[str, ...]
    uksic: str | None = None
    description: str = ""
    locked: bool = False


@dataclass(frozen=True, slots=True)
class SiteList:
    """A hand-kept list of domains and URL prefixes (an allowlist or blocklist named in rules)."""

    name: str
    domains: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of the ordered rule list: who, what, when, and the action. `number` is 1-based."""

    number: int
    name: str
    action: Action
    groups: tuple[str, ...] = (EVERYONE,)
    categories: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    all_sites: bool = False
    window: str | None = None
    starts: datetime | None = None
    expires: datetime | None = None
    alert: AlertLevel = AlertLevel.NONE


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole school policy, as written in the policy file."""

    school: str
    timezone: tzinfo
    groups: Mapping[str, Group]
    users: Mapping[str, str]
    networks: tuple[Network, ...]
    windows: Mapping[str, Window]
    categories: Mapping[str, Category]
    sites: Mapping[str, SiteList]
    rules: tuple[Rule, ...]
    locked_sources: frozenset[str] = frozenset()
    unparsable_action: Action = Action.BLOCK
    block_page: str = "http://127.0.0.1:8080/blocked"
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule turned into masks and matchers for `decide()`."""

    rule: Rule
    category_mask: int
    site_mask: int
    patterns: tuple[Regex, ...]
    window: Window | None

    @property
    def timed(self) -> bool:
        """Whether the rule is in force only at some times (a window, a start or an expiry)."""
        rule = self.rule
        return self.window is not None or rule.starts is not None or rule.expires is not None


@dataclass(slots=True)
class CompiledPolicy:
    """A policy checked against an index and ready for `decide()`; immutable in use."""

    policy: Policy
    index: Index
    sites_index: Index | None
    category_names: tuple[str, ...]
    category_source_masks: tuple[int, ...]
    category_uksic: tuple[str | None, ...]
    locked_mask: int
    rules_by_group: dict[str, tuple[CompiledRule, ...]]
    lasting_groups: frozenset[str] = frozenset()
    pattern_groups: frozenset[str] = frozenset()
    lasting_outcomes: dict[tuple[str, int, int], Any] = field(default_factory=dict)
    _categories_of: dict[int, int] = field(default_factory=dict)
    _address_groups: dict[str, tuple[str, str]] = field(default_factory=dict)
    _networks: tuple[Network, ...] = ()
    users: dict[str, str] = field(default_factory=dict)  # lowercased user name -> group

    def categories_of(self, sources: int) -> int:
        """The category bit mask for a mask of list sources (memoised: few distinct masks occur)."""
        found = self._categories_of.get(sources)
        if found is None:
            found = 0
            for bit, mask in enumerate(self.category_source_masks):
                if mask & sources:
                    found |= 1 << bit
            if len(self._categories_of) < 65536:
                self._categories_of[sources] = found
        return found

    def identify(self, user: str | None, address: str | None) -> tuple[str, str]:
        """(group, how it was found) for a user name and a client address."""
        if user:
            group = self.users.get(user_key(user))
            if group is not None:
                return group, f"user {user}"
        if address and self._networks:
            found = self._address_groups.get(address)
            if found is None:
                found = self._group_of_address(address)
                if len(self._address_groups) < 65536:
                    self._address_groups[address] = found
            return found
        return DEFAULT_GROUP, "unidentified"

    def _group_of_address(self, address: str) -> tuple[str, str]:
        try:
            ip = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return DEFAULT_GROUP, "unidentified"
        for net in self._networks:  # most specific first
            if ip.version == net.network.version and ip in net.network:
                label = f" ({net.label})" if net.label else ""
                return net.group, f"address {address} in {net.network}{label}"
        return DEFAULT_GROUP, "unidentified"

    @property
    def has_networks(self) -> bool:
        return bool(self._networks)


def user_key(name: str) -> str:
    """A user name as the policy looks it up: case does not matter, as in Active Directory and Squid's
    password files, but no character outside ASCII becomes one inside it (the Kelvin sign "\u212a"
    lowers to "k": "\u212asmith" must not be ksmith, whose group it would otherwise get)."""
    if name.isascii():
        return name.lower()
    return "".join(c if not c.isascii() and c.lower().isascii() else c.lower() for c in name)


def first_bit(mask: int) -> int:
    """The number of the lowest set bit of a non-zero mask."""
    return (mask & -mask).bit_length() - 1


def _site_index(
    policy: Policy,
) -> tuple[Index | None, dict[str, int], list[tuple[tuple[str | int, ...], str]]]:
    """Compile the site lists and the rules' inline entries into one small in-memory index."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    sources: list[SourceEntries] = []

    def entries(
        domains: Sequence[str], urls: Sequence[str], key: tuple[str | int, ...]
    ) -> tuple[list[str], list[str]]:
        good_domains: list[str] = []
        good_urls: list[str] = []
        for n, text in enumerate(domains):
            host = canonical_host(text.removeprefix("*.").removeprefix("."))
            if host is None:
                problems.append(((*key, "domains", n), f"not a valid domain name: {text!r}"))
            else:
                good_domains.append(host)
        for n, text in enumerate(urls):
            found = url_key(text)
            if found is None:
                problems.append(((*key, "urls", n), f"not a valid URL: {text!r}"))
            else:
                good_urls.append(found)
        return good_domains, good_urls

    for name, site in policy.sites.items():
        d, u = entries(site.domains, site.urls, ("sites", name))
        sources.append(SourceEntries(f"site:{name}", d, u))
    for rule in policy.rules:
        if rule.domains or rule.urls:
            d, u = entries(rule.domains, rule.urls, ("rules", rule.number - 1))
            sources.append(SourceEntries(f"rule:{rule.number}", d, u))
    if not sources:
        return None, {}, problems
    index = Index.from_buffer(build_index(sources))
    return index, index.source_ids, problems


def check_policy(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """Every problem that can be found without the compiled lists, as (key, message) pairs in the order
    `compile_policy` reports them: a `default` group that is missing or allows more than the others,
    names no one defined, inline domains and URLs that are not valid, patterns that do not compile.

    `schoolgate policy check` before any `lists compile`, the web editor's check and the block page
    (which reads no lists) make these checks too, so a policy the gateways would refuse is never
    called good just because the lists are not there yet."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if DEFAULT_GROUP not in policy.groups:
        problems.append((("groups",), f'there must be a group "{DEFAULT_GROUP}" for unidentified users'))
    problems.extend(_site_index(policy)[2])
    problems.extend(_unknown_names(policy))
    for rule in policy.rules:
        problems.extend(_compile_patterns(rule)[1])
    problems.extend(_default_is_most_restrictive(policy))
    return problems


def _compile_patterns(rule: Rule) -> tuple[list[Regex], list[tuple[tuple[str | int, ...], str]]]:
    """A rule's URL patterns compiled, and a problem for each that does not compile."""
    key: tuple[str | int, ...] = ("rules", rule.number - 1)
    patterns: list[Regex] = []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for n, pattern in enumerate(rule.patterns):
        try:
            patterns.append(re2.compile(pattern, options=regex_options()))
        except (re.error, re2.error) as exc:
            problems.append(
                ((*key, "patterns", n), f"not a valid regular expression: {regex_error_text(exc)}")
            )
    return patterns, problems


def compile_policy(policy: Policy, index: Index) -> CompiledPolicy:
    """Check the policy against the index and compile it. Raises PolicyError with every problem."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    groups = policy.groups
    if DEFAULT_GROUP not in groups:
        problems.append((("groups",), f'there must be a group "{DEFAULT_GROUP}" for unidentified users'))

    category_names = tuple(policy.categories)
    source_masks = []
    locked_mask = 0
    for name in category_names:
        category = policy.categories[name]
        missing = [s for s in category.sources if s not in index.source_ids]
        for source in missing:
            problems.append(
                (
                    ("categories", name, "sources"),
                    f'list source "{source}" is not in the compiled lists: run "schoolgate lists compile"',
                )
            )
        mask = index.source_mask(category.sources)
        source_masks.append(mask)
        if category.locked:
            locked_mask |= mask
    locked_mask |= index.source_mask(sorted(policy.locked_sources))
    locked_categories = {
        n for n, m in zip(category_names, source_masks, strict=True) if m and (m & locked_mask) == m
    }

    sites_index, site_ids, site_problems = _site_index(policy)
    problems.extend(site_problems)
    category_bit = {name: n for n, name in enumerate(category_names)}
    problems.extend(_unknown_names(policy))

    compiled: list[CompiledRule] = []
    for rule in policy.rules:
        key: tuple[str | int, ...] = ("rules", rule.number - 1)
        category_mask = 0
        for name in rule.categories:
            if name in category_bit:
                category_mask |= 1 << category_bit[name]
        site_mask = 0
        if sites_index is not None:
            for name in rule.sites:
                site_mask |= 1 << site_ids[f"site:{name}"] if f"site:{name}" in site_ids else 0
            if f"rule:{rule.number}" in site_ids:
                site_mask |= 1 << site_ids[f"rule:{rule.number}"]
        patterns, pattern_problems = _compile_patterns(rule)
        problems.extend(pattern_problems)
        window = policy.windows.get(rule.window) if rule.window else None
        if rule.action is Action.ALLOW:
            problems.extend(_locked_conflicts(rule, key, locked_categories, index, locked_mask, policy))
        compiled.append(CompiledRule(rule, category_mask, site_mask, tuple(patterns), window))

    problems.extend(_default_is_most_restrictive(policy))
    if problems:
        raise PolicyError(problems)

    rules_by_group = {
        g: tuple(c for c in compiled if EVERYONE in c.rule.groups or g in c.rule.groups) for g in groups
    }
    networks = tuple(sorted(policy.networks, key=lambda n: -n.network.prefixlen))
    # A group's outcomes can be remembered for the life of the policy when none of its rules depends
    # on the time or on the URL's text; with URL patterns they are worked out for every request.
    pattern_groups = frozenset(g for g, rules in rules_by_group.items() if any(r.patterns for r in rules))
    lasting_groups = frozenset(
        g
        for g, rules in rules_by_group.items()
        if g not in pattern_groups and not any(r.timed for r in rules)
    )
    return CompiledPolicy(
        policy=policy,
        index=index,
        sites_index=sites_index,
        category_names=category_names,
        category_source_masks=tuple(source_masks),
        category_uksic=tuple(policy.categories[n].uksic for n in category_names),
        locked_mask=locked_mask,
        rules_by_group=rules_by_group,
        lasting_groups=lasting_groups,
        pattern_groups=pattern_groups,
        _networks=networks,
        users={user_key(name): group for name, group in policy.users.items()},
    )


def _unknown_names(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """Every name a rule or an identity uses must be defined: an unknown window would otherwise put a
    rule in force at all times, and an unknown category would make a block rule match nothing."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    for user, group in policy.users.items():
        if group not in policy.groups:
            out.append((("identities",), f'user "{user}" is in the group "{group}", which is not defined'))
    for net in policy.networks:
        if net.group not in policy.groups:
            out.append(
                (("identities",), f'{net.network} is in the group "{net.group}", which is not defined')
            )
    for rule in policy.rules:
        key: tuple[str | int, ...] = ("rules", rule.number - 1)
        named: list[tuple[str, Sequence[str], Mapping[str, object], str]] = [
            ("groups", [g for g in rule.groups if g != EVERYONE], policy.groups, "group"),
            ("categories", rule.categories, policy.categories, "category"),
            ("sites", rule.sites, policy.sites, "site list"),
        ]
        for field_name, names, known, what in named:
            for n, name in enumerate(names):
                if name not in known:
                    out.append(
                        ((*key, field_name, n), f'rule {rule.number} "{rule.name}": unknown {what} "{name}"')
                    )
        if rule.window is not None and rule.window not in policy.windows:
            out.append(
                ((*key, "window"), f'rule {rule.number} "{rule.name}": unknown window "{rule.window}"')
            )
    return out


def _locked_conflicts(
    rule: Rule,
    key: tuple[str | int, ...],
    locked_categories: set[str],
    index: Index,
    locked_mask: int,
    policy: Policy,
) -> list[tuple[tuple[str | int, ...], str]]:
    """An allow rule may not name a locked category, nor list a site that a locked list blocks."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    for n, name in enumerate(rule.categories):
        if name in locked_categories:
            out.append(
                (
                    (*key, "categories", n),
                    f'rule {rule.number} "{rule.name}" would allow the locked category "{name}": '
                    "locked lists block for everyone and no rule can override them",
                )
            )
    if not locked_mask:
        return out
    domains = list(rule.domains)
    urls = list(rule.urls)
    for name in rule.sites:
        site = policy.sites.get(name)
        if site is not None:
            domains.extend(site.domains)
            urls.extend(site.urls)
    for text in domains:
        host = canonical_host(text.removeprefix("*.").removeprefix("."))
        if host is None:
            continue
        hits = [h for h in index.match_host(host) if h.sources & locked_mask]
        if hits:
            out.append(_locked_message(rule, key, text, hits[0], index, locked_mask))
    for text in urls:
        found = url_key(text)
        if found is None:
            continue
        host = found.split("/", 1)[0]
        hits = [h for h in index.match_host(host) + index.match_url(found) if h.sources & locked_mask]
        if hits:
            out.append(_locked_message(rule, key, text, hits[0], index, locked_mask))
    return out


def _locked_message(
    rule: Rule, key: tuple[str | int, ...], text: str, hit: Hit, index: Index, locked_mask: int
) -> tuple[tuple[str | int, ...], str]:
    lists = ", ".join(index.source_names(hit.sources & locked_mask))
    return (
        key,
        f'rule {rule.number} "{rule.name}" would allow {text}, which the locked list {lists} blocks '
        f"(entry {hit.entry}): locked lists block for everyone and no rule can override them",
    )


def _default_is_most_restrictive(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    out: list[tuple[tuple[str | int, ...], str]] = []
    default = policy.groups.get(DEFAULT_GROUP)
    if default is None:
        return out
    if default.default_action is not Action.BLOCK:
        out.append(
            (
                ("groups", DEFAULT_GROUP, "default"),
                f'the "{DEFAULT_GROUP}" group is for unidentified users and must be the most restrictive: '
                'its default must be "block"',
            )
        )
    others = set(policy.groups) - {DEFAULT_GROUP}
    for rule in policy.rules:
        key: tuple[str | int, ...] = ("rules", rule.number - 1, "groups")
        applies = EVERYONE in rule.groups or DEFAULT_GROUP in rule.groups
        if rule.action is not Action.ALLOW or not applies:
            continue
        if EVERYONE not in rule.groups and not others <= set(rule.groups):
            left_out = ", ".join(sorted(others - set(rule.groups)))
            out.append(
                (
                    key,
                    f'rule {rule.number} "{rule.name}" allows "{DEFAULT_GROUP}" (unidentified users) more '
                    f"than {left_out}: a rule that allows {DEFAULT_GROUP} must allow every group",
                )
            )
        for earlier in policy.rules[: rule.number - 1]:
            if (
                earlier.action is Action.BLOCK
                and EVERYONE not in earlier.groups
                and DEFAULT_GROUP not in earlier.groups
            ):
                out.append(
                    (
                        key,
                        f'rule {rule.number} "{rule.name}" allows "{DEFAULT_GROUP}" (unidentified users) '
                        f'what rule {earlier.number} "{earlier.name}" blocks for '
                        f"{', '.join(earlier.groups)}: add {DEFAULT_GROUP} to rule {earlier.number}",
                    )
                )
    return out
