"""What the policy pages do: every change to the policy rows, publishing and restoring, and "Test a URL".

Every write goes through a function here, which refuses what no page may do whatever was posted: a
locked list or locked category (illegal content) is never changed or removed, the group `default` is
never removed, nothing a rule names is removed from under it, and no record of another school is
linked in.

Publishing renders the draft (`render.py`), checks it with Schoolgate's own policy loader and, when
the compiled list index at `settings.INDEX_PATH` exists, compiles it against that index (without it,
every check that needs no lists is still made), exactly as `schoolgate policy check` does
(policyfile/snapshot.py). A policy with any problem is never published. A published policy is
recorded as a `PolicyVersion` (who, when, why) and in the audit trail, and written atomically where the
gateways read it (`snapshot_path`):

- a deployment with one school: `settings.POLICY_PATH` itself;
- a deployment with several schools (a trust): `<POLICY_PATH stem>-<school slug><suffix>` beside it,
  e.g. `var/policy-northfield.toml` and `var/policy-southgate.toml`, each school's gateways started
  with `--policy` pointing at its own file. (Adding a second school to a deployment moves the first
  school's snapshot to its own name at its next publish: point its gateways there.)

Relative list paths in the file are relative to that directory, as for a policy written by hand.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from schoolgate.engine.decide import Decision, Request, decide, explain
from schoolgate.engine.policy import CompiledPolicy
from schoolgate.files import write_atomically
from schoolgate.policyfile.errors import ListIndexError, PolicyFileError, PolicyFitError
from schoolgate.policyfile.load import ListDeclaration, PolicyFile, not_installed_words, parse_policy
from schoolgate.policyfile.sections import split_requests
from schoolgate.policyfile.snapshot import compile_snapshot, load_snapshot, open_index
from schoolgate.policyfile.write import write_policy
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import acting_as, record
from schoolgate.web.core.actions import Operator, acting, require, save
from schoolgate.web.policy import seed
from schoolgate.web.policy.choices import DEFAULT_GROUP, Verdict
from schoolgate.web.policy.models import (
    Category,
    FilterGroup,
    GroupMember,
    ListSource,
    PolicyVersion,
    Rule,
    SchoolDate,
    SchoolPolicy,
    SiteList,
    TimeWindow,
)
from schoolgate.web.policy.render import Origin, PolicyRows, Rendered, load_rows, render, school_zone
from schoolgate.web.policy.requests_section import Placement, join_requests, requests_part
from schoolgate.web.tenancy.models import School

SEED_ACTOR = "system (policy editor set-up)"
# The groups an approved request makes in the policy file's requests section ("request-14"): no group
# of the editor takes such a name, so the file and its summary can never mistake one for the other.
REQUEST_GROUP_PREFIX = "request-"

log = logging.getLogger(__name__)


class ActionError(ValidationError):
    """Something the editor never does, in words for the page (a ValidationError: bad input)."""


class LockedError(PermissionDenied):
    """A locked list or category was to be changed: nobody may, whatever their role."""


class InUseError(ActionError):
    """A record that others name was to be removed."""


@dataclass(frozen=True)
class Problem:
    """One thing that stops a policy being published."""

    message: str
    where: str = ""  # 'Rule 3 "no pornography"'
    url: str | None = None  # the editor page of that record
    line: int | None = None  # the line of the policy file
    key: str = ""  # "rules[3].categories[1]"


class PublishError(ValidationError):
    """The policy cannot be published: its problems, each with where it is (a ValidationError)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__([p.message for p in self.problems])


# ---------------------------------------------------------------------------------------------------------
# Setting a school up


def ensure_policy(school: School) -> SchoolPolicy:
    """The school's policy settings; the first time, the school's policy is set up from the example
    policy's lists and categories, with the group `default` (see `seed.py`)."""
    found = SchoolPolicy.objects.filter(school=school).first()
    if found is not None:
        return found
    try:
        with transaction.atomic(), acting_as(SEED_ACTOR, "set up from the example policy"):
            created = SchoolPolicy.objects.create(school=school)
            for spec in seed.LISTS:
                ListSource.objects.create(school=school, **spec)
            for spec in seed.CATEGORIES:
                Category.objects.create(school=school, **spec)
            if not FilterGroup.objects.filter(school=school, name=DEFAULT_GROUP).exists():
                FilterGroup.objects.create(school=school, **seed.DEFAULT_GROUP)
            return created
    except IntegrityError:  # set up meanwhile by another request
        return SchoolPolicy.objects.get(school=school)


# ---------------------------------------------------------------------------------------------------------
# Changing the rows


def _is_locked(obj: models.Model) -> bool:
    if not isinstance(obj, Category | ListSource):
        return False
    if obj.locked:
        return True
    if obj.pk is None:
        return False
    return type(obj).objects.filter(pk=obj.pk, locked=True).exists()


