"""Turn a school's policy rows into the text of the policy file (docs/policy-file.md, schema 1).

`load_rows(school)` reads everything the file needs in a fixed number of queries; `render(rows)` writes
the text, the same bytes for the same rows: every section in a fixed order (lists, groups, windows,
categories and site lists by name, locked categories first; identities by group; rules in their
order), through the policy file writer (`schoolgate.policyfile.write`, beside the reader), which
escapes every string so that `tomllib` reads back exactly what was stored.

Who is in a group becomes its `[[identities]]`: the people a group covers (everyone of a kind, a year
group, a class, one person; current people only, not archived and not expired) bring their network
identities with them: user names become the group's `users`, devices and address ranges its
`networks`. A network identity can also be put into a group directly (a classroom's tablets, the guest
Wi-Fi). When one identity would come into two groups, the most specific way wins (`SPECIFICITY`: an
identity named directly, then one person, a class, a year group, a kind of person); two groups that
claim it in the same way are a `Conflict`, which `actions.check` reports and which stops a publish,
unless one of them is `within` the other (transitively): then the group that is part of the other wins,
as the narrower of the two (its people still get the wider group's rules).

People whose access ends (`Person.expires_at`: visitors, supply staff, community users) bring their
identities in timed blocks (`expires` = that instant), so that the gateways stop identifying them on
time even if nothing publishes again: they become unidentified (the group `default`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q
from django.utils import timezone

from schoolgate.policyfile.write import TomlWriter
from schoolgate.web.people.choices import IdentityKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy.choices import AlertLevel, DateKind, Day, MemberKind
from schoolgate.web.policy.models import (
    Category,
    FilterGroup,
    GroupMember,
    ListSource,
    Rule,
    SchoolDate,
    SchoolPolicy,
    SiteList,
    TimeWindow,
)
from schoolgate.web.tenancy.models import School

__all__ = [
    "SPECIFICITY",
    "Conflict",
    "Origin",
    "PolicyRows",
    "Rendered",
    "compress_days",
    "identity_key",
    "lineage",
    "load_rows",
    "render",
    "render_policy",
]

# Which way into a group wins when the same identity would come into two: the most specific.
SPECIFICITY: dict[str, int] = {
    MemberKind.PERSON_KIND: 1,
    MemberKind.YEAR_GROUP: 2,
    MemberKind.CLASS_GROUP: 3,
    MemberKind.PERSON: 4,
    MemberKind.IDENTITY: 5,
}
DAY_CODES: tuple[str, ...] = tuple(Day.values)

# ---------------------------------------------------------------------------------------------------------
# TOML writing: policyfile/write.py, beside the reader


def compress_days(days: Iterable[str]) -> list[str]:
    """Day codes in week order, runs of three or more written as ranges: ["mon-fri"], ["sat", "sun"]."""
    chosen = [i for i, code in enumerate(DAY_CODES) if code in set(days)]
    runs: list[list[int]] = []
    for day in chosen:
        if runs and runs[-1][-1] + 1 == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    out: list[str] = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{DAY_CODES[run[0]]}-{DAY_CODES[run[-1]]}")
        else:
            out.extend(DAY_CODES[d] for d in run)
    return out


# ---------------------------------------------------------------------------------------------------------
# The rows


@dataclass(frozen=True)
class Conflict:
    """One identity that two or more groups claim in the same way."""

    identity: NetworkIdentity
    claims: tuple[tuple[FilterGroup, str], ...]  # (group, how), sorted by group name

    @property
    def message(self) -> str:
        who = f" ({self.identity.person})" if self.identity.person_id else ""
        claims = " and ".join(f'"{group.name}" ({how})' for group, how in self.claims)
        return (
            f"{self.identity.get_kind_display().split(' (')[0].lower()} {self.identity.value}{who} "
            f"would be in the groups {claims}: take it out of all but one of them, or add it to one "
            "of them directly (the most specific way in wins)"
        )


@dataclass
class PolicyRows:
    """Everything a school's policy file is made of, as read from the database."""

    school: School
    settings: SchoolPolicy
    lists: list[ListSource]
    groups: list[FilterGroup]
    members: list[GroupMember]
    users: dict[str, list[str]]  # group name -> user names
    networks: dict[str, dict[str, list[str]]]  # group name -> label -> addresses and ranges
    conflicts: list[Conflict]
    windows: list[TimeWindow]
    terms: list[SchoolDate]
    holidays: list[SchoolDate]
    categories: list[Category]
    sites: list[SiteList]
    rules: list[Rule]
    members_by_group: dict[int, list[GroupMember]] = field(default_factory=dict)
    # When the access of a user name or network ends (its person's `expires_at`), keyed by
    # ("users", lowercased name) or ("networks", address as kept): rendered in timed blocks.
    expiring: dict[tuple[str, str], datetime] = field(default_factory=dict)


