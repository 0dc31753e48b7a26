"""`decide(policy, request, at) -> Decision`: the hot path every gateway calls.

The chain, and why each link sits where it does:

1. Identify the group (user name first, then the client address, else `default`): everything after
   depends on the group.
2. Canonicalise the URL; an unparsable request gets the policy's answer for it (block by default),
   never an exception.
3. Look the request up in the compiled index (domains, URL prefixes, expressions) and in the policy's
   own site lists: one pass gives every list source that matched.
4. Locked lists block before any rule, for everyone.
5. The first rule of the group that is in force (`at` inside its window, started, not expired) and
   whose "what" matches decides.
6. Otherwise the group's default.

Every Decision carries its explanation: verdict, reason, group, category, list entry, rule, window.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from schoolgate.engine.index import Index, describe_key, domain_key, request_query
from schoolgate.engine.policy import Action, AlertLevel, CompiledPolicy, CompiledRule, first_bit
from schoolgate.engine.urls import Url, parse_url, strip_www

__all__ = ["Decision", "Reason", "Request", "decide", "explain", "lookup"]


class Reason(StrEnum):
    LOCKED = "locked-list"
    RULE = "rule"
    GROUP_DEFAULT = "group-default"
    UNPARSABLE = "unparsable-request"
    NO_POLICY = "no-policy"
    INTERNAL_ERROR = "internal-error"


class Request(NamedTuple):
    """What a gateway knows about one request."""

    url: str
    user: str | None = None
    client_ip: str | None = None
    method: str | None = None


class Decision(NamedTuple):
    """A verdict with its reasons."""

    verdict: Action
    reason: Reason
    group: str
    identity: str
    category: str | None = None
    uksic: str | None = None
    source: str | None = None
    entry: str | None = None
    rule: int | None = None
    rule_name: str | None = None
    window: str | None = None
    alert: AlertLevel = AlertLevel.NONE
    host: str | None = None

    @property
    def blocked(self) -> bool:
        return self.verdict is Action.BLOCK


class Lookup(NamedTuple):
    """Every list entry that matched a request, with the combined source masks.

    `hits` holds (trie key or expression, source mask) pairs: trie keys of the index, then the
    expressions that matched (flagged by `expressions_from`, the position where they start)."""

    hits: list[tuple[str, int]]
    expressions_from: int
    sources: int
    site_hits: list[tuple[str, int]]
    sites: int


def _query_hits(index: Index, host: str, target: str) -> list[tuple[str, int]]:
    hits = index.match(request_query(host, target))
    stripped = strip_www(host)
    if len(stripped) != len(host) and hits:
        # squidGuard's "stripped URL": URL entries also match with one www./web./ftp. label removed.
        # Asked only when the stripped host has URL entries: it is then a key found on the way.
        stripped_key = domain_key(stripped)
        if any(key == stripped_key for key, _ in hits) and index.has_urls(stripped_key):
            hits += [h for h in index.match(request_query(stripped, target)) if "/" in h[0]]
    return hits


def lookup(policy: CompiledPolicy, url: Url) -> Lookup:
    """Find every list entry, in the index and in the policy's site lists, that matches `url`."""
    host, target, port = url.host, url.target, url.port
    index = policy.index
    hits = _query_hits(index, host, target)
    first_expression = len(hits)
    if index.has_expressions:
        full = host + target.lower() if port is None else f"{host}:{port}{target.lower()}"
        hits += [(h.entry, h.sources) for h in index.match_expressions(full)]
    sources = 0
    for _, mask in hits:
        sources |= mask
    site_hits: list[tuple[str, int]] = []
    sites = 0
    site_index = policy.sites_index
    if site_index is not None:
        site_hits = _query_hits(site_index, host, target)
        for _, mask in site_hits:
            sites |= mask
    return Lookup(hits, first_expression, sources, site_hits, sites)


def _rule_matches(rule: CompiledRule, categories: int, sites: int, url: Url) -> bool:
    if rule.rule.all_sites or rule.category_mask & categories or rule.site_mask & sites:
        return True
    if rule.patterns:
        text = url.host + url.target
        return any(p.search(text) for p in rule.patterns)
    return False


def _explaining_hit(found: Lookup, mask: int) -> tuple[str, str]:
    """(source mask's first hit as entry text) for the explanation: the list entry or expression."""
    for position, (key, sources) in enumerate(found.hits):
        if sources & mask:
            return key if position >= found.expressions_from else describe_key(key)[1], key
    return "", ""