def refuse_locked(obj: models.Model) -> None:
    """Raise LockedError for a locked list or category (as stored, whatever the object now says)."""
    if _is_locked(obj):
        what = "list" if isinstance(obj, ListSource) else "category"
        raise LockedError(
            f'"{obj}" is a locked {what} of illegal content: it blocks for everyone, and it cannot be '
            "changed or removed in the editor"
        )


def _same_school(school_id: int, *related: models.Model | None) -> None:
    for obj in related:
        if obj is not None and getattr(obj, "school_id", school_id) != school_id:
            raise ActionError("That belongs to another school")


def do_save(
    obj: Category | ListSource | FilterGroup | TimeWindow | SchoolDate | SiteList | SchoolPolicy,
    *,
    actor: User | Operator,
) -> None:
    """Save a policy record (not a rule: `do_save_rule`)."""
    require(actor, Capability.POLICY_CHANGE, obj.school_id)
    refuse_locked(obj)
    if isinstance(obj, FilterGroup) and obj.pk is not None:
        stored = FilterGroup.objects.filter(pk=obj.pk).values_list("name", flat=True).first()
        if stored == DEFAULT_GROUP and obj.name != DEFAULT_GROUP:
            raise ActionError(f'The group "{DEFAULT_GROUP}" cannot be renamed: unidentified users get it')
    if isinstance(obj, ListSource) and obj.pk is not None:
        stored = ListSource.objects.filter(pk=obj.pk).values_list("name", flat=True).first()
        using = _categories_using(obj.school_id, stored) if stored and stored != obj.name else []
        if using:
            raise ActionError(
                f'The list "{stored}" cannot be renamed while categories draw on it: {", ".join(using)}. '
                "Change those categories first."
            )
    if isinstance(obj, FilterGroup):
        _check_within(obj)
        if obj.name.startswith(REQUEST_GROUP_PREFIX):
            raise ActionError(
                f'Names beginning "{REQUEST_GROUP_PREFIX}" are kept for the groups approved requests make'
            )
    if isinstance(obj, FilterGroup) and obj.name == DEFAULT_GROUP and obj.default != Verdict.BLOCK:
        raise ActionError(
            f'The group "{DEFAULT_GROUP}" is for anyone the filter cannot identify: it must block '
            "when no rule matches"
        )
    save(obj, actor=actor)


def within_choices(school: School | int, group: FilterGroup) -> list[int]:
    """The groups `group` may be part of: the school's others, never itself, a group that is (at any
    depth) part of it, which would make a circle, or `default`, which is for unidentified users."""
    school_id = school if isinstance(school, int) else school.pk
    groups = list(FilterGroup.objects.filter(school_id=school_id).values_list("pk", "name", "within_id"))
    parent = {pk: within for pk, _, within in groups}

    def inside(pk: int) -> bool:  # whether `pk` is `group` or (transitively) part of it
        seen: set[int] = set()
        at: int | None = pk
        while at is not None and at not in seen:
            if at == group.pk:
                return True
            seen.add(at)
            at = parent.get(at)
        return False

    return [pk for pk, name, _ in groups if name != DEFAULT_GROUP and (group.pk is None or not inside(pk))]


def _check_within(group: FilterGroup) -> None:
    """Refuse a `within` the policy file could not say: see `within_choices`."""
    if group.within_id is None:
        return
    if group.name == DEFAULT_GROUP:
        raise ActionError({"within": f'The group "{DEFAULT_GROUP}" cannot be part of another group'})
    if group.within_id not in within_choices(group.school_id, group):
        raise ActionError(
            {
                "within": "A group can be part of another of the school's groups, but not of itself, "
                f'of a group that is part of it, or of "{DEFAULT_GROUP}"'
            }
        )


def _categories_using(school_id: int, list_name: str) -> list[str]:
    return [
        c.name
        for c in Category.objects.filter(school_id=school_id).order_by("name")
        if any(s == list_name or s.startswith(list_name + "/") for s in c.sources)
    ]


def rules_naming(obj: models.Model) -> list[Rule]:
    """The rules that name a group, category, site list or window."""
    if isinstance(obj, FilterGroup):
        found = Rule.objects.filter(groups=obj)
    elif isinstance(obj, Category):
        found = Rule.objects.filter(categories=obj)
    elif isinstance(obj, SiteList):
        found = Rule.objects.filter(sites=obj)
    elif isinstance(obj, TimeWindow):
        found = Rule.objects.filter(window=obj)
    else:
        return []
    return list(found.order_by("position", "id"))


