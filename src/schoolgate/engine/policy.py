"""The policy model: groups, identities, time windows, categories, site lists, rules and locked lists.

A `Policy` is plain data, built by `schoolgate.policyfile` from a TOML file (or by the web app).
`compile_policy()` checks it against a compiled list `Index` and turns it into a `CompiledPolicy`:
bit masks and pre-compiled matchers that `decide()` uses without further work.

Semantics, in the order `decide()` applies them:

1. Locked lists (any list source whose category or list is marked locked) block first, for
   everyone; no rule can override them, and a rule that would allow one of their entries is a
   compile error.
2. Grants (what approved filter change requests wrote: a few domains or URLs for some groups, at
   some times) are checked next, in file order: they are narrow by design, and an approved request
   must not be undone by a broad rule further down.
3. The first rule that matches wins. A rule names who (groups, or everyone), what (categories, site
   lists, inline domains/URLs, URL patterns, or every site), when (a named window, and optionally a
   start and an expiry) and the action. A rule that names a group applies also to every group
   `within` it (transitively): a `year-6` group within `pupils` gets the rules of `pupils`.
4. Otherwise the group's own default action applies. An unidentified user gets the `default` group,
   which must be the most restrictive: its default action is block, and a rule may allow it something
   only if that rule allows every group and every block rule above it also blocks `default`.
"""

from __future__ import annotations

import dataclasses
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
    "TimedIdentity",
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
    within: str | None = None  # the group this one is part of: it gets that group's rules too


@dataclass(frozen=True, slots=True)
class Network:
    """An address range whose devices belong to a group (class devices, KS1 class logons, guest Wi-Fi)."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    group: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class TimedIdentity:
    """An `[[identities]]` block with a start or an expiry (a visitor, supply staff, the people of an
    approved request). While it is in force it wins over the block without times that names the same
    user name or network; outside its times it does not exist, so a visitor whose access ended is
    unidentified (the `default` group) even if nothing republished the policy."""

    group: str
    users: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()
    starts: datetime | None = None
    expires: datetime | None = None
    label: str = ""

    def in_force(self, at: datetime) -> bool:
        return (self.starts is None or at >= self.starts) and (self.expires is None or at < self.expires)


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
    """One line of the ordered rule list: who, what, when, and the action. `number` is 1-based.

    A grant (`[[grants]]`, written from an approved request) is a Rule too, with `request` set to the
    request's number; grants are numbered after the ordinary rules (rules 1..n, grants n+1..) so that
    a decision names either by one number, but they are checked before every rule."""

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
    request: int | None = None

    @property
    def title(self) -> str:
        """The name a decision shows: a grant's always says which request it came from."""
        if self.request is None:
            return self.name
        prefix = f"request {self.request}"
        return self.name if self.name.startswith(prefix) else f"{prefix}: {self.name}"


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
    grants: tuple[Rule, ...] = ()  # numbered after `rules`, checked before them
    timed_identities: tuple[TimedIdentity, ...] = ()  # `users` and `networks` are the untimed ones

    def rule(self, number: int) -> Rule | None:
        """The rule or grant a decision names by its number, or None."""
        if 1 <= number <= len(self.rules):
            return self.rules[number - 1]
        if 1 <= number - len(self.rules) <= len(self.grants):
            return self.grants[number - len(self.rules) - 1]
        return None

    def lineage(self, group: str) -> tuple[str, ...]:
        """The group and every group it is `within`, nearest first (stopping where a cycle, which
        the checks report, or an unknown group would go round or out)."""
        out = [group]
        found = self.groups.get(group)
        while found is not None and found.within is not None and found.within not in out:
            out.append(found.within)
            found = self.groups.get(found.within)
        return tuple(out)

    def applies(self, rule: Rule, group: str) -> bool:
        """Whether `rule` applies to members of `group`: it names no group, or the group itself, or
        a group it is within."""
        return EVERYONE in rule.groups or any(g in rule.groups for g in self.lineage(group))


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
    # The timed [[identities]] blocks. When there are none (most policies) nothing below is used and
    # `decide_many` pays one test per batch; when there are some, each distinct set of blocks in force
    # gets a view of this policy with those identities merged in, made once and reused.
    timed_identities: tuple[TimedIdentity, ...] = ()
    _views: dict[frozenset[int], CompiledPolicy] = field(default_factory=dict, init=False, repr=False)

    def at_instant(self, at: datetime) -> CompiledPolicy:
        """This policy as it identifies people at `at`: itself when it has no timed identities, else
        a view (sharing every table but the identities) in which the timed blocks in force at `at`
        win over the untimed ones (the first in file order among them), and the others do not exist."""
        timed = self.timed_identities
        if not timed:
            return self
        in_force = frozenset(n for n, block in enumerate(timed) if block.in_force(at))
        view = self._views.get(in_force)
        if view is None:
            view = self._view(in_force)
            if len(self._views) >= 256:  # bounded, whatever the policy: a few sets occur in a day
                self._views.clear()
            self._views[in_force] = view
        return view

    def _view(self, in_force: frozenset[int]) -> CompiledPolicy:
        users = dict(self.users)
        timed_users: set[str] = set()
        timed_networks: list[Network] = []
        for n, block in enumerate(self.timed_identities):
            if n not in in_force:
                continue
            for name in block.users:
                key = user_key(name)
                if key not in timed_users:  # the first timed block in force wins
                    timed_users.add(key)
                    users[key] = block.group
            timed_networks.extend(block.networks)
        # Most specific first; for the same range, a timed block in force before the untimed one (the
        # sort is stable), so the first match is the one that wins.
        networks = tuple(sorted((*timed_networks, *self._networks), key=lambda n: -n.network.prefixlen))
        return dataclasses.replace(
            self, users=users, _networks=networks, _address_groups={}, timed_identities=()
        )

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

    def identify(self, user: str | None, address: str | None, at: datetime | None = None) -> tuple[str, str]:
        """(group, how it was found) for a user name and a client address; at the instant `at` when
        given (timed identities count only then), else by the identities without times alone."""
        if at is not None and self.timed_identities:
            return self.at_instant(at).identify(user, address)
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
    for rule in _in_order(policy):
        if rule.domains or rule.urls:
            d, u = entries(rule.domains, rule.urls, rule_key(policy, rule))
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
    problems.extend(_within_problems(policy))
    for rule in policy.rules:
        problems.extend(_compile_patterns(rule, rule_key(policy, rule))[1])
    problems.extend(_default_is_most_restrictive(policy))
    return problems