def _is_current(person: Person, at: datetime) -> bool:
    return person.archived_at is None and (person.expires_at is None or person.expires_at > at)


def load_rows(school: School, at: datetime | None = None, settings: SchoolPolicy | None = None) -> PolicyRows:
    """Read the school's policy rows. `at` decides who is current (default: now); `settings`, if the
    caller has them, saves a query."""
    at = at or timezone.now()
    if settings is None:
        settings = SchoolPolicy.objects.filter(school=school).first() or SchoolPolicy(school=school)
    groups = list(FilterGroup.objects.filter(school=school).order_by("name"))
    members = list(
        GroupMember.objects.filter(school=school)
        .select_related("year_group", "class_group", "person", "identity", "identity__person")
        .order_by("group_id", "kind", "id")
    )
    users, networks, conflicts = _place_identities(school, groups, members, at)
    dates = list(SchoolDate.objects.filter(school=school).order_by("first", "last", "id"))
    by_group: dict[int, list[GroupMember]] = defaultdict(list)
    for member in members:
        by_group[member.group_id].append(member)
    expiring: dict[tuple[str, str], datetime] = {}
    for kind, value, ends in NetworkIdentity.objects.filter(
        school=school, person__archived_at__isnull=True, person__expires_at__gt=at
    ).values_list("kind", "value", "person__expires_at"):
        if ends is not None:
            key = identity_key(kind, value)
            expiring[key] = max(ends, expiring.get(key, ends))
    return PolicyRows(
        school=school,
        settings=settings,
        lists=list(ListSource.objects.filter(school=school).order_by("-locked", "name")),
        groups=groups,
        members=members,
        users=users,
        networks=networks,
        conflicts=conflicts,
        windows=list(TimeWindow.objects.filter(school=school).order_by("name")),
        terms=[d for d in dates if d.kind == DateKind.TERM],
        holidays=[d for d in dates if d.kind == DateKind.HOLIDAY],
        categories=list(Category.objects.filter(school=school).order_by("-locked", "name")),
        sites=list(SiteList.objects.filter(school=school).order_by("name")),
        rules=list(
            Rule.objects.filter(school=school)
            .select_related("window")
            .prefetch_related("groups", "categories", "sites")
            .order_by("position", "id")
        ),
        members_by_group=dict(by_group),
        expiring=expiring,
    )


def identity_key(kind: str, value: str) -> tuple[str, str]:
    """How an identity is named in the file: ("users", lowercased name) or ("networks", address)."""
    if kind == IdentityKind.USERNAME:
        return ("users", value.strip().lower())
    return ("networks", value.strip())


def lineage(group: FilterGroup, group_of: dict[int, FilterGroup]) -> list[FilterGroup]:
    """The group and every group it is `within`, nearest first (stopping before a circle)."""
    out = [group]
    seen = {group.pk}
    while out[-1].within_id is not None and out[-1].within_id in group_of and out[-1].within_id not in seen:
        seen.add(out[-1].within_id)
        out.append(group_of[out[-1].within_id])
    return out