def do_delete(
    obj: Category | ListSource | FilterGroup | TimeWindow | SchoolDate | SiteList, *, actor: User | Operator
) -> None:
    """Remove a row of the draft policy. Not archived: the draft is the editor's working copy, every
    published version keeps its whole text, and the audit trail keeps the row as it was."""
    require(actor, Capability.POLICY_CHANGE, obj.school_id)
    refuse_locked(obj)
    if isinstance(obj, FilterGroup) and obj.name == DEFAULT_GROUP:
        raise ActionError(f'The group "{DEFAULT_GROUP}" cannot be removed: unidentified users get it')
    if isinstance(obj, FilterGroup):
        parts = sorted(FilterGroup.objects.filter(within=obj).values_list("name", flat=True))
        if parts:
            names = ", ".join(f'"{p}"' for p in parts)
            raise InUseError(f'"{obj}" cannot be removed while other groups are part of it: {names}.')
        from schoolgate.web.filterrequests.models import Grant  # the requests app is built on this one

        granted = sorted(set(Grant.objects.filter(group=obj).values_list("request__number", flat=True)))
        if granted:
            numbers = ", ".join(str(n) for n in granted)
            raise InUseError(
                f'"{obj}" cannot be removed: approved requests were granted to it ({numbers}), '
                "and their records keep it"
            )
    naming = rules_naming(obj)
    if naming:
        names = ", ".join(f'"{r.name}"' for r in naming)
        raise InUseError(f'"{obj}" cannot be removed while rules name it: {names}. Change those rules first.')
    if isinstance(obj, ListSource):
        using = _categories_using(obj.school_id, obj.name)
        if using:
            raise InUseError(
                f'"{obj}" cannot be removed while categories draw on it: {", ".join(using)}. '
                "Change those categories first."
            )
    with transaction.atomic(), acting(actor):
        obj.delete()


def _links(rule: Rule) -> dict[str, list[str]]:
    return {
        "groups": sorted(rule.groups.values_list("name", flat=True)),
        "categories": sorted(rule.categories.values_list("name", flat=True)),
        "sites": sorted(rule.sites.values_list("name", flat=True)),
    }


def do_save_rule(
    rule: Rule,
    *,
    actor: User | Operator,
    groups: Sequence[FilterGroup],
    categories: Sequence[Category],
    sites: Sequence[SiteList],
    at_top: bool = False,
) -> None:
    """Save a rule and the groups, categories and site lists it names; their changes are written to
    the audit trail as a change of the rule."""
    require(actor, Capability.POLICY_CHANGE, rule.school_id)
    _same_school(rule.school_id, rule.window, *groups, *categories, *sites)
    if rule.action == Verdict.ALLOW:
        locked = [c.name for c in categories if _is_locked(c)]
        if locked:
            raise ActionError(
                {
                    "categories": f"A rule cannot allow the locked categories {', '.join(locked)}: "
                    "they block for everyone"
                }
            )
    if not rule.everyone and not groups:
        raise ActionError({"who": "Choose the groups the rule applies to, or everyone"})
    with transaction.atomic(), acting(actor):
        before = None
        if rule.pk is None:
            positions = Rule.objects.filter(school_id=rule.school_id).aggregate(
                low=models.Min("position"), high=Max("position")
            )
            if at_top:
                rule.position = (positions["low"] or 1) - 1
            else:
                rule.position = (positions["high"] or 0) + 1
        else:
            before = _links(rule)
        rule.save()
        rule.groups.set(groups)
        rule.categories.set(categories)
        rule.sites.set(sites)
        after = _links(rule)
        if before is not None and before != after:
            record(AuditAction.UPDATE, obj=rule, before=before, after=after)
        elif before is None and any(after.values()):
            record(AuditAction.UPDATE, obj=rule, before=None, after=after)


def do_delete_rule(rule: Rule, *, actor: User | Operator) -> None:
    """Remove a rule from the draft (kept in the published versions and the audit trail)."""
    require(actor, Capability.POLICY_CHANGE, rule.school_id)
    with transaction.atomic(), acting(actor):
        links = _links(rule)
        if any(links.values()):
            record(AuditAction.UPDATE, obj=rule, before=links, after=None)
        rule.delete()


def do_move_rule(rule: Rule, *, actor: User | Operator, direction: str) -> bool:
    """Swap a rule with the one above ("up") or below ("down"); False if it is already at that end."""
    require(actor, Capability.POLICY_CHANGE, rule.school_id)
    if direction not in ("up", "down"):
        raise ValidationError("Move a rule up or down")
    with transaction.atomic(), acting(actor):
        rules = list(Rule.objects.filter(school_id=rule.school_id).order_by("position", "id"))
        n = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other_n = n - 1 if direction == "up" else n + 1
        if not 0 <= other_n < len(rules):
            return False
        # Number them 1, 2, 3 ... first if two share a position, so that the swap changes the order.
        if len({r.position for r in rules}) != len(rules):
            for i, r in enumerate(rules, start=1):
                if r.position != i:
                    r.position = i
                    r.save(update_fields=("position",))
        this, other = rules[n], rules[other_n]
        this.position, other.position = other.position, this.position
        this.save(update_fields=("position",))
        other.save(update_fields=("position",))
        return True


