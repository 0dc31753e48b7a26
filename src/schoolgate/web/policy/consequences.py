"""What a change to the groups would do to people, said before it is made.

Making a `year-6` group once quietly moved 61 pupils out of `pupils`, so that every later rule for
`pupils` skipped them. So before a member is added to or taken out of a group, a group is made, its
`within` ("part of") or settings change or it is removed, the pages show what will happen, in words:

    61 pupils will move from "pupils" to "year-6" and will no longer get the rules of "pupils" (3
    rules name it).
    61 pupils will move from "pupils" to "year-6" and keep the rules of "pupils" ("year-6" is part
    of "pupils").

Nothing is written to work this out: the school's groups and members are read once, the change is
made to copies in memory, and render's own placement (`render._place_identities`, the code that writes
the policy file's `[[identities]]`) is run before and after. Every user name, device and address range
whose group changes, or whose groups' rules or settings change (a `within` added or taken away), is
counted, by person (a pupil with a user name and a laptop is one pupil) and by device (an identity of
nobody: a classroom's tablets, the guest Wi-Fi), for each way of changing (from, to, rules lost and
gained).

`fingerprint` names exactly what was shown, so that a confirmed form writes only while what the person
confirmed is still what will happen (someone else may have changed the groups in between).
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import NetworkIdentity
from schoolgate.web.policy.choices import DEFAULT_GROUP, Verdict
from schoolgate.web.policy.models import FilterGroup, GroupMember, Rule
from schoolgate.web.policy.render import _place_identities, identity_key, lineage
from schoolgate.web.tenancy.models import School

__all__ = [
    "Consequences",
    "Move",
    "State",
    "compare",
    "of_group_removed",
    "of_group_saved",
    "of_member_added",
    "of_member_removed",
    "placement",
    "read_state",
]

# How a count of people of one kind is said: (one, many).
KIND_WORDS: dict[str, tuple[str, str]] = {
    PersonKind.PUPIL: ("pupil", "pupils"),
    PersonKind.STAFF: ("member of staff", "staff"),
    PersonKind.GOVERNOR: ("governor", "governors"),
    PersonKind.VISITOR: ("visitor", "visitors"),
    PersonKind.SUPPLY: ("supply teacher", "supply staff"),
    PersonKind.COMMUNITY: ("community user", "community users"),
    PersonKind.PARENT: ("parent or carer", "parents or carers"),
}
DEVICE_WORDS = ("device or address range", "devices or address ranges")

Placed = dict[tuple[str, str], tuple[str, ...]]  # identity key -> the group(s) it is in, by name


@dataclass
class State:
    """The school's groups and their members, as read or as a change would leave them."""

    school: School
    groups: list[FilterGroup]
    members: list[GroupMember]


@dataclass(frozen=True)
class Move:
    """Some people whose group, or whose groups' rules or settings, would change in the same way."""

    source: tuple[str, ...]  # the group(s) they are in now ("default": not identified)
    target: tuple[str, ...]  # the group(s) they would be in
    lost: tuple[str, ...]  # groups whose rules they would no longer get
    gained: tuple[str, ...]  # groups whose rules they would get, besides `target` itself
    people: Counter[str]  # person kind -> how many
    devices: int  # identities that belong to nobody
    text: str

    @property
    def count(self) -> int:
        return sum(self.people.values()) + self.devices


@dataclass(frozen=True)
class Consequences:
    """What one change would do to people, in sentences (none: it changes nobody's filtering)."""

    moves: tuple[Move, ...]

    @property
    def sentences(self) -> list[str]:
        return [move.text for move in self.moves]

    @property
    def nothing(self) -> bool:
        return not self.moves

    @property
    def fingerprint(self) -> str:
        """Names exactly these sentences: a confirmation of them is good for them only."""
        return hashlib.sha256("\n".join(self.sentences).encode("utf-8")).hexdigest()[:24]


def read_state(school: School) -> State:
    """The school's groups and members as stored: two queries."""
    groups = list(FilterGroup.objects.filter(school=school).order_by("name"))
    members = list(
        GroupMember.objects.filter(school=school)
        .select_related("year_group", "class_group", "person", "identity", "identity__person")
        .order_by("group_id", "kind", "id")
    )
    return State(school, groups, members)


