"""The requests section of a school's policy file: what approved filter change requests wrote.

Approving a request writes a `Grant` row (filterrequests/models.py), never a row of the editor's
draft. The grants in force are rendered here into a section of their own at the end of the policy
file, after `REQUESTS_MARKER` (policyfile/sections.py), so that the section can be published with the
running policy's base alone (`actions.publish_requests`): an approval, an early end or the worker's
republish after an expiry never publishes someone's unfinished draft edits.

How each grant is written (docs/policy-file.md, `[[grants]]`):

- for a group: `groups = [name]`; for everyone: no `groups`;
- for a person or a class: a group `request-<N>` (`request-<N>-<group>` when the people are in
  several groups) `within` the group each of them is in now (the `Placement`: user name or network
  -> group, from the base policy), with that group's default, safe search and YouTube, so that its
  people keep every rule they had; timed `[[identities]]` move their current user names and networks
  into it while the grant is in force (a timed block wins over the block without times), and the
  grant names that group. A person in two grants at once is in one such group (the first grant's),
  which every grant covering them names, so that neither grant hides the other.

People the section cannot reach are said by `reach()` for the approval page: no user name or device;
not in any group (the filter does not know them); or already identified by a timed block (a visitor
or supply staff: the first timed block in force wins, and the base's comes first).

The file is readable by every user of the server, so it names no person: "request 14: example.org
for one person".
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from schoolgate.policyfile.sections import REQUESTS_MARKER
from schoolgate.policyfile.write import TomlWriter
from schoolgate.web.filterrequests.choices import Audience
from schoolgate.web.filterrequests.models import Grant
from schoolgate.web.people.choices import IdentityKind
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person
from schoolgate.web.policy.choices import DEFAULT_GROUP, Verdict
from schoolgate.web.policy.models import FilterGroup
from schoolgate.web.policy.render import Origin, PolicyRows, school_zone
from schoolgate.web.tenancy.models import School

__all__ = [
    "GroupSettings",
    "Placement",
    "Reach",
    "RequestsPart",
    "join_requests",
    "reach",
    "render_requests",
    "requests_part",
]


# ---------------------------------------------------------------------------------------------------------
# Where people are: the placement


@dataclass(frozen=True)
class GroupSettings:
    """What a request group copies from the group its people are in, and what that group is within."""

    default: str
    safe_search: bool
    youtube: str
    within: str | None = None


def network_key(text: str) -> str:
    """An address or range as one spelling, so that the database's and the file's match."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        return text.strip()


def _key(kind: str, value: str) -> tuple[str, str]:
    if kind in ("users", IdentityKind.USERNAME):
        return ("users", value.strip().lower())
    return ("networks", network_key(value))