def do_add_member(member: GroupMember, *, actor: User | Operator) -> None:
    """Add a way into a group (a kind of person, a year group, a class, a person, an identity)."""
    require(actor, Capability.POLICY_CHANGE, member.school_id)
    _same_school(
        member.school_id, member.group, member.year_group, member.class_group, member.person, member.identity
    )
    save(member, actor=actor)


def do_remove_member(member: GroupMember, *, actor: User | Operator) -> None:
    """Remove a way into a group (the people stay; only the draft's membership rule goes)."""
    require(actor, Capability.POLICY_CHANGE, member.school_id)
    with transaction.atomic(), acting(actor):
        member.delete()


# ---------------------------------------------------------------------------------------------------------
# Checking


def snapshot_path(school: School) -> Path:
    """Where the school's published policy is written, and where its gateways read it."""
    base = Path(settings.POLICY_PATH)
    if School.objects.count() <= 1:
        return base
    return base.with_name(f"{base.stem}-{school.slug}{base.suffix or '.toml'}")


def write_beside_snapshot(snapshot: Path, path: Path, data: str | bytes, *, mode: int, what: str) -> bool:
    """Write a file a gateway reads beside the school's policy snapshot (the requests' status file, the
    agreements file) in one step, in the snapshot's group (the gateways' users read both); False, said
    on the log as `what`, when it cannot be written."""

    def prepare(temporary: Path) -> None:
        with contextlib.suppress(OSError):
            os.chown(temporary, -1, os.stat(snapshot).st_gid)

    try:
        write_atomically(path, data, mode=mode, prepare=prepare)
    except OSError as exc:
        log.warning("cannot write %s %s: %s", what, path, exc.strerror or exc)
        return False
    return True


def index_path() -> Path:
    return Path(settings.INDEX_PATH)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def running_text(school: School, path: Path | None = None) -> str | None:
    """The policy the gateways read now (the snapshot file), or None if there is none yet."""
    try:
        return (path or snapshot_path(school)).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None


_KEY_HEAD = re.compile(
    r'(?P<section>[A-Za-z_]+)(?:\[(?P<index>\d+)\]|\.(?P<name>"(?:[^"\\]|\\.)*"|[A-Za-z0-9_-]+))?'
)


def _origin_key(rendered_key: str) -> tuple[str | int, ...]:
    """("rules", 2) for "rules[3].categories[1]"; ("categories", "ut1/adult") for 'categories."ut1/adult"'."""
    found = _KEY_HEAD.match(rendered_key)
    if found is None:
        return ()
    if found["index"]:
        return (found["section"], int(found["index"]) - 1)
    if found["name"]:
        name = found["name"]
        return (found["section"], json.loads(name) if name.startswith('"') else name)
    return (found["section"],)


def _origin(origins: dict[tuple[str | int, ...], Origin], key: tuple[str | int, ...]) -> Origin | None:
    return origins.get(key[:2]) or origins.get(key[:1])


def _problem(message: str, origin: Origin | None, line: int | None, key: str) -> Problem:
    if origin is not None and isinstance(origin.obj, ListSource | Category) and origin.obj.locked:
        message += (
            " (locked lists are installed on the server by whoever runs Schoolgate, not in the "
            "editor: ask them to put the list in place)"
        )
    return Problem(
        message=message,
        where=origin.label if origin else "",
        url=origin.url if origin else None,
        line=line,
        key=key,
    )


def row_problems(rows: PolicyRows) -> list[Problem]:
    """What the policy file cannot say, found in the rows themselves."""
    problems: list[Problem] = []
    for conflict in rows.conflicts:
        first = conflict.claims[0][0]
        problems.append(
            Problem(conflict.message, f'Who is in group "{first.name}"', first.get_absolute_url())
        )
    for n, rule in enumerate(rows.rules):
        if not rule.everyone and not rule.groups.all():
            problems.append(
                Problem(
                    "it applies to no group: choose its groups, or everyone",
                    f'Rule {n + 1} "{rule.name}"',
                    rule.get_absolute_url(),
                )
            )
    for window in rows.windows:
        if not window.days:
            problems.append(
                Problem(
                    "it has no days: choose the days it applies on",
                    f'Time window "{window.name}"',
                    window.get_absolute_url(),
                )
            )
    if not rows.terms:
        for window in rows.windows:
            if window.term_time_only:
                problems.append(
                    Problem(
                        "it is limited to term time, but the school has no term dates: add them",
                        f'Time window "{window.name}"',
                        window.get_absolute_url(),
                    )
                )
    return problems


@dataclass
class Checked:
    problems: list[Problem]
    policy_file: PolicyFile | None = None
    compiled: CompiledPolicy | None = None
    against_index: bool = False  # whether the index existed and was opened
    # The policy names lists the index was not compiled from (or there is no index): publishing
    # compiles them first (`compile_for`), so the checks that need the lists wait until then.
    lists_to_compile: bool = False


