"""What a change to the policy means, in sentences for a busy teacher rather than a TOML diff.

`summarise(old, new, requests=...)` compares two parsed policy files (`parse_policy`) and says every
difference in plain words: "Year 6 may now visit coolmathgames.com in lessons until 19 December
(request 14, approved by P. Okafor)", "Rule 3 'no games' now also applies to 'year-6'", "61 user names
move from 'pupils' to 'year-6' and no longer get the rules of 'pupils'". It is pure (no database, no
clock): the view passes `requests`, a lookup from a request number to who decided it and how it
stands, because the file itself names no person. Dates and times are in the school's time zone (the
new file's), "19 December" style.

The publish page shows these sentences first, with the TOML diff one click away; a version's page
shows its summary against the version before. The sentences are a reading aid, never the record:
the diff and the policy file stay the exact account of what changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from types import MappingProxyType

from schoolgate.engine.policy import EVERYONE, Action, AlertLevel, Group, Policy, Rule, TimedIdentity
from schoolgate.engine.windows import Window
from schoolgate.policyfile.load import ListDeclaration, PolicyFile

__all__ = ["SECTIONS", "Kind", "RequestInfo", "Sentence", "by_section", "summarise", "when_words"]

# How many names a sentence lists before it says "and 4 more".
_SHOWN = 3

# The headings a page groups the sentences under, in the order it shows them: what approved requests
# did first (the most common reason to publish), the school's settings last.
REQUESTS, RULES, GROUPS, MEMBERS = "Requests", "Rules", "Groups", "Who is in which group"
WINDOWS, CATEGORIES, SITES, LISTS = "Time windows and term dates", "Categories", "Site lists", "Lists"
SETTINGS, WHOLE = "Settings", "The policy"
SECTIONS = (WHOLE, REQUESTS, RULES, GROUPS, MEMBERS, WINDOWS, CATEGORIES, SITES, LISTS, SETTINGS)


class Kind(StrEnum):
    """Whether a sentence is about something new, something taken out, or something that changed."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Sentence:
    """One difference in words, under one of `SECTIONS`."""

    text: str
    kind: Kind
    section: str


@dataclass(frozen=True)
class RequestInfo:
    """What the view knows of a request a grant names (the file names no person): who decided it,
    whether a teacher made it without approval, and who ended its grant early, if anyone did."""

    approver: str = ""
    without_approval: bool = False
    ended_by: str = ""


_NO_REQUESTS: Mapping[int, RequestInfo] = MappingProxyType({})


def _q(name: str) -> str:
    return f"'{name}'"