def placement(state: State, at: datetime) -> Placed:
    """Which group(s) each user name and network would be in: render's own placement (two groups for
    one identity is a conflict, which stops a publish)."""
    users, networks, _ = _place_identities(state.school, state.groups, state.members, at)
    placed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for group, names in users.items():
        for name in names:
            placed[("users", name)].add(group)
    for group, by_label in networks.items():
        for values in by_label.values():
            for value in values:
                placed[("networks", value)].add(group)
    return {key: tuple(sorted(groups)) for key, groups in placed.items()}


def _quoted(names: Iterable[str]) -> str:
    shown = [f'"{n}"' for n in names]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _who(people: Counter[str], devices: int) -> str:
    parts = []
    for kind in PersonKind.values:
        n = people.get(kind, 0)
        if n:
            one, many = KIND_WORDS.get(kind, ("person", "people"))
            parts.append(f"{n} {one if n == 1 else many}")
    if people.get("", 0):  # an identity whose person's kind is unknown (never, with the schema's choices)
        n = people[""]
        parts.append(f"{n} {'person' if n == 1 else 'people'}")
    if devices:
        parts.append(f"{devices} {DEVICE_WORDS[0] if devices == 1 else DEVICE_WORDS[1]}")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _rules_of(names: Sequence[str], rule_counts: Counter[str]) -> str:
    """'the rules of "pupils" (3 rules name it)'."""
    total = sum(rule_counts.get(n, 0) for n in names)
    it = "it" if len(names) == 1 else "them"
    if total == 0:
        tail = f"no rule names {it} yet"
    else:
        tail = f"1 rule names {it}" if total == 1 else f"{total} rules name {it}"
    return f"the rules of {_quoted(names)} ({tail})"


def _settings_words(before: FilterGroup | None, after: FilterGroup | None) -> list[str]:
    """How the group's own settings differ for the people who move (or whose group is changed)."""
    if before is None or after is None:
        return []
    out = []
    if before.default != after.default:
        decided = "allowed" if after.default == Verdict.ALLOW else "blocked"
        out.append(f"will have the sites that no rule decides {decided}")
    if before.safe_search != after.safe_search:
        out.append(f"will have safe search {'on' if after.safe_search else 'off'}")
    if before.youtube != after.youtube:
        out.append(f"will have YouTube set to {after.youtube}")
    return out


def _lineages(groups: Sequence[FilterGroup]) -> dict[str, set[str]]:
    group_of = {g.pk: g for g in groups}
    return {g.name: {x.name for x in lineage(g, group_of)} for g in groups}


def compare(
    before: State, after: State, *, at: datetime | None = None, rules: Sequence[Rule] | None = None
) -> Consequences:
    """What going from `before` to `after` would do: one `Move` for each way people change."""
    at = at or timezone.now()
    placed_before, placed_after = placement(before, at), placement(after, at)
    lines_before, lines_after = _lineages(before.groups), _lineages(after.groups)
    by_name_before = {g.name: g for g in before.groups}
    by_name_after = {g.name: g for g in after.groups}
    unplaced = (DEFAULT_GROUP,)

    owners: dict[tuple[str, str], tuple[int | None, str]] = {}
    for kind, value, person, person_kind in NetworkIdentity.objects.filter(school=before.school).values_list(
        "kind", "value", "person_id", "person__kind"
    ):
        owners.setdefault(identity_key(kind, value), (person, person_kind or ""))

    changed: dict[tuple[tuple[str, ...], ...], tuple[set[int], int]] = {}
    for key in sorted(set(placed_before) | set(placed_after)):
        source, target = placed_before.get(key, unplaced), placed_after.get(key, unplaced)
        rules_before: set[str] = set().union(*(lines_before.get(g, {g}) for g in source))
        rules_after: set[str] = set().union(*(lines_after.get(g, {g}) for g in target))
        settings = len(source) == len(target) == 1 and bool(
            _settings_words(by_name_before.get(source[0]), by_name_after.get(target[0]))
        )
        if source == target and rules_before == rules_after and not settings:
            continue
        lost = tuple(sorted(rules_before - rules_after))
        gained = tuple(sorted(rules_after - rules_before - set(target)))
        way = (source, target, lost, gained)
        people, devices = changed.get(way, (set(), 0))
        owner, _ = owners.get(key, (None, ""))
        if owner is None:
            devices += 1
        else:
            people.add(owner)
        changed[way] = (people, devices)

    kinds = {person: kind for person, kind in owners.values() if person is not None}
    rule_counts: Counter[str] = Counter()
    for rule in rules if rules is not None else _rules(before.school):
        if not rule.everyone:
            rule_counts.update({g.name for g in rule.groups.all()})

    moves = []
    for (source, target, lost, gained), (people, devices) in changed.items():
        counted = Counter(kinds.get(p, "") for p in people)
        settings_words = (
            _settings_words(by_name_before.get(source[0]), by_name_after.get(target[0]))
            if len(source) == len(target) == 1
            else []
        )
        text = _sentence(_who(counted, devices), source, target, lost, gained, settings_words, rule_counts)
        moves.append(Move(source, target, lost, gained, counted, devices, text))
    moves.sort(key=lambda m: (-m.count, m.source, m.target, m.text))
    return Consequences(tuple(moves))