def decide(policy: CompiledPolicy, request: Request, at: datetime) -> Decision:
    """Decide one request at the instant `at` (timezone-aware)."""
    group, identity = policy.identify(request.user, request.client_ip)
    url = parse_url(request.url)
    if url is None:
        return Decision(policy.policy.unparsable_action, Reason.UNPARSABLE, group, identity)
    found = lookup(policy, url)
    sources = found.sources
    categories = policy.categories_of(sources) if sources else 0

    locked = sources & policy.locked_mask
    if locked:
        return _categorised(
            policy,
            found,
            Action.BLOCK,
            Reason.LOCKED,
            group,
            identity,
            url,
            first_bit(policy.categories_of(locked)),
            locked,
            None,
            AlertLevel.HIGH,
        )

    for compiled in policy.rules_by_group.get(group, ()):
        rule = compiled.rule
        if rule.expires is not None and at >= rule.expires:
            continue
        if rule.starts is not None and at < rule.starts:
            continue
        if compiled.window is not None and not compiled.window.contains(at):
            continue
        if not _rule_matches(compiled, categories, found.sites, url):
            continue
        matched = compiled.category_mask & categories or categories
        if compiled.category_mask & categories or not compiled.site_mask & found.sites:
            if matched:
                return _categorised(
                    policy,
                    found,
                    rule.action,
                    Reason.RULE,
                    group,
                    identity,
                    url,
                    first_bit(matched),
                    sources,
                    compiled,
                    rule.alert,
                )
            return Decision(
                rule.action,
                Reason.RULE,
                group,
                identity,
                None,
                None,
                None,
                None,
                rule.number,
                rule.name,
                rule.window,
                rule.alert,
                url.host,
            )
        site_index = policy.sites_index
        assert site_index is not None
        for key, mask in found.site_hits:
            if mask & compiled.site_mask:
                source = site_index.source_names(mask & compiled.site_mask)[0]
                return Decision(
                    rule.action,
                    Reason.RULE,
                    group,
                    identity,
                    None,
                    None,
                    source,
                    describe_key(key)[1],
                    rule.number,
                    rule.name,
                    rule.window,
                    rule.alert,
                    url.host,
                )

    default = policy.policy.groups[group].default_action
    if categories:
        return _categorised(
            policy,
            found,
            default,
            Reason.GROUP_DEFAULT,
            group,
            identity,
            url,
            first_bit(categories),
            sources,
            None,
            AlertLevel.NONE,
        )
    return Decision(default, Reason.GROUP_DEFAULT, group, identity, host=url.host)


def _categorised(
    policy: CompiledPolicy,
    found: Lookup,
    verdict: Action,
    reason: Reason,
    group: str,
    identity: str,
    url: Url,
    bit: int,
    sources: int,
    compiled: CompiledRule | None,
    alert: AlertLevel,
) -> Decision:
    """A decision that names the category (numbered `bit`) and the list entry behind it."""
    name = policy.category_names[bit]
    mask = policy.category_source_masks[bit] & sources
    entry, _ = _explaining_hit(found, mask)
    rule = compiled.rule if compiled is not None else None
    return Decision(
        verdict,
        reason,
        group,
        identity,
        name,
        policy.category_uksic[bit],
        policy.index.first_source(mask),
        entry,
        rule.number if rule else None,
        rule.name if rule else None,
        rule.window if rule else None,
        alert,
        url.host,
    )


def explain(decision: Decision) -> str:
    """One line a network manager reads at a glance, e.g.

    blocked — category gambling (UKSIC: gambling), entry bet365.com in list ut1/gambling,
    rule 4 "pupils may not gamble", group ks2, window lessons
    """
    verdict = "blocked" if decision.blocked else "allowed"
    parts: list[str] = []
    if decision.reason is Reason.UNPARSABLE:
        parts.append("the request could not be read as a URL")
    elif decision.reason is Reason.NO_POLICY:
        parts.append("no policy could be loaded (failing closed)")
    elif decision.reason is Reason.INTERNAL_ERROR:
        parts.append("the filter failed on this request (failing closed)")
    if decision.category:
        uksic = f" (UKSIC: {decision.uksic})" if decision.uksic else ""
        parts.append(f"category {decision.category}{uksic}")
    if decision.entry:
        where = f" in list {decision.source}" if decision.source else ""
        parts.append(f"entry {decision.entry}{where}")
    if decision.reason is Reason.LOCKED:
        parts.append("locked list (no rule can override it)")
    elif decision.rule is not None:
        parts.append(f'rule {decision.rule} "{decision.rule_name}"')
    elif decision.reason is Reason.GROUP_DEFAULT:
        parts.append("no rule matched: the group's default")
    parts.append(f"group {decision.group} ({decision.identity})")
    if decision.window:
        parts.append(f"window {decision.window}")
    if decision.alert is not AlertLevel.NONE:
        parts.append(f"alert {decision.alert}")
    return f"{verdict} — " + ", ".join(parts)