def _n(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _some(items: Sequence[str], quote: bool = False) -> str:
    """ "a, b and c", or "a, b, c and 4 more" when there are many."""
    shown = [_q(i) if quote else i for i in items[:_SHOWN]]
    rest = len(items) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def when_words(at: datetime, zone: tzinfo) -> str:
    """An instant for people: "19 December" at midnight, else "15:00, 6 December" (school's time)."""
    local = at.astimezone(zone)
    day = f"{local.day} {local:%B}"
    return day if local.time() == time(0, 0) else f"{local:%H:%M}, {day}"


# ---------------------------------------------------------------------------------------------------------
# Who, what and when of a rule


def _who(rule: Rule) -> str:
    """Whom a rule is for. A person's or class's grant names a group made for it (`request-14`), which
    means nothing to a reader: its name ("request 14: coolmathgames.com for class 6B") says whom."""
    groups = rule.groups
    if not groups or EVERYONE in groups:
        return "everyone"
    if rule.request is not None and all(g.startswith("request-") for g in groups) and " for " in rule.name:
        return rule.name.split(" for ", 1)[1]
    return ("the group " if len(groups) == 1 else "the groups ") + _some(groups, True)


def _things(rule: Rule) -> list[str]:
    """Each thing a rule covers, in words: "the category 'games'", "the site list 'curriculum'", a domain."""
    out = ["every site"] if rule.all_sites else []
    out += [f"the category {_q(c)}" for c in rule.categories]
    out += [f"the site list {_q(s)}" for s in rule.sites]
    out += [*rule.domains, *rule.urls]
    out += [f"addresses matching {p}" for p in rule.patterns]
    return out


def _what(rule: Rule) -> str:
    return _some(_things(rule)) or "nothing"


def _when(rule: Rule, zone: tzinfo) -> str:
    parts: list[str] = []
    if rule.window:
        parts.append(f"in {rule.window}")
    if rule.starts is not None:
        parts.append(f"from {when_words(rule.starts, zone)}")
    if rule.expires is not None:
        parts.append(f"until {when_words(rule.expires, zone)}")
    return (" " + " ".join(parts)) if parts else ""


def _does(rule: Rule, zone: tzinfo) -> str:
    """What a rule now does: "class 6B may now visit example.org in lessons until 19 December"."""
    verb = "may now visit" if rule.action == Action.ALLOW else "may no longer visit"
    return f"{_who(rule)} {verb} {_what(rule)}{_when(rule, zone)}"


def _did(rule: Rule, zone: tzinfo) -> str:
    """What a rule that is taken out did: "it allowed class 6B to visit example.org until ..."."""
    if rule.action == Action.ALLOW:
        return f"it allowed {_who(rule)} to visit {_what(rule)}{_when(rule, zone)}"
    return f"it blocked {_what(rule)} for {_who(rule)}{_when(rule, zone)}"


def _rule_key(rule: Rule) -> tuple[object, ...]:
    """Everything a rule says but its number: two rules with the same key are the same rule."""
    return (
        rule.name,
        rule.action,
        rule.groups,
        rule.categories,
        rule.sites,
        rule.domains,
        rule.urls,
        rule.patterns,
        rule.all_sites,
        rule.window,
        rule.starts,
        rule.expires,
        rule.alert,
        rule.request,
    )


def _how_changed(a: Rule, b: Rule, zone: tzinfo) -> list[str]:
    """What is different about rule `b` from what it was (`a`), one phrase per difference."""
    out: list[str] = []
    if a.action != b.action:
        out.append("now allows what it blocked" if b.action == Action.ALLOW else "now blocks what it allowed")
    everyone_a, everyone_b = EVERYONE in a.groups or not a.groups, EVERYONE in b.groups or not b.groups
    if everyone_b and not everyone_a:
        out.append("now applies to everyone")
    elif everyone_a and not everyone_b:
        out.append("now applies only to " + _some(b.groups, True))
    else:
        if added := [g for g in b.groups if g not in a.groups]:
            out.append("now also applies to " + _some(added, True))
        if gone := [g for g in a.groups if g not in b.groups]:
            out.append("no longer applies to " + _some(gone, True))
    was, now = _things(a), _things(b)
    if added := [t for t in now if t not in was]:
        out.append("now also covers " + _some(added))
    if gone := [t for t in was if t not in now]:
        out.append("no longer covers " + _some(gone))
    if a.window != b.window:
        if b.window is None:
            out.append(f"now applies at all times, not only in {a.window}")
        elif a.window is None:
            out.append(f"now applies only in {b.window}")
        else:
            out.append(f"now applies in {b.window} instead of {a.window}")
    if a.starts != b.starts:
        out.append(
            "now applies without waiting for a start"
            if b.starts is None
            else f"now starts {when_words(b.starts, zone)}"
        )
    if a.expires != b.expires:
        out.append(
            "no longer ends by itself"
            if b.expires is None
            else f"now lasts until {when_words(b.expires, zone)}"
        )
    if a.alert != b.alert:
        out.append(
            "no longer raises an alert"
            if b.alert == AlertLevel.NONE
            else f"now raises a {b.alert.value} alert when it blocks"
        )
    return out


def _request_words(rule: Rule, requests: Mapping[int, RequestInfo]) -> str:
    if rule.request is None:
        return ""
    found = requests.get(rule.request)
    if found is None or not found.approver:
        return f" (request {rule.request})"
    if found.without_approval:
        return f" (request {rule.request}, made by {found.approver} without approval)"
    return f" (request {rule.request}, approved by {found.approver})"


# ---------------------------------------------------------------------------------------------------------
# The parts of the file


def _settings(old: Policy, new: Policy) -> list[tuple[Kind, str]]:
    out: list[tuple[Kind, str]] = []
    if old.school != new.school:
        out.append((Kind.CHANGED, f"The school's name becomes {_q(new.school)}."))
    if str(old.timezone) != str(new.timezone):
        out.append((Kind.CHANGED, f"The school's time zone becomes {new.timezone}."))
    if old.block_page != new.block_page:
        out.append((Kind.CHANGED, f"Blocked visitors are sent to {new.block_page}."))
    if old.unparsable_action != new.unparsable_action:
        verb = "blocked" if new.unparsable_action == Action.BLOCK else "allowed"
        out.append((Kind.CHANGED, f"Addresses the filter cannot read are now {verb}."))
    return out


def _group_words(group: Group) -> str:
    parts = [f"sites no rule decides are {'allowed' if group.default_action == Action.ALLOW else 'blocked'}"]
    parts.append("safe search on" if group.safe_search else "safe search off")
    parts.append(f"YouTube {group.youtube.value}")
    return ", ".join(parts)


def _groups(old: Policy, new: Policy) -> list[tuple[Kind, str]]:
    """Groups made, taken out and changed; those made for a request (`request-14`) are the grant's
    business and said there."""
    out: list[tuple[Kind, str]] = []
    for name in sorted(set(new.groups) - set(old.groups)):
        if name.startswith("request-"):
            continue
        group = new.groups[name]
        part = (
            f" (part of {_q(group.within)}: it gets the rules of {_q(group.within)} too)"
            if group.within
            else ""
        )
        out.append((Kind.ADDED, f"New group {_q(name)}{part}: {_group_words(group)}."))
    for name in sorted(set(old.groups) - set(new.groups)):
        if not name.startswith("request-"):
            out.append((Kind.REMOVED, f"The group {_q(name)} is taken out."))
    for name in sorted(set(old.groups) & set(new.groups)):
        was, now = old.groups[name], new.groups[name]
        if name.startswith("request-"):
            continue
        if was.default_action != now.default_action:
            verb = "allowed" if now.default_action == Action.ALLOW else "blocked"
            out.append((Kind.CHANGED, f"For {_q(name)}, sites no rule decides are now {verb}."))
        if was.safe_search != now.safe_search:
            out.append(
                (Kind.CHANGED, f"Safe search is now {'on' if now.safe_search else 'off'} for {_q(name)}.")
            )
        if was.youtube != now.youtube:
            out.append((Kind.CHANGED, f"YouTube is now {now.youtube.value} for {_q(name)}."))
        if was.within != now.within:
            if was.within is not None:
                lost = (
                    f"{_q(name)} is no longer part of {_q(was.within)}: "
                    f"it loses the rules of {_q(was.within)}"
                )
                out.append(
                    (Kind.CHANGED, lost + (f", and is now part of {_q(now.within)}." if now.within else "."))
                )
            else:
                out.append(
                    (
                        Kind.CHANGED,
                        f"{_q(name)} is now part of {_q(now.within or '')}: "
                        f"it gets the rules of {_q(now.within or '')} too.",
                    )
                )
    return out


def _placement(policy: Policy) -> dict[tuple[str, str], str]:
    where: dict[tuple[str, str], str] = {("users", u.lower()): g for u, g in policy.users.items()}
    for network in policy.networks:
        where.setdefault(("networks", str(network.network)), network.group)
    return where


def _kind_words(kind: str, count: int) -> str:
    return _n(count, "user name") if kind == "users" else _n(count, "network")


def _lineage(policy: Policy, group: str) -> list[str]:
    """The group and every group it is part of, nearest first."""
    out = [group]
    while (found := policy.groups.get(out[-1])) is not None and found.within and found.within not in out:
        out.append(found.within)
    return out


def _members(old: Policy, new: Policy) -> list[tuple[Kind, str]]:
    """Who is in which group, counted by move: "61 user names move from 'pupils' to 'year-6' ..."."""
    before, after = _placement(old), _placement(new)
    moves: Counter[tuple[str, str, str]] = Counter()
    for key in set(before) | set(after):
        was, now = before.get(key, ""), after.get(key, "")
        if was != now:
            moves[(key[0], was, now)] += 1
    out: list[tuple[Kind, str]] = []
    for (kind, was, now), count in sorted(moves.items()):
        who = _kind_words(kind, count)
        one = count == 1
        if not was:
            out.append((Kind.ADDED, f"{who} {'joins' if one else 'join'} {_q(now)}."))
        elif not now:
            out.append(
                (
                    Kind.REMOVED,
                    f"{who} {'leaves' if one else 'leave'} {_q(was)} "
                    "and will be unidentified (the group 'default').",
                )
            )
        else:
            tail = (
                f" and keep the rules of {_q(was)} ({_q(now)} is part of {_q(was)})"
                if was in _lineage(new, now)
                else f" and no longer get the rules of {_q(was)}"
            )
            out.append(
                (Kind.CHANGED, f"{who} {'moves' if one else 'move'} from {_q(was)} to {_q(now)}{tail}.")
            )
    return out


def _timed_key(block: TimedIdentity) -> tuple[object, ...]:
    return (
        block.group,
        block.users,
        tuple(str(n.network) for n in block.networks),
        block.starts,
        block.expires,
    )


def _access(block: TimedIdentity) -> str:
    parts = []
    if block.users:
        parts.append(_kind_words("users", len(block.users)))
    if block.networks:
        parts.append(_kind_words("networks", len(block.networks)))
    return "Access of " + " and ".join(parts or ["nobody"])


def _span(block: TimedIdentity, zone: tzinfo) -> str:
    parts = []
    if block.starts is not None:
        parts.append(f"from {when_words(block.starts, zone)}")
    if block.expires is not None:
        parts.append(f"until {when_words(block.expires, zone)}")
    return (" " + " ".join(parts)) if parts else ""


def _timed(old: Policy, new: Policy, zone: tzinfo) -> list[tuple[Kind, str]]:
    """Access for a time (visitors, supply staff); the people of a request are its grant's business."""
    was = {_timed_key(b): b for b in old.timed_identities if not b.group.startswith("request-")}
    now = {_timed_key(b): b for b in new.timed_identities if not b.group.startswith("request-")}
    out: list[tuple[Kind, str]] = []
    for key, block in now.items():
        if key not in was:
            out.append((Kind.ADDED, f"{_access(block)} in {_q(block.group)}{_span(block, zone)}."))
    for key, block in was.items():
        if key not in now:
            out.append(
                (Kind.REMOVED, f"{_access(block)} in {_q(block.group)}{_span(block, zone)} is taken out.")
            )
    return out


def _by_name(rules: Iterable[Rule]) -> dict[str, Rule]:
    """Rules by name; a name used twice is told apart by its place among the rules of that name."""
    seen: Counter[str] = Counter()
    out: dict[str, Rule] = {}
    for rule in rules:
        seen[rule.name] += 1
        out[rule.name if seen[rule.name] == 1 else f"{rule.name} ({seen[rule.name]})"] = rule
    return out


def _kept_in_order(positions: list[int]) -> set[int]:
    """The longest run of `positions` that is still in increasing order (by index into the list):
    the rules that stayed put while the others moved around them."""
    best: list[list[int]] = []  # best[i]: the longest increasing run ending at i
    for i, pos in enumerate(positions):
        chain: list[int] = []
        for run in best:
            if positions[run[-1]] < pos and len(run) > len(chain):
                chain = run
        best.append([*chain, i])
    longest: list[int] = []
    for run in best:
        if len(run) > len(longest):
            longest = run
    return set(longest)


def _rules(old: Policy, new: Policy, zone: tzinfo) -> list[tuple[Kind, str]]:
    was, now = _by_name(old.rules), _by_name(new.rules)
    out: list[tuple[Kind, str]] = []
    for name, rule in now.items():
        if name not in was:
            out.append((Kind.ADDED, f"New rule {rule.number} {_q(rule.name)}: {_does(rule, zone)}."))
    for name, rule in was.items():
        if name not in now:
            out.append(
                (Kind.REMOVED, f"Rule {rule.number} {_q(rule.name)} is taken out: {_did(rule, zone)}.")
            )
    common = [n for n in now if n in was]
    for name in common:
        if phrases := _how_changed(was[name], now[name], zone):
            rule = now[name]
            out.append((Kind.CHANGED, f"Rule {rule.number} {_q(rule.name)} {', and '.join(phrases)}."))
    order = [list(was).index(n) for n in common]
    kept = _kept_in_order(order)
    for i, name in enumerate(common):
        if i in kept:
            continue
        rule = now[name]
        where = (
            f"now comes before {_q(now[common[i + 1]].name)}"
            if i + 1 < len(common)
            else f"now comes after {_q(now[common[i - 1]].name)}"
        )
        out.append(
            (
                Kind.CHANGED,
                f"Rule {rule.number} {_q(rule.name)} moves: it {where} "
                "(the first rule that matches decides).",
            )
        )
    return out


def _grants(
    old: Policy, new: Policy, zone: tzinfo, requests: Mapping[int, RequestInfo]
) -> list[tuple[Kind, str]]:
    """Approved requests that start, end or change; a grant changed in place (same request, new
    terms) is one sentence saying what holds now."""
    was = {_rule_key(g): g for g in old.grants}
    now = {_rule_key(g): g for g in new.grants}
    gone = [g for k, g in was.items() if k not in now]
    came = [g for k, g in now.items() if k not in was]
    changed = {g.request for g in gone} & {g.request for g in came}
    out: list[tuple[Kind, str]] = []
    for grant in came:
        kind = Kind.CHANGED if grant.request in changed else Kind.ADDED
        out.append((kind, f"{_does(grant, zone)}{_request_words(grant, requests)}."))
    for grant in gone:
        if grant.request in changed:
            continue
        found = requests.get(grant.request) if grant.request is not None else None
        if found is not None and found.ended_by:
            ended = f"was ended early by {found.ended_by}"
        else:
            ended = "has ended"
        out.append((Kind.REMOVED, f"Request {grant.request} {ended}: {_did(grant, zone)}."))
    return out


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _range(first: date, last: date) -> str:
    return _day(first) if first == last else f"{_day(first)} to {_day(last)}"


def _dates(a: Window, b: Window, which: str) -> str:
    was, now = set(getattr(a, which)), set(getattr(b, which))
    parts = []
    if added := sorted(now - was, key=lambda r: r.first):
        parts.append("added " + _some([_range(r.first, r.last) for r in added]))
    if gone := sorted(was - now, key=lambda r: r.first):
        parts.append("taken out " + _some([_range(r.first, r.last) for r in gone]))
    return "; ".join(parts)


def _windows(old: Policy, new: Policy) -> list[tuple[Kind, str]]:
    out: list[tuple[Kind, str]] = []
    for name in sorted(set(new.windows) - set(old.windows)):
        out.append((Kind.ADDED, f"New time window {_q(name)}: {new.windows[name].describe()}."))
    for name in sorted(set(old.windows) - set(new.windows)):
        out.append((Kind.REMOVED, f"The time window {_q(name)} is taken out."))
    for name in sorted(set(old.windows) & set(new.windows)):
        a, b = old.windows[name], new.windows[name]
        if (a.days, a.spans) != (b.days, b.spans):
            out.append((Kind.CHANGED, f"The time window {_q(name)} becomes {b.describe()}."))
        if a.terms != b.terms:
            out.append((Kind.CHANGED, f"The term dates of {_q(name)} change: {_dates(a, b, 'terms')}."))
        if a.holidays != b.holidays:
            out.append((Kind.CHANGED, f"The holidays of {_q(name)} change: {_dates(a, b, 'holidays')}."))
    return out


def _categories(old: Policy, new: Policy) -> list[tuple[Kind, str]]:
    out: list[tuple[Kind, str]] = []
    for name in sorted(set(new.categories) - set(old.categories)):
        sources = new.categories[name].sources
        out.append((Kind.ADDED, f"New category {_q(name)}: {_some(sources) or 'no list sources yet'}."))
    for name in sorted(set(old.categories) - set(new.categories)):
        out.append((Kind.REMOVED, f"The category {_q(name)} is taken out."))
    for name in sorted(set(old.categories) & set(new.categories)):
        a, b = set(old.categories[name].sources), set(new.categories[name].sources)
        parts = []
        if added := sorted(b - a):
            parts.append("now also covers " + _some(added))
        if gone := sorted(a - b):
            parts.append("no longer covers " + _some(gone))
        if parts:
            out.append((Kind.CHANGED, f"The category {_q(name)} {' and '.join(parts)}."))
        was, now = old.categories[name], new.categories[name]
        if was.locked != now.locked:
            verb = (
                "is now locked: blocked for everyone, and no rule or request can allow it"
                if now.locked
                else "is no longer locked"
            )
            out.append((Kind.CHANGED, f"The category {_q(name)} {verb}."))
        if was.uksic != now.uksic:
            out.append(
                (
                    Kind.CHANGED,
                    f"The category {_q(name)} is now reported as {now.uksic or 'no UKSIC category'}.",
                )
            )
    return out


def _sites(old: Policy, new: Policy) -> list[tuple[Kind, str]]:
    out: list[tuple[Kind, str]] = []
    for name in sorted(set(new.sites) - set(old.sites)):
        found = new.sites[name]
        listed = _some([*found.domains, *found.urls]) or "empty for now"
        out.append((Kind.ADDED, f"New site list {_q(name)}: {listed}."))
    for name in sorted(set(old.sites) - set(new.sites)):
        out.append((Kind.REMOVED, f"The site list {_q(name)} is taken out."))
    for name in sorted(set(old.sites) & set(new.sites)):
        a = [*old.sites[name].domains, *old.sites[name].urls]
        b = [*new.sites[name].domains, *new.sites[name].urls]
        parts = []
        if added := [x for x in b if x not in a]:
            parts.append(_some(added) + (" is" if len(added) == 1 else " are") + " added")
        if gone := [x for x in a if x not in b]:
            parts.append(_some(gone) + (" is" if len(gone) == 1 else " are") + " taken out")
        if parts:
            out.append((Kind.CHANGED, f"In the site list {_q(name)}, {' and '.join(parts)}."))
    return out


def _list_words(d: ListDeclaration) -> str:
    return f"{d.format} list at {d.path}" + (" (locked)" if d.locked else "")


def _lists(old: Mapping[str, ListDeclaration], new: Mapping[str, ListDeclaration]) -> list[tuple[Kind, str]]:
    out: list[tuple[Kind, str]] = []
    for name in sorted(set(new) - set(old)):
        out.append((Kind.ADDED, f"New list {_q(name)}: the {_list_words(new[name])}."))
    for name in sorted(set(old) - set(new)):
        out.append((Kind.REMOVED, f"The list {_q(name)} is taken out."))
    for name in sorted(set(old) & set(new)):
        a, b = old[name], new[name]
        if (a.format, a.path, a.locked) != (b.format, b.path, b.locked):
            out.append((Kind.CHANGED, f"The list {_q(name)} is now the {_list_words(b)}."))
    return out


def summarise(
    old: PolicyFile | None,
    new: PolicyFile,
    *,
    requests: Mapping[int, RequestInfo] = _NO_REQUESTS,
) -> list[Sentence]:
    """Every difference from `old` (None: nothing published yet) to `new`, in sentences, in the order
    of `SECTIONS`. `requests`: request number -> what the view knows of it, for the grants' sentences.
    An empty list means the two say the same (descriptions, comments or layout may still differ)."""
    p = new.policy
    zone = p.timezone
    if old is None:
        text = (
            f"The whole policy is new, as nothing was published before it: {_n(len(p.groups), 'group')}, "
            f"{_n(len(p.rules), 'rule')}, {_n(len(p.grants), 'approved request')}."
        )
        return [Sentence(text, Kind.ADDED, WHOLE)]
    o = old.policy
    parts = (
        (REQUESTS, _grants(o, p, zone, requests)),
        (RULES, _rules(o, p, zone)),
        (GROUPS, _groups(o, p)),
        (MEMBERS, _members(o, p) + _timed(o, p, zone)),
        (WINDOWS, _windows(o, p)),
        (CATEGORIES, _categories(o, p)),
        (SITES, _sites(o, p)),
        (LISTS, _lists(old.lists, new.lists)),
        (SETTINGS, _settings(o, p)),
    )
    return [Sentence(_upper(text), kind, section) for section, said in parts for kind, text in said]


def by_section(sentences: Iterable[Sentence]) -> list[tuple[str, list[Sentence]]]:
    """The sentences under their headings, in the order of `SECTIONS`, for a page to show as lists."""
    grouped: dict[str, list[Sentence]] = {}
    for sentence in sentences:
        grouped.setdefault(sentence.section, []).append(sentence)
    return [(title, grouped[title]) for title in SECTIONS if title in grouped]