def _sentence(
    who: str,
    source: tuple[str, ...],
    target: tuple[str, ...],
    lost: tuple[str, ...],
    gained: tuple[str, ...],
    settings: list[str],
    rule_counts: Counter[str],
) -> str:
    clauses: list[str] = []
    if len(target) > 1:
        return (
            f"{who} would be in both {_quoted(target)}, claimed by each in the same way: publishing is "
            "refused until one of them lets go (make one group part of the other, or add them to one more "
            "specifically)."
        )
    if source != target:
        start = f"{who} will move from {_quoted(source)}"
        if source == (DEFAULT_GROUP,):
            start += " (not identified)"
        start += f" to {_quoted(target)}"
        if target == (DEFAULT_GROUP,):
            start += " (not identified)"
        kept = [s for s in source if s != DEFAULT_GROUP and s not in lost and s not in target]
        if kept:
            clauses.append(
                f"keep the rules of {_quoted(kept)} ({_quoted(target)} is part of {_quoted(kept)})"
            )
    else:
        start = f"The {who} in {_quoted(source)}"
    if lost:
        clauses.append(f"will no longer get {_rules_of(lost, rule_counts)}")
    if gained:
        clauses.append(f"will get {_rules_of(gained, rule_counts)} too, after the rules of {_quoted(target)}")
    clauses.extend(settings)
    if not clauses:
        return start + "."
    joined = clauses[0] if len(clauses) == 1 else "; ".join(clauses[:-1]) + "; and " + clauses[-1]
    return f"{start} {joined}." if source == target else f"{start} and {joined}."


def _rules(school: School) -> list[Rule]:
    return list(Rule.objects.filter(school=school).prefetch_related("groups"))


# ---------------------------------------------------------------------------------------------------------
# The changes the pages make


def of_member_added(member: GroupMember, *, at: datetime | None = None) -> Consequences:
    """Adding `member` (not yet saved) to its group."""
    before = read_state(member.school)
    after = State(before.school, before.groups, [*before.members, member])
    return compare(before, after, at=at)


def of_member_removed(member: GroupMember, *, at: datetime | None = None) -> Consequences:
    """Taking `member` out of its group."""
    before = read_state(member.school)
    after = State(before.school, before.groups, [m for m in before.members if m.pk != member.pk])
    return compare(before, after, at=at)


def of_group_saved(group: FilterGroup, *, at: datetime | None = None) -> Consequences:
    """Saving `group` as it is in memory: new, or with its `within` or settings changed."""
    before = read_state(group.school)
    changed = copy.copy(group)
    groups = [changed if g.pk == group.pk else g for g in before.groups]
    if group.pk is None:
        groups.append(changed)
    return compare(before, State(before.school, groups, before.members), at=at)


def of_group_removed(group: FilterGroup, *, at: datetime | None = None) -> Consequences:
    """Removing `group` and every way into it."""
    before = read_state(group.school)
    after = State(
        before.school,
        [g for g in before.groups if g.pk != group.pk],
        [m for m in before.members if m.group_id != group.pk],
    )
    return compare(before, after, at=at)
