"""`decide(policy, request, at) -> Decision`: the hot path every gateway calls.

The chain, and why each link sits where it does:

1. Identify the group (user name first, then the client address, else `default`): everything after
   depends on the group. Timed identities count only at the instants they are in force.
2. Canonicalise the URL; an unparsable request gets the policy's answer for it (block by default),
   never an exception.
3. Look the request up in the compiled index (domains, URL prefixes, expressions) and in the policy's
   own site lists: one pass gives every list source that matched.
4. Locked lists block before any rule or grant, for everyone.
5. The first grant, then the first rule, of the group (its own, those of the groups it is within, and
   those for everyone) that is in force (`at` inside its window, started, not expired) and whose
   "what" matches decides. A decision by a grant names it by its number, after the rules', and its
   name always says which request it came from ("request 14: ...").
6. Otherwise the group's default.

Every Decision carries its explanation: verdict, reason, group, category, list entry, rule, window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol

from schoolgate.engine.index import Index, describe_key, domain_key
from schoolgate.engine.policy import (
    DEFAULT_GROUP,
    Action,
    AlertLevel,
    CompiledPolicy,
    CompiledRule,
    Rule,
    first_bit,
    user_key,
)
from schoolgate.engine.urls import Url, fast_url, parse_url, strip_www

__all__ = ["Decision", "Outcome", "Reason", "Request", "RequestLike", "decide", "decide_many", "explain"]


class Reason(StrEnum):
    LOCKED = "locked-list"
    RULE = "rule"
    GROUP_DEFAULT = "group-default"
    UNPARSABLE = "unparsable-request"
    NO_POLICY = "no-policy"
    INTERNAL_ERROR = "internal-error"


class RequestLike(Protocol):
    """What `decide` reads of a request: gateways pass their own parsed line as it is."""

    @property
    def url(self) -> str: ...
    @property
    def user(self) -> str | None: ...
    @property
    def client_ip(self) -> str | None: ...


class Request(NamedTuple):
    """What a gateway knows about one request."""

    url: str
    user: str | None = None
    client_ip: str | None = None
    method: str | None = None


class Decision(NamedTuple):
    """A verdict with its reasons."""

    # First, the fields the outcome fixes: the same for every request a rule decides for a group.
    verdict: Action
    reason: Reason
    group: str
    category: str | None = None
    uksic: str | None = None
    rule: int | None = None
    rule_name: str | None = None
    window: str | None = None
    alert: AlertLevel = AlertLevel.NONE
    # Then the list behind it (one of the outcome's sources), and what differs from one request to the next.
    source: str | None = None
    identity: str = "unidentified"
    entry: str | None = None
    host: str | None = None

    @property
    def blocked(self) -> bool:
        return self.verdict is Action.BLOCK


class Outcome(NamedTuple):
    """What the rules make of a request, before the per-request details (source, entry, host) are added.

    It depends only on the group, the list sources and site lists that matched, and the instant, so
    `decide_many` works it out once per distinct combination."""

    head: tuple[object, ...]  # the first fields of every Decision with this outcome, verdict to alert
    sources: int  # the list sources behind the decision (where its entry is found), or 0
    sites: int  # the site lists that made the rule match when no category did, or 0


_new = tuple.__new__


def _make_outcome(
    policy: CompiledPolicy,
    verdict: Action,
    reason: Reason,
    group: str,
    rule: Rule | None,
    bit: int,
    sources: int,
    sites: int,
    alert: AlertLevel,
) -> Outcome:
    category = policy.category_names[bit] if bit >= 0 else None
    uksic = policy.category_uksic[bit] if bit >= 0 else None
    if rule is None:
        head: tuple[object, ...] = (verdict, reason, group, category, uksic, None, None, None, alert)
    else:
        head = (verdict, reason, group, category, uksic, rule.number, rule.title, rule.window, alert)
    return Outcome(head, sources, sites)


def _outcome(policy: CompiledPolicy, group: str, sources: int, sites: int, url: Url, at: datetime) -> Outcome:
    """Locked lists, then the group's rules in order, then the group's default."""
    locked = sources & policy.locked_mask
    if locked:
        # A locked list need not belong to a category: the decision then names its list and entry.
        locked_categories = policy.categories_of(locked)
        bit = first_bit(locked_categories) if locked_categories else -1
        return _make_outcome(
            policy, Action.BLOCK, Reason.LOCKED, group, None, bit, locked, 0, AlertLevel.HIGH
        )
    categories = policy.categories_of(sources) if sources else 0
    for compiled in policy.rules_by_group.get(group, ()):
        rule = compiled.rule
        if compiled.timed and not _in_force(compiled, at):
            continue
        matched = compiled.category_mask & categories
        if not (matched or rule.all_sites or compiled.site_mask & sites or _pattern_matches(compiled, url)):
            continue
        if not matched and compiled.site_mask & sites:
            return _make_outcome(
                policy, rule.action, Reason.RULE, group, rule, -1, 0, compiled.site_mask & sites, rule.alert
            )
        # Name a category whenever the request has one: the rule's own, else the request's first.
        bit = first_bit(matched or categories) if categories else -1
        behind = policy.category_source_masks[bit] & sources if bit >= 0 else 0
        return _make_outcome(policy, rule.action, Reason.RULE, group, rule, bit, behind, 0, rule.alert)
    default = policy.policy.groups[group].default_action
    bit = first_bit(categories) if categories else -1
    behind = policy.category_source_masks[bit] & sources if bit >= 0 else 0
    return _make_outcome(policy, default, Reason.GROUP_DEFAULT, group, None, bit, behind, 0, AlertLevel.NONE)


def _in_force(compiled: CompiledRule, at: datetime) -> bool:
    rule = compiled.rule
    if rule.expires is not None and at >= rule.expires:
        return False
    if rule.starts is not None and at < rule.starts:
        return False
    return compiled.window is None or compiled.window.contains(at)


def timed_rules_in_force(policy: CompiledPolicy, at: datetime) -> frozenset[int]:
    """The numbers of the rules and grants with a window, a start or an expiry that are in force at
    `at`: while this set stays the same, so does every decision for a group (what a zone export has
    to follow; who is in which group is the gateways' own concern)."""
    return frozenset(
        compiled.rule.number
        for rules in policy.rules_by_group.values()
        for compiled in rules
        if compiled.timed and _in_force(compiled, at)
    )


def _pattern_matches(compiled: CompiledRule, url: Url) -> bool:
    if not compiled.patterns:
        return False
    text = url.host + url.target
    try:
        return any(p.search(text) for p in compiled.patterns)
    except UnicodeEncodeError:  # bytes that were not UTF-8: match what can be matched
        text = text.encode("utf-8", "replace").decode("utf-8")
        return any(p.search(text) for p in compiled.patterns)


def decide(policy: CompiledPolicy, request: RequestLike, at: datetime) -> Decision:
    """Decide one request at the instant `at` (timezone-aware)."""
    return decide_many(policy, (request,), at)[0]


def decide_many(policy: CompiledPolicy, requests: Iterable[RequestLike], at: datetime) -> list[Decision]:
    """Decide a batch of requests at one instant. The gateways' hot path: everything that does not
    depend on the request itself is looked up once, not once per request."""
    if policy.timed_identities:  # who is who at this instant (the batch's): one view, made once
        policy = policy.at_instant(at)
    index = policy.index
    source_names = index.sources
    match_set = index.expression_matcher
    expression_entries = index.expression_entries
    site_index = policy.sites_index
    identify = policy.identify
    networks = policy.has_networks
    users = policy.users
    unparsable = policy.policy.unparsable_action
    # Outcomes that do not depend on the time are kept for the life of the policy; the others for
    # this batch (one instant). Groups with URL-pattern rules are worked out request by request.
    lasting: dict[tuple[str, int, int], Outcome] = policy.lasting_outcomes
    lasting_groups, pattern_groups = policy.lasting_groups, policy.pattern_groups
    batch: dict[tuple[str, int, int], Outcome] = {}
    out: list[Decision] = []
    append = out.append
    for request in requests:
        # CompiledPolicy.identify(), inline: user name first, then address, else "default".
        user = request.user
        group = users.get(user.lower() if user.isascii() else user_key(user)) if user and users else None
        if group is not None:
            identity = "user " + user  # type: ignore[operator]  # user is set whenever group is
        else:
            address = request.client_ip
            if address and networks:
                group, identity = identify(None, address)
            else:
                group, identity = DEFAULT_GROUP, "unidentified"
        text = request.url
        url = (fast_url is not None and fast_url(text, Url)) or parse_url(text)
        if url is None:
            append(_new(Decision, (unparsable, Reason.UNPARSABLE, group, *_NO_DETAILS, identity, None, None)))
            continue
        host, target = url.host, url.target
        lowered = target.lower()
        query_target = lowered or "/"
        hits = _index_hits(index, host, query_target)
        trie_hits = len(hits)
        if match_set is not None:
            full = host + lowered if url.port is None else f"{host}:{url.port}{lowered}"
            try:
                found = match_set(full.encode())
            except UnicodeEncodeError:  # bytes that were not UTF-8: the index's own method copes
                hits += [(h.entry, h.sources) for h in index.match_expressions(full)]
            else:
                if found:
                    hits += [expression_entries[i] for i in sorted(found)]
        sources = 0
        for _, mask in hits:
            sources |= mask
        site_hits: list[tuple[str, int]] = []
        sites = 0
        if site_index is not None:
            site_hits = _index_hits(site_index, host, query_target)
            for _, mask in site_hits:
                sites |= mask

        memo_key = (group, sources, sites)
        keep = lasting if group in lasting_groups else batch
        outcome = keep.get(memo_key)
        if outcome is None:
            outcome = _outcome(policy, group, sources, sites, url, at)
            if group not in pattern_groups and len(keep) < _MAX_REMEMBERED:
                keep[memo_key] = outcome

        entry = source = None
        if outcome.sources:
            behind = outcome.sources
            for position, (key_text, mask) in enumerate(hits):
                if mask & behind:
                    if position >= trie_hits:
                        entry = key_text  # an expression
                    else:  # describe_key(), inline: this runs for every categorised request
                        dot = key_text.find("./")
                        entry = key_text[-2::-1] if dot < 0 else key_text[dot - 1 :: -1] + key_text[dot + 1 :]
                    mask &= behind
                    source = source_names[(mask & -mask).bit_length() - 1]
                    break
        elif outcome.sites:
            assert site_index is not None
            for key_text, mask in site_hits:
                if mask & outcome.sites:
                    entry = describe_key(key_text)[1]
                    source = site_index.first_source(mask & outcome.sites)
                    break
        append(_new(Decision, (*outcome.head, source, identity, entry, host)))
    return out


_WWW_LIKE = frozenset({"www", "web", "ftp"})  # what strip_www() can remove starts with one of these
_NO_DETAILS = (None, None, None, None, None, AlertLevel.NONE, None)  # category to source
_MAX_REMEMBERED = 100_000  # a bound on memory whatever the traffic


def decide_name(policy: CompiledPolicy, group: str, host: str, at: datetime) -> Decision:
    """What the policy decides for a member of `group` who asks for the site `host` as a whole, with
    nothing known of the page: the question DNS filtering answers, which sees names only. Lists,
    locked lists, rules (their URL patterns tried on `host/`) and the group's default, as `decide`."""
    url = parse_url(host)
    if url is None:
        return Decision(policy.policy.unparsable_action, Reason.UNPARSABLE, group, identity=f"group {group}")
    hits = _index_hits(policy.index, url.host, "/")
    hits += [(h.entry, h.sources) for h in policy.index.match_expressions(url.host + "/")]
    sources = sites = 0
    for _, mask in hits:
        sources |= mask
    if policy.sites_index is not None:
        for _, mask in _index_hits(policy.sites_index, url.host, "/"):
            sites |= mask
    outcome = _outcome(policy, group, sources, sites, url, at)
    source = policy.index.first_source(outcome.sources) if outcome.sources else None
    return _new(Decision, (*outcome.head, source, f"group {group}", None, url.host))


def _index_hits(index: Index, host: str, query_target: str) -> list[tuple[str, int]]:
    """(trie key, source mask) of every domain and URL entry of `index` that matches the request."""
    hits = index.match(host[::-1] + "." + query_target)
    if hits and host[:3] in _WWW_LIKE:
        stripped = strip_www(host)
        if len(stripped) != len(host):
            # squidGuard's "stripped URL": URL entries also match without one www./web./ftp. label.
            # Asked only when the stripped host has URL entries (it is then a key on the way).
            stripped_key = domain_key(stripped)
            for hit_key, _ in hits:
                if hit_key == stripped_key:
                    if index.has_urls(stripped_key):
                        hits += [h for h in index.match(stripped_key + query_target) if "/" in h[0]]
                    break
    return hits


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
        source = decision.source or ""
        if source.startswith("site:"):
            where = f" in site list {source.removeprefix('site:')}"
        elif source.startswith("rule:"):
            where = " (listed in the rule itself)"
        else:
            where = f" in list {source}" if source else ""
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