def _place_identities(
    school: School, groups: list[FilterGroup], members: list[GroupMember], at: datetime
) -> tuple[dict[str, list[str]], dict[str, dict[str, list[str]]], list[Conflict]]:
    """Which group each network identity is in: (users by group, networks by group and label, conflicts)."""
    group_of = {g.pk: g for g in groups}
    by_kind: dict[str, list[GroupMember]] = defaultdict(list)
    by_year: dict[int, list[GroupMember]] = defaultdict(list)
    by_class: dict[int, list[GroupMember]] = defaultdict(list)
    by_person: dict[int, list[GroupMember]] = defaultdict(list)
    by_identity: dict[int, list[GroupMember]] = defaultdict(list)
    for m in members:
        if m.kind == MemberKind.PERSON_KIND:
            by_kind[m.person_kind].append(m)
        elif m.kind == MemberKind.YEAR_GROUP and m.year_group_id is not None:
            by_year[m.year_group_id].append(m)
        elif m.kind == MemberKind.CLASS_GROUP and m.class_group_id is not None:
            by_class[m.class_group_id].append(m)
        elif m.kind == MemberKind.PERSON and m.person_id is not None:
            by_person[m.person_id].append(m)
        elif m.kind == MemberKind.IDENTITY and m.identity_id is not None:
            by_identity[m.identity_id].append(m)

    identities: dict[int, NetworkIdentity] = {}
    covers = Q(kind__in=sorted(by_kind)) | Q(year_group_id__in=sorted(by_year))
    covers |= Q(class_group_id__in=sorted(by_class)) | Q(pk__in=sorted(by_person))
    if by_kind or by_year or by_class or by_person:
        people = Person.objects.filter(school=school, archived_at__isnull=True).exclude(expires_at__lte=at)
        for identity in NetworkIdentity.objects.filter(
            school=school, person__in=people.filter(covers)
        ).select_related("person"):
            identities[identity.pk] = identity
    for found in by_identity.values():
        named = found[0].identity
        if named is not None and (named.person is None or _is_current(named.person, at)):
            identities.setdefault(named.pk, named)

    users: dict[str, list[str]] = defaultdict(list)
    networks: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    conflicts: list[Conflict] = []
    for identity in sorted(identities.values(), key=lambda i: (i.kind, i.value.lower(), i.pk)):
        claims: list[GroupMember] = list(by_identity.get(identity.pk, ()))
        person = identity.person
        if person is not None:
            claims += by_kind.get(person.kind, [])
            claims += by_year.get(person.year_group_id or 0, [])
            claims += by_class.get(person.class_group_id or 0, [])
            claims += by_person.get(person.pk, [])
        if not claims:
            continue
        best = max(SPECIFICITY[m.kind] for m in claims)
        winners: dict[str, tuple[FilterGroup, str]] = {}
        for m in claims:
            if SPECIFICITY[m.kind] == best and m.group_id in group_of:
                group = group_of[m.group_id]
                winners.setdefault(group.name, (group, m.describe()))
        if len(winners) > 1:
            # A group beats every group it is within: the narrower of the two, not a conflict.
            wider = {g.name for group, _ in winners.values() for g in lineage(group, group_of)[1:]}
            winners = {name: won for name, won in winners.items() if name not in wider} or winners
        if len(winners) > 1:
            conflicts.append(Conflict(identity, tuple(winners[name] for name in sorted(winners))))
        for name in sorted(winners):
            if identity.kind == IdentityKind.USERNAME:
                users[name].append(identity.value.strip().lower())
            else:
                networks[name][identity.label].append(identity.value.strip())
    return (
        {g: sorted(set(names)) for g, names in users.items()},
        {g: {label: sorted(set(v)) for label, v in by_label.items()} for g, by_label in networks.items()},
        conflicts,
    )


# ---------------------------------------------------------------------------------------------------------
# The text


@dataclass(frozen=True)
class Origin:
    """The editor record a part of the file came from, for error messages: 'Rule 3 "no pornography"'."""

    label: str
    obj: object | None = None

    @property
    def url(self) -> str | None:
        get = getattr(self.obj, "get_absolute_url", None)
        return str(get()) if get is not None else None


