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

from schoolgate.engine.index import Hit
from schoolgate.engine.policy import Action, AlertLevel, CompiledPolicy, CompiledRule, first_bit
from schoolgate.engine.urls import Url, parse_url, strip_www

__all__ = ["Decision", "Reason", "Request", "decide", "explain", "lookup"]


class Reason(StrEnum):
    LOCKED = "locked-list"
    RULE = "rule"
    GROUP_DEFAULT = "group-default"
    UNPARSABLE = "unparsable-request"
    NO_POLICY = "no-policy"


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
    """Every list entry that matched a request, with the combined source masks."""

    hits: list[Hit]
    sources: int
    site_hits: list[Hit]
    sites: int


def lookup(policy: CompiledPolicy, url: Url) -> Lookup:
    """Find every list entry, in the index and in the policy's site lists, that matches `url`."""
    host = url.host
    target = url.target.lower()
    if target:
        keys = [strip_www(host) + target]
        if keys[0] != host + target:
            keys.append(host + target)
    else:  # a CONNECT line: only whole-site URL entries ("example.com/") can match
        keys = [host + "/"]
    full = host + target if url.port is None else f"{host}:{url.port}{target}"

    index = policy.index
    hits = index.match_host(host)
    for key in keys:
        hits += index.match_url(key)
    hits += index.match_expressions(full)
    sources = 0
    for hit in hits:
        sources |= hit.sources

    site_hits: list[Hit] = []
    sites = 0
    site_index = policy.sites_index
    if site_index is not None:
        site_hits = site_index.match_host(host)
        for key in keys:
            site_hits += site_index.match_url(key)
        for hit in site_hits:
            sites |= hit.sources
    return Lookup(hits, sources, site_hits, sites)


def _rule_matches(rule: CompiledRule, categories: int, sites: int, url: Url) -> bool:
    if rule.rule.all_sites or rule.category_mask & categories or rule.site_mask & sites:
        return True
    if rule.patterns:
        text = url.host + url.target
        return any(p.search(text) for p in rule.patterns)
    return False


def decide(policy: CompiledPolicy, request: Request, at: datetime) -> Decision:
    """Decide one request at the instant `at` (timezone-aware)."""
    group, identity = policy.identify(request.user, request.client_ip)
    url = parse_url(request.url)
    if url is None:
        return Decision(policy.policy.unparsable_action, Reason.UNPARSABLE, group, identity)
    found = lookup(policy, url)
    categories = policy.categories_of(found.sources) if found.sources else 0

    if found.sources & policy.locked_mask:
        for hit in found.hits:
            if hit.sources & policy.locked_mask:
                bit = _category_bit(policy, hit.sources & policy.locked_mask)
                return _with_category(
                    policy,
                    Decision(
                        Action.BLOCK, Reason.LOCKED, group, identity, alert=AlertLevel.HIGH, host=url.host
                    ),
                    bit,
                    hit,
                    hit.sources & policy.locked_mask,
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
        decision = Decision(
            rule.action,
            Reason.RULE,
            group,
            identity,
            rule=rule.number,
            rule_name=rule.name,
            window=rule.window,
            alert=rule.alert,
            host=url.host,
        )
        matched = compiled.category_mask & categories
        if matched:
            bit = first_bit(matched)
            mask = policy.category_source_masks[bit] & found.sources
            hit = next(h for h in found.hits if h.sources & mask)
            return _with_category(policy, decision, bit, hit, mask)
        if compiled.site_mask & found.sites:
            site = next(h for h in found.site_hits if h.sources & compiled.site_mask)
            assert policy.sites_index is not None
            names = policy.sites_index.source_names(site.sources & compiled.site_mask)
            return decision._replace(source=names[0], entry=site.entry)
        if categories:  # an all-sites or pattern rule: still say what the request is
            bit = first_bit(categories)
            mask = policy.category_source_masks[bit] & found.sources
            hit = next(h for h in found.hits if h.sources & mask)
            return _with_category(policy, decision, bit, hit, mask)
        return decision

    default = policy.policy.groups[group].default_action
    decision = Decision(default, Reason.GROUP_DEFAULT, group, identity, host=url.host)
    if categories:
        bit = first_bit(categories)
        mask = policy.category_source_masks[bit] & found.sources
        hit = next(h for h in found.hits if h.sources & mask)
        return _with_category(policy, decision, bit, hit, mask)
    return decision


def _category_bit(policy: CompiledPolicy, sources: int) -> int:
    return first_bit(policy.categories_of(sources))


def _with_category(policy: CompiledPolicy, decision: Decision, bit: int, hit: Hit, sources: int) -> Decision:
    name = policy.category_names[bit]
    category = policy.policy.categories[name]
    source_names = policy.index.source_names(sources & policy.category_source_masks[bit])
    return decision._replace(
        category=name,
        uksic=category.uksic,
        source=source_names[0] if source_names else None,
        entry=hit.entry,
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
