"""The filter's change-control log, for the online safety governor (policy 002: "regular monitoring of
filtering / change control logs"): every policy version published and every filter change request
decided, newest first, by term.

A policy version says when, who published it, why, and what changed in sentences (`policy.summary`,
which names groups and counts people, never a person). A request says what was asked, for whom as a
group, "a pupil", "a member of staff" or "a class" (never a person's or a class's name), the site, the
decision, who decided and why. The reasons are free text written by staff: any word in them that is a
pupil's name at the school is replaced (`redact`), so that a reason such as "for Amelia's project" does
not name her here.

The page is paginated over a list of (when, what, id) of every entry, then loads only the page's
records, and parses only the page's policy versions (and the one before each).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator

from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.load import PolicyFile, parse_policy
from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestState
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.policy.actions import snapshot_path
from schoolgate.web.policy.models import PolicyVersion
from schoolgate.web.policy.summary import RequestInfo, Sentence, by_section, summarise
from schoolgate.web.reports.terms import Calendar, school_zone

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

PER_PAGE = 25
REDACTED = "[a pupil's name]"
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass(frozen=True)
class Entry:
    """One line of the log: a policy published (`summary`) or a request decided (`details`)."""

    at: dt.datetime
    term: str
    title: str
    who: str
    reason: str
    summary: list[tuple[str, list[Sentence]]] | None = None
    summary_failed: bool = False
    details: tuple[tuple[str, str], ...] = ()

    @property
    def is_policy(self) -> bool:
        return not self.details


def pupil_names(school: School) -> frozenset[str]:
    """Every name and surname of the school's pupils, in lower case (one query)."""
    names: set[str] = set()
    rows = Person.objects.filter(school=school, kind=PersonKind.PUPIL).values_list(
        "first_name", "last_name", "preferred_name"
    )
    for row in rows:
        for name in row:
            names.update(w.lower() for w in _WORD.findall(name or "") if len(w) > 1)
    return frozenset(names)


def redact(text: str, names: frozenset[str]) -> str:
    """`text` with each word written with a capital that is a pupil's name replaced."""

    def hide(match: re.Match[str]) -> str:
        word = match[0]
        bare = re.split(r"['’]", word)[0]
        return REDACTED if word[:1].isupper() and bare.lower() in names else word

    return _WORD.sub(hide, text)


def _for_whom(request: FilterRequest) -> str:
    if request.audience == Audience.PERSON:
        person = request.for_person
        return "a pupil" if person is None or person.kind == PersonKind.PUPIL else "a member of staff"
    if request.audience == Audience.CLASS:
        return "a class"
    if request.audience == Audience.GROUP:
        return f"the filter group “{request.for_group}”" if request.for_group else "a filter group"
    return "everyone"


def _decision(request: FilterRequest) -> str:
    if request.state == RequestState.APPROVED and request.without_approval:
        return "Unblocked for a lesson by a teacher, without approval"
    return str(RequestState(request.state).label)


def _parsed(school: School, text: str) -> PolicyFile | None:
    path = snapshot_path(school)
    try:
        return parse_policy(text, str(path), path.parent)
    except PolicyFileError:
        return None


def _versions(school: School, pks: list[int], names: frozenset[str], calendar: Calendar) -> dict[int, Entry]:
    zone = school_zone(school)
    versions = list(PolicyVersion.objects.filter(school=school, pk__in=pks).select_related("published_by"))
    before_numbers = {v.number - 1 for v in versions if v.number > 1} - {v.number for v in versions}
    texts = {v.number: v.text for v in versions}
    texts |= dict(
        PolicyVersion.objects.filter(school=school, number__in=before_numbers).values_list("number", "text")
    )
    loaded = {n: _parsed(school, t) for n, t in texts.items()}  # each text parsed once
    parsed = {v.number: loaded[v.number] for v in versions}
    old = {n: f for n, f in loaded.items() if n + 1 in parsed}
    files = [f for f in (*parsed.values(), *old.values()) if f is not None]
    numbers = {g.request for f in files for g in f.policy.grants if g.request is not None}
    deciders = {
        r.number: RequestInfo(
            approver=str(r.decided_by) if r.decided_by else "", without_approval=r.without_approval
        )
        for r in FilterRequest.objects.filter(school=school, number__in=numbers).select_related("decided_by")
    }
    entries = {}
    for v in versions:
        new_file, old_file = parsed[v.number], old.get(v.number - 1)
        failed = new_file is None or (v.number > 1 and old_file is None)
        summary = (
            None
            if failed or new_file is None
            else by_section(summarise(old_file, new_file, requests=deciders))
        )
        at = v.published_at.astimezone(zone)
        entries[v.pk] = Entry(
            at=at,
            term=calendar.term_at(at.date()).name,
            title=f"Filtering policy version {v.number} published",
            who=v.publisher,
            reason=redact(v.reason, names),
            summary=summary,
            summary_failed=failed,
        )
    return entries


def _requests(school: School, pks: list[int], names: frozenset[str], calendar: Calendar) -> dict[int, Entry]:
    zone = school_zone(school)
    found = FilterRequest.objects.filter(school=school, pk__in=pks).select_related(
        "decided_by", "for_person", "for_group"
    )
    kinds = dict(RequestKind.choices)
    entries = {}
    for r in found:
        at = (r.decided_at or r.asked_at).astimezone(zone)
        entries[r.pk] = Entry(
            at=at,
            term=calendar.term_at(at.date()).name,
            title=f"Filter change request {r.number} decided",
            who=str(r.decided_by) if r.decided_by else "Schoolgate",
            reason=redact(r.decision_reason, names),
            details=(
                ("Asked for", kinds.get(r.kind, r.kind)),
                ("For", _for_whom(r)),
                ("Site", r.site),
                ("Decision", _decision(r)),
            ),
        )
    return entries


def page_of(
    school: School, number: str | int | None
) -> tuple[Page[tuple[dt.datetime, str, int]], list[Entry]]:
    """The `number`th page of the log (the first for anything that is not a page number), and its
    entries, newest first."""
    versions = PolicyVersion.objects.filter(school=school).values_list("published_at", "pk")
    decided = FilterRequest.objects.filter(
        school=school,
        state__in=(RequestState.APPROVED, RequestState.REFUSED),
        decided_at__isnull=False,
    ).values_list("decided_at", "pk")
    keys: list[tuple[dt.datetime, str, int]] = sorted(
        [(at, "policy", pk) for at, pk in versions]
        + [(at, "request", pk) for at, pk in decided if at is not None],
        key=lambda k: (k[0], k[1], k[2]),
        reverse=True,
    )
    page = Paginator(keys, PER_PAGE).get_page(number)
    calendar = Calendar.of(school)
    shown = list(page.object_list)
    names = pupil_names(school) if shown else frozenset()
    policy = _versions(school, [pk for _, what, pk in shown if what == "policy"], names, calendar)
    requests = _requests(school, [pk for _, what, pk in shown if what == "request"], names, calendar)
    return page, [(policy if what == "policy" else requests)[pk] for _, what, pk in shown]