@dataclass(frozen=True)
class Placement:
    """Which group each user name and network is in, in a base policy, at an instant."""

    groups: Mapping[str, GroupSettings]
    where: Mapping[tuple[str, str], str] = field(default_factory=dict)  # identity key -> group
    timed: frozenset[tuple[str, str]] = frozenset()  # placed by a timed block: a request cannot move them
    windows: frozenset[str] = frozenset()

    def group_of(self, kind: str, value: str) -> str | None:
        return self.where.get(_key(kind, value))

    def is_timed(self, kind: str, value: str) -> bool:
        return _key(kind, value) in self.timed

    def lineage(self, group: str) -> list[str]:
        """The group and every group it is within, nearest first."""
        out = [group]
        found = self.groups.get(group)
        while found is not None and found.within is not None and found.within not in out:
            out.append(found.within)
            found = self.groups.get(found.within)
        return out

    @classmethod
    def from_rows(cls, rows: PolicyRows) -> Placement:
        """The placement the draft's rows make (who is in which group, as `render` writes it)."""
        names = {g.pk: g.name for g in rows.groups}
        groups = {
            g.name: GroupSettings(
                g.default, g.safe_search, g.youtube, names.get(g.within_id) if g.within_id else None
            )
            for g in rows.groups
        }
        where: dict[tuple[str, str], str] = {}
        for group, users in sorted(rows.users.items()):
            for name in users:
                where.setdefault(_key("users", name), group)
        for group, by_label in sorted(rows.networks.items()):
            for values in by_label.values():
                for value in values:
                    where.setdefault(_key("networks", value), group)
        timed = frozenset(_key(kind, value) for kind, value in rows.expiring)
        return cls(groups, where, timed, frozenset(w.name for w in rows.windows))

    @classmethod
    def from_text(cls, text: str, at: datetime, zone: tzinfo) -> Placement:
        """The placement a policy file's text makes at `at`: its blocks without times, and over them
        the timed blocks in force at `at` (the first in file order wins, as in the engine). Read
        with `tomllib` alone: the text is a base the loader already accepted when it was published;
        anything malformed in it places nobody rather than failing."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return cls({})
        groups: dict[str, GroupSettings] = {}
        raw_groups = data.get("groups")
        for name, table in raw_groups.items() if isinstance(raw_groups, dict) else ():
            if isinstance(table, dict):
                within = table.get("within")
                groups[str(name)] = GroupSettings(
                    str(table.get("default", Verdict.BLOCK)),
                    bool(table.get("safe_search", True)),
                    str(table.get("youtube", "strict")),
                    within if isinstance(within, str) else None,
                )
        where: dict[tuple[str, str], str] = {}
        timed_where: dict[tuple[str, str], str] = {}
        blocks = data.get("identities")
        for block in blocks if isinstance(blocks, list) else ():
            if not isinstance(block, dict) or not isinstance(block.get("group"), str):
                continue
            entries = [("users", v) for v in _strings(block.get("users"))]
            entries += [("networks", v) for v in _strings(block.get("networks"))]
            if "starts" in block or "expires" in block:
                starts, expires = instant(block.get("starts"), zone), instant(block.get("expires"), zone)
                if (starts is not None and starts > at) or (expires is not None and expires <= at):
                    continue
                for kind, value in entries:
                    timed_where.setdefault(_key(kind, value), block["group"])
            else:
                for kind, value in entries:
                    where.setdefault(_key(kind, value), block["group"])
        where.update(timed_where)
        windows = data.get("windows")
        return cls(
            groups,
            where,
            frozenset(timed_where),
            frozenset(windows) if isinstance(windows, dict) else frozenset(),
        )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def instant(value: object, zone: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=zone)
    return None


# ---------------------------------------------------------------------------------------------------------
# Who a grant reaches


@dataclass(frozen=True)
class Reached:
    """One identity a person or class grant moves into a request group."""

    person: Person
    kind: str  # "users" or "networks"
    value: str
    label: str
    parent: str  # the group the identity is in now


@dataclass(frozen=True)
class Reach:
    """Whom a grant would reach, for the approval page's consequence text."""

    audience: str
    people: tuple[Person, ...] = ()  # people with at least one identity the grant reaches
    identities: int = 0  # user names and networks the grant reaches
    unreachable: tuple[tuple[Person, str], ...] = ()  # (person, why in words)
    groups: tuple[str, ...] = ()  # the filter groups the reached people are in now

    @property
    def words(self) -> str:
        """One or two sentences: who gets it, and who does not and why."""
        if self.audience == Audience.EVERYONE:
            return "Everyone, identified or not, gets it."
        people = _count(len(self.people), "person", "people")
        ids = _count(self.identities, "user name or device", "user names and devices")
        if self.identities:
            where = ", ".join(f'"{g}"' for g in self.groups)
            said = f"It reaches {people} ({ids}), now in {where}."
        else:
            said = "It reaches nobody: the filter would change for no one."
        if self.unreachable:
            missed = "; ".join(f"{person}: {why}" for person, why in self.unreachable)
            said += f" Not reached: {missed}."
        return said


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _people(
    school_id: int, audience: str, person: Person | None, class_group: ClassGroup | None, at: datetime
) -> list[Person]:
    if audience == Audience.PERSON and person is not None:
        current = person.archived_at is None and (person.expires_at is None or person.expires_at > at)
        return [person] if current else []
    if audience == Audience.CLASS and class_group is not None:
        return list(
            Person.objects.filter(school_id=school_id, class_group=class_group, archived_at__isnull=True)
            .exclude(expires_at__lte=at)
            .order_by("last_name", "first_name", "pk")
        )
    return []


