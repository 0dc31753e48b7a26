"""The filter's change-control log, for the online safety governor (policy 002: "regular monitoring of
filtering / change control logs"): every policy version published and every filter change request
decided, newest first, by term.

A policy version says when, who published it, why, and what changed in sentences (`policy.summary`,
which names groups and counts people, never a person). A request says what was asked, for whom as a
group, "a pupil", "a member of staff" or "a class" (never a person's or a class's name), the site, the
decision, who decided and why. The reasons are free text written by staff: any word in them that is a
pupil's name at the school, written with a capital, is replaced (`redact`), so that a reason such as
"for Amelia's project" does not name her here (a name written in lower case is not: "brown bread" is
a word). The names of filter groups, which are written in lower case, have a pupil's name replaced
however written (`redact_quoted`), in the policy's summary and in a request's "for".

The page is paginated over a list of (when, what, id) of every entry, then loads only the page's
records, and parses only the page's policy versions (and the one before each).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
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
            for word in _WORD.findall(name or ""):
                # "Amelia-Rose" is written "Amelia" too, and "O'Neill" as it is
                names.update(w.lower() for w in (word, *re.split(r"[-‐]", word)) if len(w) > 1)
    return frozenset(names)


def redact(text: str, names: frozenset[str], *, any_case: bool = False) -> str:
    """`text` with each word written with a capital that is a pupil's name replaced (or each such word
    however written, with `any_case`: for the names of filter groups, which are written in lower case)."""

    def hide(match: re.Match[str]) -> str:
        word = match[0]
        bare = re.split(r"['’]s?$", word)[0]
        parts = [p for p in re.split(r"[-‐]", bare) if p]
        named = bare.lower() in names or any(
            (any_case or p[:1].isupper()) and p.lower() in names for p in parts
        )
        return REDACTED if (any_case or word[:1].isupper()) and named else word

    return _WORD.sub(hide, text)


_QUOTED = re.compile(r"(')([^'\n]*)(')|(“)([^”\n]*)(”)")


def redact_quoted(text: str, names: frozenset[str]) -> str:
    """`text` (a sentence of `policy.summary`) with a pupil's name replaced, however written, in what
    it quotes: the names of filter groups, which the network manager chooses ('amelia-hughes' for a
    group made for one pupil would name her), and rules."""

    def inside(m: re.Match[str]) -> str:
        opening, quoted, closing = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        return f"{opening}{redact(quoted, names, any_case=True)}{closing}"

    return _QUOTED.sub(inside, text)


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


# What changed between two versions, by the two texts' SHA-256: versions are never changed once
# published, so each pair is worked out once per process (parsing a large school's policy takes tens of
# milliseconds). The pupils' names are taken out each time the page is drawn, from the names of now.
_SUMMARIES: OrderedDict[tuple[int, str, str], list[tuple[str, list[Sentence]]] | None] = OrderedDict()
_SUMMARIES_MAX = 2048
_SUMMARIES_LOCK = threading.Lock()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _summaries(
    school: School, versions: list[PolicyVersion], texts: dict[int, str]
) -> dict[int, list[tuple[str, list[Sentence]]] | None]:
    """Each version's change sentences by section (None: a text that could not be read), from the cache
    or worked out for the pairs not in it."""
    digests = {n: _digest(t) for n, t in texts.items()}

    def key(v: PolicyVersion) -> tuple[int, str, str]:
        return (school.pk, digests.get(v.number - 1, "") if v.number > 1 else "", digests[v.number])

    with _SUMMARIES_LOCK:
        known = {v.number: _SUMMARIES[key(v)] for v in versions if key(v) in _SUMMARIES}
    missing = [v for v in versions if v.number not in known]
    if missing:
        needed = {v.number for v in missing} | {v.number - 1 for v in missing if v.number > 1}
        loaded = {n: _parsed(school, texts[n]) for n in needed if n in texts}  # each text parsed once
        files = [f for f in loaded.values() if f is not None]
        numbers = {g.request for f in files for g in f.policy.grants if g.request is not None}
        deciders = {
            r.number: RequestInfo(
                approver=str(r.decided_by) if r.decided_by else "", without_approval=r.without_approval
            )
            for r in FilterRequest.objects.filter(school=school, number__in=numbers).select_related(
                "decided_by"
            )
        }
        for v in missing:
            new_file, old_file = loaded.get(v.number), loaded.get(v.number - 1)
            failed = new_file is None or (v.number > 1 and old_file is None)
            made = (
                None
                if failed or new_file is None
                else by_section(summarise(old_file, new_file, requests=deciders))
            )
            known[v.number] = made
            with _SUMMARIES_LOCK:
                _SUMMARIES[key(v)] = made
                while len(_SUMMARIES) > _SUMMARIES_MAX:
                    _SUMMARIES.popitem(last=False)
    return known


def _versions(school: School, pks: list[int], names: frozenset[str], calendar: Calendar) -> dict[int, Entry]:
    zone = school_zone(school)
    versions = list(PolicyVersion.objects.filter(school=school, pk__in=pks).select_related("published_by"))
    before_numbers = {v.number - 1 for v in versions if v.number > 1} - {v.number for v in versions}
    texts = {v.number: v.text for v in versions}
    texts |= dict(
        PolicyVersion.objects.filter(school=school, number__in=before_numbers).values_list("number", "text")
    )
    summaries = _summaries(school, versions, texts)
    entries = {}
    for v in versions:
        made = summaries[v.number]
        summary = (
            None
            if made is None
            else [
                (section, [replace(x, text=redact_quoted(x.text, names)) for x in sentences])
                for section, sentences in made
            ]
        )
        at = v.published_at.astimezone(zone)
        entries[v.pk] = Entry(
            at=at,
            term=calendar.term_at(at.date()).name,
            title=f"Filtering policy version {v.number} published",
            who=v.publisher,
            reason=redact(v.reason, names),
            summary=summary,
            summary_failed=made is None,
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
                ("For", redact_quoted(_for_whom(r), names)),
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