def _in_order(policy: Policy) -> tuple[Rule, ...]:
    """The grants, then the rules: the order in which they are checked."""
    return policy.grants + policy.rules if policy.grants else policy.rules


def rule_key(policy: Policy, rule: Rule) -> tuple[str | int, ...]:
    """Where a rule or grant is in the policy file: ("rules", i) or ("grants", i)."""
    if rule.number > len(policy.rules):
        return ("grants", rule.number - len(policy.rules) - 1)
    return ("rules", rule.number - 1)


def describe_rule(rule: Rule) -> str:
    """A rule or grant as problems name it: 'rule 3 "name"', 'the grant of request 14 "name"'."""
    if rule.request is not None:
        return f'the grant of request {rule.request} "{rule.name}"'
    return f'rule {rule.number} "{rule.name}"'


def _compile_patterns(
    rule: Rule, key: tuple[str | int, ...]
) -> tuple[list[Regex], list[tuple[tuple[str | int, ...], str]]]:
    """A rule's URL patterns compiled, and a problem for each that does not compile."""
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
    problems.extend(_within_problems(policy))

    compiled: list[CompiledRule] = []
    for rule in _in_order(policy):
        key = rule_key(policy, rule)
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
        patterns, pattern_problems = _compile_patterns(rule, key)
        problems.extend(pattern_problems)
        window = policy.windows.get(rule.window) if rule.window else None
        # A grant for a site a locked list blocks is not an error: the locked list wins at every
        # decision, and a list update must not stop a policy (and its expiries) from publishing.
        if rule.action is Action.ALLOW and rule.request is None:
            problems.extend(_locked_conflicts(rule, key, locked_categories, index, locked_mask, policy))
        compiled.append(CompiledRule(rule, category_mask, site_mask, tuple(patterns), window))

    problems.extend(_default_is_most_restrictive(policy))
    if problems:
        raise PolicyError(problems)

    # Grants first, then rules, each in file order (`compiled` is in that order already).
    rules_by_group = {g: tuple(c for c in compiled if policy.applies(c.rule, g)) for g in groups}
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
        timed_identities=policy.timed_identities,
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
    for block in policy.timed_identities:
        if block.group not in policy.groups:
            out.append(
                (("identities",), f'a timed identity is in the group "{block.group}", which is not defined')
            )
    for rule in _in_order(policy):
        key = rule_key(policy, rule)
        what = describe_rule(rule)
        named: list[tuple[str, Sequence[str], Mapping[str, object], str]] = [
            ("groups", [g for g in rule.groups if g != EVERYONE], policy.groups, "group"),
            ("categories", rule.categories, policy.categories, "category"),
            ("sites", rule.sites, policy.sites, "site list"),
        ]
        for field_name, names, known, kind in named:
            for n, name in enumerate(names):
                if name not in known:
                    out.append(((*key, field_name, n), f'{what}: unknown {kind} "{name}"'))
        if rule.window is not None and rule.window not in policy.windows:
            out.append(((*key, "window"), f'{what}: unknown window "{rule.window}"'))
    return out


