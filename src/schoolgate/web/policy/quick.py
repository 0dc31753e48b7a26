"""One form for the common changes: allow or block some sites, or a category, for a group, a year group
or a class, always, in one of the school's time windows, or until a date.

Allowing one site for Year 6 in lessons took four screens: a group, its members, a site list, a rule.
`plan` works out what the form asks for without writing anything (the rule, and for a year group or a
class the group it needs, and what that group does to people: `consequences`); `do_quick` writes it
into the draft, as the editor's own actions do (`actions.do_save`, `do_add_member`, `do_save_rule`),
in one transaction, with POLICY_CHANGE checked inside.

For a year group or a class the rule names a group of its own, `year-6` or `class-6b`: the group
that already has that year group or class as a member, or the group of that name, or else a new one,
made `within` ("part of") the group most of its people are in now, so that they keep every rule they
had (a new group without `within` would take them out of their old group's rules), with that group's
default, safe search and YouTube settings. The rule goes at the top of the rules: an exception the
school asks for on purpose should not be hidden behind a wider rule.

Locked categories (illegal content) are never offered, and `LockedError` is raised if one is posted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from schoolgate.engine.lists import url_key
from schoolgate.engine.urls import canonical_host
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.core.actions import Operator, require
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person, YearGroup
from schoolgate.web.policy import actions
from schoolgate.web.policy.choices import DEFAULT_GROUP, MemberKind, Verdict
from schoolgate.web.policy.consequences import Consequences, State, compare, placement, read_state
from schoolgate.web.policy.models import Category, FilterGroup, GroupMember, Rule, TimeWindow
from schoolgate.web.policy.render import identity_key, school_zone
from schoolgate.web.tenancy.models import School

__all__ = ["Plan", "QuickChange", "do_quick", "plan"]

NAME_LIMIT = 200  # Rule.name's max_length


@dataclass(frozen=True)
class QuickChange:
    """What the form asked for, parsed: exactly one of (domains and urls) or category; exactly one of
    group, year_group, class_group; at most one of window and until."""

    school: School
    action: str  # Verdict
    domains: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    category: Category | None = None
    group: FilterGroup | None = None
    year_group: YearGroup | None = None
    class_group: ClassGroup | None = None
    window: TimeWindow | None = None
    until: date | None = None  # the last day it applies (school time)


@dataclass
class Plan:
    """What `do_quick` will write, worked out without writing."""

    change: QuickChange
    rule_name: str
    expires: datetime | None
    group: FilterGroup  # existing, or new (pk None)
    member: GroupMember | None  # the year group or class, when the group is new
    consequences: Consequences
    notes: list[str] = field(default_factory=list)

    @property
    def sentences(self) -> list[str]:
        return [*self.notes, *self.consequences.sentences]

    @property
    def fingerprint(self) -> str:
        """Names what the confirm page showed: what is written as well as what it does to people."""
        return hashlib.sha256("\n".join(self.sentences).encode("utf-8")).hexdigest()[:24]


def _what(change: QuickChange) -> str:
    if change.category is not None:
        return f"the category {change.category.name}"
    sites = [*change.domains, *change.urls]
    if len(sites) <= 3:
        return ", ".join(sites[:-1]) + (" and " if len(sites) > 1 else "") + sites[-1]
    return f"{', '.join(sites[:2])} and {len(sites) - 2} more sites"


def _for_whom(change: QuickChange) -> str:
    if change.class_group is not None:
        return f"class {change.class_group.name}"
    if change.year_group is not None:
        return str(change.year_group.name)
    assert change.group is not None
    return f'"{change.group.name}"'


def expires_at(change: QuickChange) -> datetime | None:
    """The end of the `until` day in the school's time zone (midnight after it)."""
    if change.until is None:
        return None
    zone = school_zone(change.school)
    return datetime.combine(change.until + timedelta(days=1), time(0, 0), tzinfo=zone)


def rule_name(change: QuickChange) -> str:
    """In words, as the filter's explanations show it: "Allow coolmathgames.com for Year 6 in lessons
    until 19 December"."""
    verb = "Allow" if change.action == Verdict.ALLOW else "Block"
    name = f"{verb} {_what(change)} for {_for_whom(change)}"
    if change.window is not None:
        name += f" in {change.window.name}"
    if change.until is not None:
        name += f" until {change.until.day} {change.until.strftime('%B')}"
    return name[:NAME_LIMIT]


def _slug(prefix: str, name: str) -> str:
    slug = slugify(name)
    if not slug.startswith(prefix):
        slug = f"{prefix}-{slug}"
    slug = slug.strip("-_")[:60]
    return slug or prefix


def _people(change: QuickChange) -> list[int]:
    found = Person.objects.filter(school=change.school).current()
    if change.class_group is not None:
        found = found.filter(class_group=change.class_group)
    else:
        found = found.filter(year_group=change.year_group)
    return list(found.values_list("pk", flat=True))