@dataclass(frozen=True)
class Rendered:
    text: str
    origins: dict[tuple[str | int, ...], Origin]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def school_zone(school: School) -> ZoneInfo:
    try:
        return ZoneInfo(school.timezone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def render(rows: PolicyRows, *, index_path: Path | None = None) -> Rendered:
    """The policy file for `rows`. `index_path`, if given, is named in a comment (where the lists are
    compiled to)."""
    w = TomlWriter()
    origins: dict[tuple[str | int, ...], Origin] = {}
    school = rows.school
    w.comment(f"Filtering policy for {school.name}, written by Schoolgate's policy editor.")
    w.comment("Change it in the editor: a change made here by hand is replaced at the next publish.")
    w.comment("The format is described in docs/policy-file.md.")
    w.blank()
    w.pair("schema_version", 1)

    origins[("school",)] = Origin("Policy settings", rows.settings)
    w.header("school")
    w.pair("name", school.name)
    w.pair("timezone", school.timezone or "Europe/London")
    w.pair("block_page", rows.settings.block_page)
    w.pair("unparsable", rows.settings.unparsable)

    if rows.lists:
        w.blank()
        if index_path is not None:
            w.comment(f"Lists, compiled into {index_path} by `schoolgate lists compile --policy THIS-FILE`.")
        else:
            w.comment("Lists, compiled into the index by `schoolgate lists compile --policy THIS-FILE`.")
    for source in rows.lists:
        origins[("lists", source.name)] = Origin(
            f'{"Locked list" if source.locked else "List"} "{source.name}"', source
        )
        w.header("lists", source.name)
        w.pair("format", source.format)
        w.pair("path", source.path)
        if source.locked:
            w.pair("locked", True)
        if source.description:
            w.pair("description", source.description)

    group_names = {g.pk: g.name for g in rows.groups}
    for group in rows.groups:
        origins[("groups", group.name)] = Origin(f'Group "{group.name}"', group)
        w.header("groups", group.name)
        if group.description:
            w.pair("description", group.description)
        if group.within_id is not None and group.within_id in group_names:
            w.pair("within", group_names[group.within_id])
        w.pair("default", group.default)
        w.pair("safe_search", group.safe_search)
        w.pair("youtube", group.youtube)

    number = 0
    zone = school_zone(school)
    for group in rows.groups:
        for kind, values, label, expires in _identity_blocks(rows, group.name):
            origins[("identities", number)] = Origin(f'Who is in group "{group.name}"', group)
            number += 1
            w.header("identities", array=True)
            w.pair("group", group.name)
            w.pair(kind, values)
            if label:
                w.pair("label", label)
            if expires is not None:
                w.pair("expires", expires.astimezone(zone))

    for window in rows.windows:
        origins[("windows", window.name)] = Origin(f'Time window "{window.name}"', window)
        w.header("windows", window.name)
        if window.description:
            w.pair("description", window.description)
        w.pair("days", compress_days(window.days))
        if window.times:
            w.pair("times", list(window.times))
        if window.term_time_only:
            w.pair("terms", [d.range_text for d in rows.terms])
            if rows.holidays:
                w.pair("holidays", [d.range_text for d in rows.holidays])

    for category in rows.categories:
        origins[("categories", category.name)] = Origin(
            f'{"Locked category" if category.locked else "Category"} "{category.name}"', category
        )
        w.header("categories", category.name)
        w.pair("sources", list(category.sources))
        if category.uksic:
            w.pair("uksic", category.uksic)
        if category.locked:
            w.pair("locked", True)
        if category.description:
            w.pair("description", category.description)

    for site in rows.sites:
        origins[("sites", site.name)] = Origin(f'Site list "{site.name}"', site)
        w.header("sites", site.name)
        if site.description:
            w.pair("description", site.description)
        if site.domains:
            w.pair("domains", list(site.domains))
        if site.urls:
            w.pair("urls", list(site.urls))

    if rows.rules:
        w.blank()
        w.comment("Rules: the first that matches wins (after the locked lists, which always win).")
    for n, rule in enumerate(rows.rules):
        origins[("rules", n)] = Origin(f'Rule {n + 1} "{rule.name}"', rule)
        w.header("rules", array=True)
        w.pair("name", rule.name)
        if not rule.everyone:
            w.pair("groups", sorted(g.name for g in rule.groups.all()))
        for key, names in (
            ("categories", sorted(c.name for c in rule.categories.all())),
            ("sites", sorted(s.name for s in rule.sites.all())),
            ("domains", list(rule.domains)),
            ("urls", list(rule.urls)),
            ("patterns", list(rule.patterns)),
        ):
            if names:
                w.pair(key, names)
        if rule.all_sites:
            w.pair("all_sites", True)
        if rule.window is not None:
            w.pair("window", rule.window.name)
        if rule.starts is not None:
            w.pair("starts", rule.starts.astimezone(zone))
        if rule.expires is not None:
            w.pair("expires", rule.expires.astimezone(zone))
        w.pair("action", rule.action)
        if rule.alert != AlertLevel.NONE:
            w.pair("alert", rule.alert)
    return Rendered(w.text(), origins)


def _identity_blocks(rows: PolicyRows, group: str) -> list[tuple[str, list[str], str, datetime | None]]:
    """A group's `[[identities]]` blocks as (kind, values, label, expires): first those without an
    end (user names, then networks by label), then one block per end, kind and label, earliest first."""
    timed: dict[tuple[datetime, str, str], list[str]] = defaultdict(list)
    untimed: list[tuple[str, list[str], str, datetime | None]] = []
    names = [u for u in rows.users.get(group, []) if ("users", u) not in rows.expiring]
    if names:
        untimed.append(("users", names, "", None))
    for u in rows.users.get(group, []):
        if ("users", u) in rows.expiring:
            timed[(rows.expiring[("users", u)], "users", "")].append(u)
    for label, values in sorted(rows.networks.get(group, {}).items()):
        kept = [v for v in values if ("networks", v) not in rows.expiring]
        if kept:
            untimed.append(("networks", kept, label, None))
        for v in values:
            if ("networks", v) in rows.expiring:
                timed[(rows.expiring[("networks", v)], "networks", label)].append(v)
    ordered = sorted(timed.items(), key=lambda item: (item[0][0], item[0][1] != "users", item[0][2]))
    return untimed + [(kind, values, label, ends) for (ends, kind, label), values in ordered]


def render_policy(school: School, *, index_path: Path | None = None, at: datetime | None = None) -> Rendered:
    return render(load_rows(school, at), index_path=index_path)