def _reached(
    people: Sequence[Person], placement: Placement, identities: Mapping[int, list[NetworkIdentity]]
) -> tuple[list[Reached], list[tuple[Person, str]]]:
    reached: list[Reached] = []
    missed: list[tuple[Person, str]] = []
    for person in people:
        mine = identities.get(person.pk, [])
        if not mine:
            missed.append((person, "no user name or device is kept for them"))
            continue
        found: list[Reached] = []
        why = ""
        for identity in mine:
            kind = "users" if identity.kind == IdentityKind.USERNAME else "networks"
            if kind == "networks" and not _one_address(identity):
                # A range (the guest Wi-Fi, a class's tablets) is shared: moving it would give the
                # request's sites to every device in it, not to this person.
                why = why or "their device is an address range others share, which a request never moves"
                continue
            parent = placement.group_of(kind, identity.value)
            if parent is None or parent == DEFAULT_GROUP:
                why = why or "they are in no filter group, so the filter does not know them"
            elif placement.is_timed(kind, identity.value):
                why = why or (
                    f'their access to "{parent}" is itself time-limited (a visitor or supply staff), '
                    "and that comes first"
                )
            else:
                value = identity.value.strip().lower() if kind == "users" else identity.value.strip()
                found.append(Reached(person, kind, value, identity.label, parent))
        if found:
            reached.extend(found)
        else:
            missed.append((person, why))
    return reached, missed


def _one_address(identity: NetworkIdentity) -> bool:
    """Whether a device identity names one address (a /32 or /128), not a range."""
    if identity.kind != IdentityKind.DEVICE:
        return False
    try:
        return ipaddress.ip_network(identity.value.strip(), strict=False).num_addresses == 1
    except ValueError:
        return False


def _identities_of(people: Iterable[Person]) -> dict[int, list[NetworkIdentity]]:
    out: dict[int, list[NetworkIdentity]] = defaultdict(list)
    for identity in NetworkIdentity.objects.filter(person__in=[p.pk for p in people]).order_by(
        "kind", "value", "pk"
    ):
        assert identity.person_id is not None
        out[identity.person_id].append(identity)
    return out


def reach(
    school: School,
    audience: str,
    *,
    person: Person | None = None,
    class_group: ClassGroup | None = None,
    group: FilterGroup | None = None,
    at: datetime | None = None,
) -> Reach:
    """Whom a grant for `audience` would reach if approved now: placed by the running policy's base
    (what `publish_requests` places by), or by the draft when nothing has been published yet."""
    from django.utils import timezone

    from schoolgate.web.policy.actions import running_placement

    at = at or timezone.now()
    placement = running_placement(school, at)
    if audience == Audience.EVERYONE:
        return Reach(audience)
    if audience == Audience.GROUP:
        if group is None:
            return Reach(audience)
        keys = [k for k, g in placement.where.items() if group.name in placement.lineage(g)]
        names = {v for kind, v in keys if kind == "users"}
        nets = {v for kind, v in keys if kind == "networks"}
        people: dict[int, Person] = {}
        for identity in NetworkIdentity.objects.filter(school=school, person__isnull=False).select_related(
            "person"
        ):
            kind, value = _key(identity.kind, identity.value)
            if (value in names if kind == "users" else value in nets) and identity.person is not None:
                people[identity.person.pk] = identity.person
        inside = sorted({g for _, g in ((k, placement.where[k]) for k in keys)})
        return Reach(audience, tuple(people.values()), len(keys), (), tuple(inside))
    chosen = _people(school.pk, audience, person, class_group, at)
    reached, missed = _reached(chosen, placement, _identities_of(chosen))
    people_reached = tuple({r.person.pk: r.person for r in reached}.values())
    return Reach(
        audience,
        people_reached,
        len(reached),
        tuple(missed),
        tuple(sorted({r.parent for r in reached})),
    )


# ---------------------------------------------------------------------------------------------------------
# The section