def _parent(change: QuickChange, state: State, at: datetime) -> FilterGroup | None:
    """The group most of the class's or year group's people are in now (by their identities)."""
    placed = placement(state, at)
    counts: Counter[str] = Counter()
    for kind, value in NetworkIdentity.objects.filter(
        school=change.school, person_id__in=_people(change)
    ).values_list("kind", "value"):
        groups = placed.get(identity_key(kind, value), ())
        if len(groups) == 1 and groups[0] != DEFAULT_GROUP:
            counts[groups[0]] += 1
    if not counts:
        return None
    best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
    return next((g for g in state.groups if g.name == best), None)


def _own_group(change: QuickChange, state: State) -> FilterGroup | None:
    """The group that already stands for the year group or class and for nothing else: its only
    member is that year group or class. A group with others in it too (a key stage's group) is never
    used: the rule would reach them as well."""
    if change.class_group is not None:
        kind, field, pk = MemberKind.CLASS_GROUP, "class_group_id", change.class_group.pk
    else:
        assert change.year_group is not None
        kind, field, pk = MemberKind.YEAR_GROUP, "year_group_id", change.year_group.pk
    by_group: dict[int, list[GroupMember]] = {}
    for member in state.members:
        by_group.setdefault(member.group_id, []).append(member)
    for group in state.groups:
        members = by_group.get(group.pk, [])
        if len(members) == 1 and members[0].kind == kind and getattr(members[0], field) == pk:
            return group
    return None


def _group_name(change: QuickChange, state: State | None = None) -> str:
    """ "class-6b", "year-6"; with a number added when a group of that name exists already (two
    classes "6 Oak" and "6-Oak"), never reusing another group."""
    if change.class_group is not None:
        name = _slug("class", change.class_group.name)
    else:
        assert change.year_group is not None
        name = _slug("year", change.year_group.name)
    taken = {g.name for g in state.groups} if state is not None else set()
    base, n = name, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def plan(change: QuickChange, *, at: datetime | None = None) -> Plan:
    """What the change would write and do, without writing anything."""
    at = at or timezone.now()
    before = read_state(change.school)
    notes: list[str] = []
    member = None
    if change.group is not None:
        group = change.group
        after = before
    else:
        found = _own_group(change, before)
        if found is not None:
            group = found
            after = before
        else:
            parent = _parent(change, before, at)
            group = FilterGroup(
                school=change.school,
                name=_group_name(change, before),
                description=f'{_for_whom(change)}, made by "Allow or block a site or a category"',
                within=parent,
            )
            if parent is not None:
                group.default, group.safe_search, group.youtube = (
                    parent.default,
                    parent.safe_search,
                    parent.youtube,
                )
            member = GroupMember(
                school=change.school,
                group=group,
                kind=MemberKind.CLASS_GROUP if change.class_group is not None else MemberKind.YEAR_GROUP,
                class_group=change.class_group,
                year_group=change.year_group if change.class_group is None else None,
            )
            after = State(change.school, [*before.groups, group], [*before.members, member])
            part = f', part of "{parent.name}"' if parent is not None else ""
            notes.append(f'A new group "{group.name}"{part}, with {_for_whom(change)} in it.')
    name = rule_name(change)
    notes.append(f'A new rule at the top of the rules, for the group "{group.name}": "{name}".')
    sites = [*change.domains, *change.urls]
    if sites:
        notes.append(f"Its sites: {', '.join(sites)}.")
    consequences = compare(before, after, at=at) if member is not None else Consequences(())
    return Plan(change, name, expires_at(change), group, member, consequences, notes)


def do_quick(change: QuickChange, *, actor: User | Operator, at: datetime | None = None) -> Rule:
    """Write the change into the draft: the group if it needs one, then the rule at the top."""
    school = change.school
    require(actor, Capability.POLICY_CHANGE, school)
    if change.category is not None:
        actions.refuse_locked(change.category)
    for obj in (change.category, change.group, change.year_group, change.class_group, change.window):
        if obj is not None and obj.school_id != school.pk:
            raise actions.ActionError("That belongs to another school")
    if (change.category is None) == (not change.domains and not change.urls):
        raise actions.ActionError("Give some sites or a category, one of the two")
    bad = [d for d in change.domains if canonical_host(d.removeprefix("*.")) is None]
    bad += [u for u in change.urls if url_key(u) is None]
    if bad:
        raise actions.ActionError({"sites": f"Not a domain or web address: {', '.join(bad[:5])}"})
    if sum(x is not None for x in (change.group, change.year_group, change.class_group)) != 1:
        raise actions.ActionError("Choose a group, a year group or a class")
    if change.action not in (Verdict.ALLOW, Verdict.BLOCK):
        raise actions.ActionError("Choose allow or block")
    at = at or timezone.now()
    planned = plan(change, at=at)
    if planned.expires is not None and planned.expires <= at:
        raise actions.ActionError({"until": "Give a date from today on"})
    with transaction.atomic():
        group = planned.group
        if planned.member is not None:
            actions.do_save(group, actor=actor)
            planned.member.group = group
            actions.do_add_member(planned.member, actor=actor)
        rule = Rule(
            school=school,
            name=planned.rule_name,
            action=change.action,
            everyone=False,
            domains=list(change.domains),
            urls=list(change.urls),
            window=change.window,
            expires=planned.expires,
        )
        actions.do_save_rule(
            rule,
            actor=actor,
            groups=[group],
            categories=[change.category] if change.category is not None else [],
            sites=[],
            at_top=True,
        )
    return rule