def _declared(lists: Mapping[str, ListDeclaration]) -> dict[str, dict[str, Any]]:
    """The lists as the index records what it was compiled from (lists/compile.py `info`)."""
    return {
        name: {"format": d.format, "path": str(d.path), "locked": d.locked, "installed": d.installed}
        for name, d in lists.items()
    }


def index_lacks(lists: Mapping[str, ListDeclaration], index: Path) -> bool:
    """Whether `index` is missing or was not compiled from these very lists (a list it has under
    another path or format, or one it has not at all). One that is there but cannot be opened is
    not: the check says why (perhaps its permissions), rather than a publish replacing it."""
    if not lists:
        return False
    if not index.exists():
        return True
    try:
        compiled_from = open_index(index).info.get("lists", {})
    except (OSError, ValueError):  # unreadable, or not an index (IndexFileError): said by the check
        return False
    if not isinstance(compiled_from, dict):
        return True
    return any(compiled_from.get(name) != spec for name, spec in _declared(lists).items())


def check_text(
    text: str,
    school: School,
    origins: dict[tuple[str | int, ...], Origin] | None = None,
    path: Path | None = None,
    index: Path | None = None,
) -> Checked:
    """Load `text` with the policy loader (as if it were the school's snapshot file, `path`) and check
    it as `schoolgate policy check` does (policyfile/snapshot.py): against the index (`index`, by
    default the deployment's) if it was compiled from the lists the text names, else with every
    check that needs no lists (and `lists_to_compile` set)."""
    origins = origins or {}
    path = path or snapshot_path(school)
    try:
        policy_file = parse_policy(text, str(path), path.parent)
    except PolicyFileError as exc:
        return Checked(
            [
                _problem(p.message, _origin(origins, _origin_key(p.key)), p.line or None, p.key)
                for p in exc.problems
            ]
        )
    index = index or index_path()
    stale = index_lacks(policy_file.lists, index)
    against_index = not stale and index.exists()  # without it, every check needing no lists is made
    try:
        snapshot = compile_snapshot(policy_file, index if against_index else None)
    except ListIndexError as exc:
        unopened = Problem(f"the compiled lists at {index} cannot be opened: {exc.reason}")
        return Checked([unopened], policy_file)
    except PolicyFitError as exc:
        problems = [
            _problem(p.message, _origin(origins, _origin_key(p.key)), p.line or None, p.key)
            for p in exc.problems
        ]
        return Checked(problems, policy_file, against_index=against_index, lists_to_compile=stale)
    return Checked([], policy_file, snapshot.compiled, against_index=against_index, lists_to_compile=stale)


@dataclass
class Draft:
    rows: PolicyRows
    rendered: Rendered
    problems: list[Problem]
    checked_against_index: bool
    # Locked lists whose file is not on the server yet, each in words that say how to obtain it: not a
    # problem (the draft publishes; the rest of the policy filters), but shown wherever the draft is.
    lists_not_installed: list[str] = dataclasses.field(default_factory=list)
    # The lists must be compiled when it is published (they changed, or were never compiled).
    lists_to_compile: bool = False
    # Approved requests whose grant the draft cannot carry, in words ("request 14: ...: the group
    # "x" is not in the policy"): not a problem, but the requests section says so too.
    requests_left_out: list[str] = dataclasses.field(default_factory=list)
    policy_file: PolicyFile | None = None  # the text as loaded, when it loads

    @property
    def text(self) -> str:
        return self.rendered.text

    @property
    def ok(self) -> bool:
        return not self.problems


def draft_rendered(rows: PolicyRows, at: datetime) -> tuple[Rendered, list[str]]:
    """The draft's text: the rows rendered, then the requests section of the grants in force at
    `at`, placed by the draft's own placement; and the grants it leaves out, in words."""
    base = render(rows, index_path=index_path())
    part = requests_part(rows.school, at=at, placement=Placement.from_rows(rows))
    if not part.text:
        return base, []
    return Rendered(join_requests(base.text, part.text), {**base.origins, **part.origins}), part.left_out


def check_draft(
    school: School,
    *,
    settings: SchoolPolicy | None = None,
    path: Path | None = None,
    at: datetime | None = None,
) -> Draft:
    """The draft (the editor's rows and the approved requests) rendered and checked; `settings` and
    `path` save queries when the caller has them already."""
    at = at or timezone.now()
    rows = load_rows(school, at, settings=settings)
    rendered, left_out = draft_rendered(rows, at)
    checked = check_text(rendered.text, school, rendered.origins, path)
    missing = checked.policy_file.lists_not_installed if checked.policy_file is not None else ()
    return Draft(
        rows,
        rendered,
        row_problems(rows) + checked.problems,
        checked.against_index,
        [not_installed_words(d) for d in missing],
        checked.lists_to_compile,
        left_out,
        checked.policy_file,
    )