@dataclass
class RequestsPart:
    """The requests section's text (marker first; "" when no grant is in force), where each grant
    came from, and the grants left out, in words (also written as comments in the section)."""

    text: str
    origins: dict[tuple[str | int, ...], Origin] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)


def _sites(grant: Grant) -> list[str]:
    return [*(str(d) for d in grant.domains), *(str(u) for u in grant.urls)]


def _title(grant: Grant) -> str:
    """The grant's name in words: "request 14: coolmathgames.com for class 6B"."""
    sites = _sites(grant)
    what = sites[0] + (f" and {len(sites) - 1} more" if len(sites) > 1 else "")
    if grant.action == Verdict.BLOCK:
        what = f"block {what}"
    if grant.audience == Audience.PERSON:
        whom = "one person"
    elif grant.audience == Audience.CLASS:
        whom = f"class {grant.class_group}"
    elif grant.audience == Audience.GROUP:
        whom = f"group {grant.group}"
    else:
        whom = "everyone"
    return f"request {grant.request.number}: {what} for {whom}"


def _group_name(number: int, parent: str, several: bool, taken: set[str]) -> str:
    name = f"request-{number}-{parent}" if several else f"request-{number}"
    base, n = name, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


@dataclass
class _Home:
    """A request group: its people's identities and the grants covering them."""

    name: str
    parent: str
    number: int
    members: dict[tuple[str, str, str], Reached] = field(default_factory=dict)  # (kind, value, label)
    spans: dict[tuple[str, str, str], list[tuple[datetime | None, datetime | None, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def requests_part(school: School, *, at: datetime, placement: Placement) -> RequestsPart:
    """The requests section for the grants in force at `at` (or starting later), placed by
    `placement`. Grants are written in the order of their requests."""
    grants = list(
        Grant.current(school.pk, at)
        .select_related("request", "person", "class_group", "group", "window")
        .order_by("request__number", "id")
    )
    if not grants:
        return RequestsPart("")
    zone = school_zone(school)
    taken = set(placement.groups)
    homes: dict[str, _Home] = {}  # request group name -> home
    home_of: dict[tuple[str, str], str] = {}  # identity key -> request group name
    grant_groups: dict[int, list[str]] = {}
    made_for: dict[tuple[int, str], str] = {}  # (grant, group its people are in) -> request group
    left_out: list[str] = []
    people_of: dict[int, list[Person]] = {
        g.pk: _people(school.pk, g.audience, g.person, g.class_group, at)
        for g in grants
        if g.audience in (Audience.PERSON, Audience.CLASS)
    }
    identities = _identities_of(p for people in people_of.values() for p in people)
    for grant in grants:
        title = _title(grant)
        if not _sites(grant):
            left_out.append(f"{title}: it names no site")
            continue
        if grant.window is not None and grant.window.name not in placement.windows:
            left_out.append(f'{title}: its time window "{grant.window.name}" is not in the policy')
            continue
        if grant.audience == Audience.GROUP:
            assert grant.group is not None  # the model's constraint
            if grant.group.name not in placement.groups:
                left_out.append(f'{title}: the group "{grant.group.name}" is not in the policy')
                continue
            grant_groups[grant.pk] = [grant.group.name]
            continue
        if grant.audience == Audience.EVERYONE:
            grant_groups[grant.pk] = []
            continue
        reached, _ = _reached(people_of.get(grant.pk, []), placement, identities)
        if not reached:
            left_out.append(f"{title}: it reaches nobody the filter can identify")
            continue
        parents = sorted({r.parent for r in reached})
        named: list[str] = []
        for r in reached:
            key = _key(r.kind, r.value)
            lodged = home_of.get(key)
            if lodged is None:
                made = made_for.get((grant.pk, r.parent))
                if made is None:
                    made = _group_name(grant.request.number, r.parent, len(parents) > 1, taken)
                    taken.add(made)
                    made_for[(grant.pk, r.parent)] = made
                    homes[made] = _Home(made, r.parent, grant.request.number)
                lodged = home_of[key] = made
            homes[lodged].members.setdefault((r.kind, r.value, r.label), r)
            homes[lodged].spans[(r.kind, r.value, r.label)].append(
                (grant.starts, grant.expires, grant.made_at)
            )
            if lodged not in named:
                named.append(lodged)
        grant_groups[grant.pk] = sorted(named)

    w = TomlWriter()
    w.lines.append(REQUESTS_MARKER)
    w.comment("Each request's people are moved into a group within the group they are in, for its time.")
    for words in left_out:
        w.comment(f"Not in force: {words}.")
    for home in sorted(homes.values(), key=lambda h: h.name):
        settings = placement.groups[home.parent]
        w.header("groups", home.name)
        w.pair(
            "description",
            f'The people of request {home.number} who are in "{home.parent}": they keep its rules '
            "and settings, and get the requests' sites",
        )
        w.pair("within", home.parent)
        w.pair("default", settings.default)
        w.pair("safe_search", settings.safe_search)
        w.pair("youtube", settings.youtube)
    for home in sorted(homes.values(), key=lambda h: h.name):
        blocks: dict[tuple[datetime | None, datetime | None, str, str], list[str]] = defaultdict(list)
        for (kind, value, label), _ in sorted(home.members.items()):
            starts, expires = _span(
                home.spans[(kind, value, label)], home.members[(kind, value, label)].person.expires_at
            )
            blocks[(starts, expires, kind, label if kind == "networks" else "")].append(value)
        for (starts, expires, kind, label), values in sorted(blocks.items(), key=_block_order):
            w.header("identities", array=True)
            w.pair("group", home.name)
            w.pair(kind, sorted(set(values)))
            if label:
                w.pair("label", label)
            if starts is not None:
                w.pair("starts", starts.astimezone(zone))
            if expires is not None:
                w.pair("expires", expires.astimezone(zone))
    origins: dict[tuple[str | int, ...], Origin] = {}
    n = 0
    for grant in grants:
        if grant.pk not in grant_groups:
            continue
        origins[("grants", n)] = Origin(f"Request {grant.request.number}", grant.request)
        n += 1
        w.header("grants", array=True)
        w.pair("name", _title(grant))
        w.pair("request", grant.request.number)
        if grant.audience != Audience.EVERYONE:
            w.pair("groups", grant_groups[grant.pk])
        if grant.domains:
            w.pair("domains", [str(d) for d in grant.domains])
        if grant.urls:
            w.pair("urls", [str(u) for u in grant.urls])
        if grant.window is not None:
            w.pair("window", grant.window.name)
        if grant.starts is not None:
            w.pair("starts", grant.starts.astimezone(zone))
        if grant.expires is not None:
            w.pair("expires", grant.expires.astimezone(zone))
        w.pair("action", grant.action)
    return RequestsPart(w.text(), origins, left_out)


def _span(
    spans: list[tuple[datetime | None, datetime | None, datetime]], person_ends: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """When an identity is in its request group: from the earliest start of the grants covering it
    (none if one has none) to the latest end (none if one has none), never after its person's access
    ends. A timed block needs one of the two: without either, from when the first grant was made."""
    starts_all = [s for s, _, _ in spans]
    starts = None if None in starts_all else min(s for s in starts_all if s is not None)
    ends_all = [e for _, e, _ in spans]
    expires = None if None in ends_all else max(e for e in ends_all if e is not None)
    if person_ends is not None:
        expires = person_ends if expires is None else min(expires, person_ends)
    if starts is None and expires is None:
        starts = min(made for _, _, made in spans)
    return starts, expires


_FAR = datetime.max.replace(tzinfo=UTC)


def _block_order(
    item: tuple[tuple[datetime | None, datetime | None, str, str], list[str]],
) -> tuple[Any, ...]:
    (starts, expires, kind, label), _ = item
    return (expires or _FAR, starts or _FAR, kind != "users", label)


def render_requests(school: School, *, at: datetime, placement: Placement) -> str:
    """The requests section's text: `REQUESTS_MARKER` first, or "" when no grant is in force."""
    return requests_part(school, at=at, placement=placement).text


def join_requests(base: str, section: str) -> str:
    """A base policy and a requests section as one file, the marker after one blank line, so that
    `split_requests` gives back the base and the section."""
    base = base.rstrip("\n") + "\n"
    return f"{base}\n{section}" if section else base