def within_problem(policy: Policy, name: str) -> str | None:
    """What is wrong with the group `name`'s `within`, or None: it must name another defined group,
    not `default` (the unidentified are part of nothing, and nothing is part of them: the most
    restrictive group must not gain rules written for others), and not lead back to `name`."""
    group = policy.groups.get(name)
    if group is None or group.within is None:
        return None
    parent = group.within
    if name == DEFAULT_GROUP:
        return f'the "{DEFAULT_GROUP}" group is for unidentified users and cannot be part of another group'
    if parent == DEFAULT_GROUP:
        return (
            f'group "{name}" cannot be within "{DEFAULT_GROUP}": that group is for unidentified users, '
            "and no group is part of it"
        )
    if parent == EVERYONE:
        return f'group "{name}" cannot be within "{EVERYONE}": rules naming no group apply to every group'
    if parent not in policy.groups:
        return f'group "{name}" is within "{parent}", which is not defined'
    if parent == name:
        return f'group "{name}" cannot be within itself'
    chain = [name, parent]
    found = policy.groups.get(parent)
    while found is not None and found.within is not None:
        chain.append(found.within)
        if found.within == name:
            shown = " within ".join(f'"{g}"' for g in chain)
            return f"groups cannot be within each other in a circle: {shown}"
        if found.within in chain[:-1]:
            return None  # a circle further up, reported at its own groups
        found = policy.groups.get(found.within)
    return None


def _within_problems(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    out: list[tuple[tuple[str | int, ...], str]] = []
    for name in policy.groups:
        problem = within_problem(policy, name)
        if problem is not None:
            out.append((("groups", name, "within"), problem))
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
    ordered = _in_order(policy)
    for position, rule in enumerate(ordered):
        key = (*rule_key(policy, rule), "groups")
        applies = EVERYONE in rule.groups or DEFAULT_GROUP in rule.groups
        if rule.action is not Action.ALLOW or not applies:
            continue
        what = describe_rule(rule)
        if EVERYONE not in rule.groups:
            left_out = sorted(g for g in others if not policy.applies(rule, g))
            if left_out:
                out.append(
                    (
                        key,
                        f'{what} allows "{DEFAULT_GROUP}" (unidentified users) more than '
                        f"{', '.join(left_out)}: a rule that allows {DEFAULT_GROUP} must allow every group",
                    )
                )
        for earlier in ordered[:position]:
            if earlier.action is Action.BLOCK and not policy.applies(earlier, DEFAULT_GROUP):
                place = describe_rule(earlier)
                target = f"rule {earlier.number}" if earlier.request is None else place
                out.append(
                    (
                        key,
                        f'{what} allows "{DEFAULT_GROUP}" (unidentified users) what {place} blocks for '
                        f"{', '.join(earlier.groups)}: add {DEFAULT_GROUP} to {target}",
                    )
                )
    return out