# ---------------------------------------------------------------------------------------------------------
# Publishing

EXPIRY_PUBLISHER = "Schoolgate (expiry)"


def write_snapshot(path: Path, text: str) -> None:
    """Write `text` to `path` so that a gateway reads the old file or the new, never part of one
    (`schoolgate.policyfile.write.write_policy`)."""
    write_policy(path, text)


@dataclass(frozen=True)
class Compiled:
    """Lists compiled for a publish, beside the index, to be put in its place just before the
    snapshot is written (`install`), or thrown away if the publish does not happen."""

    path: Path
    seconds: float

    def install(self) -> None:
        os.replace(self.path, index_path())

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _other_schools_lists(school: School) -> dict[str, ListDeclaration]:
    """The lists the other schools' running policies name: the deployment has one index, so compiling
    it for one school's new lists must keep every other school's."""
    out: dict[str, ListDeclaration] = {}
    for other in School.objects.exclude(pk=school.pk).order_by("pk"):
        path = snapshot_path(other)
        text = running_text(other, path)
        if text is None:
            continue
        try:
            out.update(parse_policy(text, str(path), path.parent).lists)
        except PolicyFileError:
            continue  # a running policy that no longer loads names nothing to keep
    return out


def compile_for(school: School, policy_file: PolicyFile) -> Compiled:
    """Compile the lists `policy_file` names (and those the other schools' running policies name)
    as `schoolgate lists compile` does, into a file beside the index. Raises PublishError when they
    cannot be read or written: nothing is published."""
    from schoolgate.lists.compile import compile_lists

    lists = {**_other_schools_lists(school), **policy_file.lists}
    index = index_path()
    # A name of its own: two publishes never write, install or throw away each other's file.
    out = index.with_name(f".{index.name}.{os.getpid()}-{secrets.token_hex(6)}.publishing")
    started = time.perf_counter()
    try:
        compile_lists(lists, out)
    except (OSError, ValueError) as exc:
        out.unlink(missing_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PublishError(
            [Problem(f"The lists could not be compiled into {index}: {reason}. Nothing was published.")]
        ) from None
    seconds = time.perf_counter() - started
    log.info("compiled the lists for %s's policy in %.1f s", school, seconds)
    return Compiled(out, seconds)


def _publish_text(
    school: School,
    user: User | None,
    text: str,
    reason: str,
    action: AuditAction,
    restored_from: PolicyVersion | None = None,
    *,
    publisher_name: str = "",
    compiled: Compiled | None = None,
) -> PolicyVersion:
    number = (PolicyVersion.objects.filter(school=school).aggregate(n=Max("number"))["n"] or 0) + 1
    path = snapshot_path(school)
    version = PolicyVersion.objects.create(
        school=school,
        number=number,
        text=text,
        sha256=sha256(text),
        published_by=user,
        published_by_name="" if user is not None else publisher_name or "Schoolgate",
        published_at=timezone.now(),
        reason=reason,
        restored_from=restored_from,
    )
    after: dict[str, Any] = {"number": number, "sha256": version.sha256, "path": str(path)}
    if restored_from is not None:
        after["restored_from"] = restored_from.number
    if compiled is not None:
        after["lists_compiled"] = True
    with acting_as(user if user is not None else version.publisher):
        record(action, obj=version, school=school, after=after, reason=reason)
    try:
        if compiled is not None:
            compiled.install()
        write_snapshot(path, text)  # last: if it fails, the transaction (version and entry) is undone
    except OSError as exc:
        raise PublishError(
            [
                Problem(
                    f"The policy could not be written to {path}: {exc.strerror or exc}. "
                    "Nothing was published."
                )
            ]
        ) from None
    return version


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise PublishError([Problem("Say why you are publishing: the reason is kept with the version")])
    return reason


@contextlib.contextmanager
def _index_lock(checked: Checked) -> Iterator[None]:
    """While lists are compiled for a publish and put in place, no other publish (another school's,
    in another process) compiles the deployment's one index: the later one then starts from the
    earlier one's running policy, and neither loses the other's lists. A publish that compiles
    nothing takes no lock."""
    if not checked.lists_to_compile:
        yield
        return
    lock = index_path().with_name(f".{index_path().name}.lock")
    try:
        handle = lock.open("a+b")
    except OSError as exc:
        raise PublishError(
            [Problem(f"The lists cannot be compiled: {lock} cannot be opened: {exc.strerror or exc}")]
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _checked_with_lists(
    school: School, text: str, checked: Checked, origins: dict[tuple[str | int, ...], Origin] | None = None
) -> Compiled | None:
    """When `checked` says the lists must be compiled: compile them, and check `text` again against
    them. Raises PublishError (nothing published, the compiled file thrown away) on any problem."""
    if not checked.lists_to_compile or checked.policy_file is None or not checked.policy_file.lists:
        return None
    compiled = compile_for(school, checked.policy_file)
    again = check_text(text, school, origins, index=compiled.path)
    if again.problems:
        compiled.discard()
        raise PublishError(again.problems)
    return compiled


def do_publish(school: School, *, actor: User, reason: str, expected_sha256: str) -> PolicyVersion:
    """Publish the draft (the rows and the requests section), if it is still the one the user checked
    (`expected_sha256`) and has no problem. When its lists changed (or were never compiled), they
    are compiled first: if that fails, nothing is published."""
    require(actor, Capability.POLICY_CHANGE, school)
    user = actor
    reason = _reason(reason)
    with transaction.atomic():
        ensure_policy(school)
        SchoolPolicy.objects.select_for_update().filter(school=school).first()  # one publish at a time
        draft = check_draft(school)
        if draft.rendered.sha256 != expected_sha256:
            raise PublishError(
                [
                    Problem(
                        "The draft has changed since you checked it (perhaps someone else is editing it): "
                        "look at the changes again, then publish"
                    )
                ]
            )
        if draft.problems:
            raise PublishError(draft.problems)
        checked = Checked([], draft.policy_file, lists_to_compile=draft.lists_to_compile)
        with _index_lock(checked):
            compiled = _checked_with_lists(school, draft.text, checked, draft.rendered.origins)
            try:
                return _publish_text(school, user, draft.text, reason, AuditAction.PUBLISH, compiled=compiled)
            except BaseException:
                if compiled is not None:
                    compiled.discard()
                raise


def do_restore(version: PolicyVersion, *, actor: User, reason: str) -> PolicyVersion:
    """Publish an earlier version's text again, as a new version. The editor's draft is not changed.
    Its lists are compiled first when they are not the ones compiled now."""
    school = version.school
    require(actor, Capability.POLICY_CHANGE, school)
    user = actor
    reason = _reason(reason)
    with transaction.atomic():
        ensure_policy(school)
        SchoolPolicy.objects.select_for_update().filter(school=school).first()
        checked = check_text(version.text, school)
        if checked.problems:
            raise PublishError(checked.problems)
        with _index_lock(checked):
            compiled = _checked_with_lists(school, version.text, checked)
            try:
                return _publish_text(
                    school,
                    user,
                    version.text,
                    reason,
                    AuditAction.RESTORE,
                    restored_from=version,
                    compiled=compiled,
                )
            except BaseException:
                if compiled is not None:
                    compiled.discard()
                raise


def running_placement(school: School, at: datetime) -> Placement:
    """Who is in which group in the running policy's base at `at`; the draft's placement when
    nothing has been published yet."""
    text = running_text(school)
    if text is None:
        return Placement.from_rows(load_rows(school, at))
    return Placement.from_text(split_requests(text)[0], at, school_zone(school))


def republish(
    school: School,
    *,
    actor: User | None,
    reason: str,
    actor_name: str = "",
    at: datetime | None = None,
    drop_ended: bool = False,
) -> tuple[PolicyVersion | None, list[str]]:
    """The running policy's base (without what ended by `at` when `drop_ended`) with a fresh requests
    section, checked and published; (None, []) when that is the running policy already. Returns the
    version and what was taken out, in words. See `publish_requests`."""
    from schoolgate.policyfile.sections import SectionError, drop_expired

    at = at or timezone.now()
    path = snapshot_path(school)
    running = running_text(school, path)
    if running is None or not PolicyVersion.objects.filter(school=school).exists():
        raise PublishError(
            [Problem("Nothing has been published yet: publish the policy once first, then requests go in")]
        )
    ended: list[str] = []
    text = running
    if drop_ended:
        try:
            text, ended = drop_expired(running, at)
        except SectionError as exc:
            raise PublishError(
                [Problem(f"The running policy's ended entries cannot be taken out: {exc}")]
            ) from None
    base = split_requests(text)[0]
    placement = Placement.from_text(base, at, school_zone(school))
    part = requests_part(school, at=at, placement=placement)
    text = join_requests(base, part.text)
    if text == running:
        return None, []
    checked = check_text(text, school, part.origins, path)
    if checked.problems:
        raise PublishError(checked.problems)
    if actor is not None:
        actor_name = ""
    version = _publish_text(
        school, actor, text, reason, AuditAction.PUBLISH, publisher_name=actor_name or "Schoolgate"
    )
    return version, ended


def publish_requests(
    school: School, *, actor: User | None, reason: str, actor_name: str = ""
) -> PolicyVersion | None:
    """Publish the running policy's base with a fresh requests section (the grants in force now),
    placed by the running base's own identities: never the editor's draft, so an approval does not
    publish someone's unfinished edits. `actor` None is Schoolgate itself (`actor_name` says what,
    e.g. "Schoolgate (expiry)"). Returns None when the running policy already says exactly this.
    Raises PublishError when nothing was ever published, or the result does not check. Runs inside
    the caller's transaction (an approval's), so that a failure undoes the approval too."""
    reason = _reason(reason)
    with transaction.atomic():
        ensure_policy(school)
        SchoolPolicy.objects.select_for_update().filter(school=school).first()  # one publish at a time
        return republish(school, actor=actor, reason=reason, actor_name=actor_name)[0]


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "file", "hunk", "add", "remove", "same"
    text: str


def diff(old: str | None, new: str, old_name: str, new_name: str) -> list[DiffLine]:
    """A unified diff (difflib), line by line with its kind, for the pages to show readably."""
    lines = difflib.unified_diff(
        (old or "").splitlines(), new.splitlines(), fromfile=old_name, tofile=new_name, lineterm="", n=3
    )
    out: list[DiffLine] = []
    for line in lines:
        if line.startswith(("---", "+++")) and len(out) < 2:
            out.append(DiffLine("file", line))
        elif line.startswith("@@"):
            out.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            out.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            out.append(DiffLine("remove", line[1:]))
        else:
            out.append(DiffLine("same", line[1:]))
    return out


# ---------------------------------------------------------------------------------------------------------
# Test a URL

_PROBE_USER = " group chosen on the page "  # no real user name has spaces


@dataclass(frozen=True)
class UrlOutcome:
    """How one policy (the running one, or the draft) decides the request."""

    title: str
    decision: Decision | None = None
    explanation: str = ""
    error: str = ""
    rule_url: str | None = None


def _decide(
    compiled: CompiledPolicy, url: str, user: str, address: str, group: str, at: datetime
) -> Decision:
    if group:
        probe = dataclasses.replace(compiled, users={**compiled.users, _PROBE_USER: group})
        return decide(probe, Request(url, _PROBE_USER), at)._replace(
            identity=f"group {group}, chosen on this page"
        )
    return decide(compiled, Request(url, user or None, address or None), at)


def _tested(
    title: str, compiled: CompiledPolicy, url: str, user: str, address: str, group: str, at: datetime
) -> UrlOutcome:
    if group and group not in compiled.policy.groups:
        return UrlOutcome(title, error=f'There is no group "{group}" in this policy.')
    decision = _decide(compiled, url, user, address, group, at)
    return UrlOutcome(title, decision, explain(decision))


def try_url(
    school: School,
    url: str,
    *,
    user: str = "",
    address: str = "",
    group: str = "",
    at: datetime,
    draft: bool = False,
) -> list[UrlOutcome]:
    """The running policy's decision (and the draft's, if asked), each with its explanation. Loads and
    compiles the snapshot as `schoolgate check` does (policyfile/snapshot.py)."""
    path, index = snapshot_path(school), index_path()
    out: list[UrlOutcome] = []
    latest = PolicyVersion.objects.filter(school=school).order_by("-number").first()
    title = f"Running policy (version {latest.number})" if latest else "Running policy"
    if not path.exists():
        out.append(
            UrlOutcome(title, error="Nothing has been published yet, so the filter has no policy to test.")
        )
    elif not index.exists():
        out.append(UrlOutcome(title, error=_no_index(path, index)))
    else:
        try:
            compiled = load_snapshot(path, index).compiled
        except PolicyFileError as exc:
            out.append(UrlOutcome(title, error=f"The running policy cannot be loaded: {exc}"))
        else:
            assert compiled is not None  # an index was given
            out.append(_tested(title, compiled, url, user, address, group, at))
    if draft:
        out.append(_test_draft(school, url, user, address, group, at, path, index))
    return out


def _no_index(path: Path, index: Path) -> str:
    return (
        f"The lists have not been compiled yet (there is no {index}). On the server, run "
        f"`schoolgate lists compile --policy {path} --index {index}`."
    )


def _test_draft(
    school: School, url: str, user: str, address: str, group: str, at: datetime, path: Path, index: Path
) -> UrlOutcome:
    title = "Draft (not published)"
    rows = load_rows(school, at)
    rendered = draft_rendered(rows, at)[0]
    try:
        policy_file = parse_policy(rendered.text, str(path), path.parent)
    except PolicyFileError as exc:
        count = len(exc.problems)
        return UrlOutcome(
            title, error=f"The draft has {count} problem{'s' if count != 1 else ''}: see Publish."
        )
    if not index.exists():
        return UrlOutcome(title, error=_no_index(path, index))
    try:
        compiled = compile_snapshot(policy_file, index).compiled
    except PolicyFileError as exc:
        return UrlOutcome(title, error=f"The draft does not fit the compiled lists: {exc}")
    assert compiled is not None  # an index was given
    tested = _tested(title, compiled, url, user, address, group, at)
    if (
        tested.decision is not None
        and tested.decision.rule is not None
        and tested.decision.rule <= len(rows.rules)
    ):
        rule = rows.rules[tested.decision.rule - 1]
        tested = dataclasses.replace(tested, rule_url=rule.get_absolute_url())
    return tested
