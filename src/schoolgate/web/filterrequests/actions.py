"""What the requests pages (and the worker) do: ask, decide, answer, withdraw, end early, settings.

Every change of a request goes through a function here, which checks the actor's permission itself and
refuses what no page may do whatever was posted (`ValidationError` for bad input, `PermissionDenied`
for the wrong person; never another error):

- a site a locked list blocks (illegal content) can never be requested, whoever asks and however: the
  request is refused when it is made, and again when it is approved;
- only the people the school chose may decide a kind of request (`may_decide`);
- an approval writes the narrowest grant that does the job and publishes it at once
  (`policy.actions.publish_requests`: the running policy's base with a fresh requests section, never
  the editor's draft), in the same transaction: if the filter cannot take it, nothing is approved.

Every change is written to the audit trail: the records are `Audited` (the signals write each save with
the actor and the reason given here, e.g. "request 14 approved: ..."), and the notes, which are never
changed, are recorded as they are made. After every change of a request's state the pupils' status
file is written again once the transaction commits (`status.publish_on_commit`), so that the block page
tells a pupil what the database says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from schoolgate.engine.decide import Decision, Reason, Request, decide, explain
from schoolgate.engine.lists import url_key
from schoolgate.engine.policy import CompiledPolicy
from schoolgate.engine.urls import parse_url, strip_www
from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.snapshot import load_snapshot
from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import record
from schoolgate.web.core.actions import acting, require
from schoolgate.web.filterrequests import status
from schoolgate.web.filterrequests.access import teaches
from schoolgate.web.filterrequests.choices import (
    Approvers,
    Audience,
    Duration,
    NoteKind,
    RequestKind,
    RequestSource,
    RequestState,
)
from schoolgate.web.filterrequests.models import (
    ClassTeacher,
    FilterRequest,
    Grant,
    RequestNote,
    RequestSettings,
)
from schoolgate.web.monitoring.models import ReviewRequest
from schoolgate.web.people.choices import IdentityKind
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person
from schoolgate.web.policy import actions as policy_actions
from schoolgate.web.policy.choices import Verdict
from schoolgate.web.policy.models import FilterGroup, PolicyVersion, TimeWindow
from schoolgate.web.policy.requests_section import requests_part
from schoolgate.web.tenancy.models import School

__all__ = [
    "LOCKED_WORDS",
    "do_answer",
    "do_approve",
    "do_ask",
    "do_ask_more",
    "do_end_grant",
    "do_refuse",
    "do_save_settings",
    "do_set_teachers",
    "do_teacher_unblock",
    "do_withdraw",
    "locked_site",
    "mark_seen",
    "may_decide",
    "settings_for",
]

LOCKED_WORDS = "illegal content can never be requested"
URL_MAX = 2000  # longer is no address a person types or a block page signs
TEXT_MAX = 4000  # a reason, a question, an answer
NAME_MAX = 200  # `asked_by_name`, as the model keeps it
LONGEST = dt.timedelta(days=366)  # an expiry further off is a lasting change: ask for one
LESSON_MINUTES = (5, 8 * 60)  # the settings' bounds for a lesson unblock
# Who may ask without a login: the worker, for a pupil's review or report from the block page.
_WORKER_SOURCES = (RequestSource.BLOCK_PAGE, RequestSource.REPORT_LINK)


# ---------------------------------------------------------------------------------------------------------
# The site asked for, and what the running filter makes of it


@dataclasses.dataclass(frozen=True)
class Site:
    """An address as asked, parsed: `site` the host (without a leading www.), `url` the page's address
    ("" when a whole site was asked), `entry` the page as a policy file's `urls` entry."""

    site: str
    url: str
    entry: str


def parse_site(text: str) -> Site:
    """A bare host ("coolmathgames.com") or an address ("https://www.bbc.co.uk/bitesize"), parsed as the
    filter parses what it sees; ValidationError with words for anything else."""
    raw = str(text or "").strip()
    if not raw:
        raise ValidationError({"url": "Say which site: its name (example.com) or its address"})
    if len(raw) > URL_MAX or any(c.isspace() for c in raw):
        raise ValidationError({"url": "That is not a web address: write it as example.com or https://..."})
    candidate = raw if "://" in raw else "http://" + raw
    url = parse_url(candidate)
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ValidationError({"url": "That is not a web address: write it as example.com or https://..."})
    host = url.host if url.is_ip else strip_www(url.host)
    page = url.target not in ("", "/")
    entry = (url_key(candidate) or "") if page else ""
    shown = f"{url.scheme}://{url.host}{url.target}" if page else ""
    return Site(host, shown, entry)


# The running policy, compiled, kept while its file and the index are unchanged: asking is common
# (every pupil's review) and compiling is not free.
_compiled: dict[str, tuple[tuple[int, int, int, int], CompiledPolicy]] = {}


def _running(school: School) -> CompiledPolicy | str:
    """The running policy compiled against the index, or why there is none, in words."""
    path, index = policy_actions.snapshot_path(school), policy_actions.index_path()
    try:
        p, i = os.stat(path), os.stat(index)
    except FileNotFoundError:
        return (
            "Nothing has been published yet, or the lists are not compiled: "
            "what the filter decides is not known."
        )
    except OSError as exc:
        return f"The running policy cannot be read: {exc.strerror or exc}"
    key = (p.st_mtime_ns, p.st_size, i.st_mtime_ns, i.st_size)
    cached = _compiled.get(str(path))
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        compiled = load_snapshot(path, index).compiled
    except PolicyFileError as exc:
        return f"The running policy cannot be loaded: {exc}"
    if compiled is None:  # pragma: no cover - an index was given
        return "The running policy cannot be loaded"
    _compiled[str(path)] = (key, compiled)
    return compiled


def _addresses(site: Site) -> list[str]:
    return [f"http://{site.site}/", *([site.url] if site.url else [])]


def locked_site(school: School, site: Site, at: dt.datetime) -> bool | None:
    """Whether a locked list blocks the site (or the page) in the running policy; None when that
    cannot be known (nothing published, the lists not compiled, the policy not loading). A locked list
    blocks for everyone before any rule, so who asks makes no difference."""
    compiled = _running(school)
    if isinstance(compiled, str):
        return None
    return any(decide(compiled, Request(u), at).reason is Reason.LOCKED for u in _addresses(site))


def _refuse_locked(school: School, site: Site, at: dt.datetime, *, writing: bool = False) -> None:
    """A locked site is refused. So, when something is to be written into the filter (`writing`), is
    any site while the locked lists cannot be checked: illegal content must never be written into the
    policy file or answered "allowed". A request is still kept then (its decision "not known"), and
    checked again when it is approved."""
    locked = locked_site(school, site, at)
    if locked is None and writing:
        raise ValidationError(
            {
                "url": "The filter's running policy cannot be read just now, so whether a locked list "
                "(illegal content) blocks this site cannot be checked: try again in a few minutes, or "
                "ask the network manager to publish the policy."
            }
        )
    if locked:
        raise ValidationError({"url": f"A locked list blocks this site for everyone: {LOCKED_WORDS}."})


_PROBE_USER = " group asked for "  # no real user name has spaces


def _probe(
    school: School,
    audience: str,
    person: Person | None,
    class_group: ClassGroup | None,
    group: FilterGroup | None,
    asked_by_name: str,
) -> tuple[str, str, str]:
    """(user name, address, group name) for whom the request is: the filter's decision for them."""
    people: Iterable[int] = ()
    if audience == Audience.PERSON and person is not None:
        people = [person.pk]
    elif audience == Audience.CLASS and class_group is not None:
        people = Person.objects.current().filter(class_group=class_group).values_list("pk", flat=True)[:50]
    elif audience == Audience.GROUP and group is not None:
        return "", "", group.name
    ids = list(
        NetworkIdentity.objects.filter(school=school, person__in=list(people))
        .exclude(kind=IdentityKind.NETWORK)
        .order_by("kind", "pk")
        .values_list("kind", "value")[:1]
    )
    for kind, value in ids:
        return (value, "", "") if kind == IdentityKind.USERNAME else ("", value, "")
    if audience == Audience.PERSON and person is None and asked_by_name:
        from ipaddress import ip_address

        try:
            ip_address(asked_by_name)
        except ValueError:
            return asked_by_name, "", ""
        return "", asked_by_name, ""
    return "", "", ""


def _decision(
    school: School, site: Site, who: tuple[str, str, str], at: dt.datetime
) -> tuple[Decision | None, str]:
    compiled = _running(school)
    if isinstance(compiled, str):
        return None, compiled
    user, address, group = who
    address_or_none = address or None
    url = site.url or f"http://{site.site}/"
    if group:
        if group not in compiled.policy.groups:
            return None, f'The running policy has no group "{group}" yet.'
        probe = dataclasses.replace(compiled, users={**compiled.users, _PROBE_USER: group})
        decision = decide(probe, Request(url, _PROBE_USER), at)._replace(identity=f"group {group}")
    else:
        decision = decide(compiled, Request(url, user or None, address_or_none), at)
    return decision, explain(decision)


# ---------------------------------------------------------------------------------------------------------
# Helpers


def _text(value: str, field: str, *, required: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > TEXT_MAX:
        raise ValidationError({field: f"Say it in at most {TEXT_MAX} characters"})
    return text


def _same_school(school: School, **related: object) -> None:
    for field, obj in related.items():
        if obj is not None and getattr(obj, "school_id", None) != school.pk:
            raise ValidationError({field: "That is not one of this school's records"})


def _audience(
    audience: str,
    person: Person | None,
    class_group: ClassGroup | None,
    group: FilterGroup | None,
    *,
    person_optional: bool = False,
) -> tuple[Person | None, ClassGroup | None, FilterGroup | None]:
    """The one record the audience names (the others dropped), or ValidationError."""
    if audience not in Audience.values:
        raise ValidationError({"audience": "Choose for whom"})
    if audience == Audience.PERSON:
        if person is None and not person_optional:
            raise ValidationError({"person": "Say for whom"})
        return person, None, None
    if audience == Audience.CLASS:
        if class_group is None:
            raise ValidationError({"class_group": "Choose the class"})
        return None, class_group, None
    if audience == Audience.GROUP:
        if group is None:
            raise ValidationError({"group": "Choose the filter group"})
        return None, None, group
    return None, None, None


def _zone(school: School) -> ZoneInfo:
    try:
        return ZoneInfo(school.timezone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def end_of_day(school: School, at: dt.datetime) -> dt.datetime:
    """23:59:59 of `at`'s day in the school's time zone."""
    local = at.astimezone(_zone(school))
    return dt.datetime.combine(local.date(), dt.time(23, 59, 59), tzinfo=local.tzinfo)


def _span(
    school: School, duration: str, expires: dt.datetime | None, at: dt.datetime, lesson_minutes: int
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(starts, expires) of a grant for `duration` from `at`."""
    if duration == Duration.LESSON:
        return at, at + dt.timedelta(minutes=lesson_minutes)
    if duration == Duration.TODAY:
        return at, end_of_day(school, at)
    if duration == Duration.UNTIL:
        if expires is None:
            raise ValidationError({"expires": "Say until when"})
        if timezone.is_naive(expires):
            expires = expires.replace(tzinfo=_zone(school))
        if expires <= at:
            raise ValidationError({"expires": "That time has passed: choose one to come"})
        if expires > at + LONGEST:
            raise ValidationError({"expires": "At most a year ahead: for longer, choose “from now on”"})
        return at, expires
    if duration == Duration.PERMANENT:
        return None, None
    raise ValidationError({"duration": "Choose for how long"})


def _when(duration: str, expires: dt.datetime | None, school: School) -> str:
    if duration == Duration.PERMANENT or expires is None:
        return "from now on (no expiry)"
    local = expires.astimezone(_zone(school))
    return f"until {local:%H:%M} on {local.day} {local:%B %Y}"


def _next_number(school: School) -> int:
    found = FilterRequest.objects.filter(school=school).aggregate(n=Max("number"))["n"]
    return int(found or 0) + 1


def _requester(request: FilterRequest, actor: User) -> None:
    if request.asked_by_id is None or request.asked_by_id != actor.pk:
        raise PermissionDenied("Only the person who asked may do this")


def _require_open(request: FilterRequest) -> None:
    if not request.is_open:
        state = request.get_state_display().lower()
        raise ValidationError(f"Request {request.number} is {state} already")


def _lock_open(request: FilterRequest) -> None:
    """Lock the request's row for the rest of the transaction, read it afresh (another decider may
    have been first), and refuse unless it still waits."""
    FilterRequest.objects.select_for_update().filter(pk=request.pk).first()
    request.refresh_from_db()
    _require_open(request)


def _roles(user: User, school_id: int) -> set[str]:
    return set(Membership.objects.filter(user=user, school_id=school_id).values_list("role", flat=True))


def _decider(actor: User, request: FilterRequest) -> None:
    if not may_decide(actor, request):
        raise PermissionDenied(f"{actor} may not decide request {request.number} at this school")


def _changed(request: FilterRequest) -> None:
    status.publish_on_commit(request.school)


# ---------------------------------------------------------------------------------------------------------
# Asking


def do_ask(
    school: School,
    *,
    actor: User | None,
    kind: RequestKind,
    source: RequestSource,
    url: str,
    audience: Audience,
    person: Person | None = None,
    class_group: ClassGroup | None = None,
    group: FilterGroup | None = None,
    duration: Duration = Duration.LESSON,
    expires: dt.datetime | None = None,
    window: TimeWindow | None = None,
    reason: str = "",
    asked_by_person: Person | None = None,
    asked_by_name: str = "",
    review: ReviewRequest | None = None,
    whole_site: bool = True,
    at: dt.datetime | None = None,
) -> FilterRequest:
    """Record a request, numbered next at the school, with what the running filter decides now for
    whom it is asked. `actor` None is the worker, for a pupil's review or report from the block page;
    a member of staff needs REQUESTS_ASK. A site a locked list blocks is refused, whatever the source."""
    at = at or timezone.now()
    if actor is None:
        if source not in _WORKER_SOURCES:
            raise PermissionDenied("Only the block page's requests are made without a login")
    else:
        require(actor, Capability.REQUESTS_ASK, school)
        if source in _WORKER_SOURCES:
            raise ValidationError({"source": "That source is the block page's own"})
        if review is not None or asked_by_person is not None or asked_by_name:
            # What a pupil sent from the block page is linked by the worker alone: a member of staff
            # asks as themselves, and their request never shows on a pupil's block page.
            raise PermissionDenied("A member of staff asks as themselves")
    if kind not in RequestKind.values:
        raise ValidationError({"kind": "Choose what is asked for"})
    if source not in RequestSource.values:
        raise ValidationError({"source": "Say where the request comes from"})
    site = parse_site(url)
    person, class_group, group = _audience(
        audience, person, class_group, group, person_optional=actor is None
    )
    _same_school(
        school,
        person=person,
        class_group=class_group,
        group=group,
        window=window,
        asked_by_person=asked_by_person,
        review=review,
    )
    if duration not in Duration.values:
        raise ValidationError({"duration": "Choose for how long"})
    if duration == Duration.UNTIL:
        _span(school, duration, expires, at, 60)  # checks the expiry
    else:
        expires = None
    why = str(reason or "").strip()[:TEXT_MAX] if actor is None else _text(reason, "reason")
    name = " ".join(str(asked_by_name or "").split())[:NAME_MAX]
    _refuse_locked(school, site, at)
    decision, explanation = _decision(
        school, site, _probe(school, audience, person, class_group, group, name), at
    )
    request = FilterRequest(
        school=school,
        kind=kind,
        source=source,
        state=RequestState.NEW,
        asked_at=at,
        asked_by=actor,
        asked_by_person=asked_by_person,
        asked_by_name=name,
        review=review,
        audience=audience,
        for_person=person,
        for_class=class_group,
        for_group=group,
        site=site.site,
        url=site.url,
        whole_site=whole_site or not site.url,
        duration=duration,
        expires=expires,
        window=window,
        reason=why,
        explanation=explanation[:TEXT_MAX],
    )
    if decision is not None:
        request.decided_verdict = str(decision.verdict.value)
        request.decided_group = decision.group[:64]
        request.decided_category = (decision.category or "")[:64]
        request.decided_rule = (decision.rule_name or "")[:200]
        request.decided_locked = decision.reason is Reason.LOCKED
    made = f"request made: {RequestSource(source).label}"
    with transaction.atomic(), acting(actor or "Schoolgate (block page)", made):
        School.objects.select_for_update().filter(pk=school.pk).first()  # one number at a time
        for attempt in range(3):
            request.number = _next_number(school)
            try:
                with transaction.atomic():
                    request.save()
                break
            except IntegrityError:
                if attempt == 2:
                    raise
                request.pk = None
        _changed(request)
    return request


# ---------------------------------------------------------------------------------------------------------
# Deciding


def may_decide(user: User, request: FilterRequest, *, lasting: bool = False) -> bool:
    """Whether `user` may approve or refuse `request`: REQUESTS_DECIDE at its school, and among those
    the school chose for its kind (`RequestSettings`). `lasting`: what is to be written lasts (no end),
    whatever was asked, so it takes those the school chose for lasting changes."""
    if not user.is_authenticated or not user.can(Capability.REQUESTS_DECIDE, request.school_id):
        return False
    row = RequestSettings.objects.filter(school_id=request.school_id).first()
    lasting = lasting or request.kind in (RequestKind.CHANGE, RequestKind.BLOCK)
    chosen = Approvers.EITHER if row is None else (row.change_approvers if lasting else row.unblock_approvers)
    if chosen == Approvers.EITHER:
        return True
    role = Role.ONLINE_SAFETY_COORDINATOR if chosen == Approvers.COORDINATOR else Role.NETWORK_MANAGER
    return role in _roles(user, request.school_id)


def _others_decide(request: FilterRequest, actor: User) -> bool:
    """Whether someone other than `actor` may decide `request` (a school with one decider lets them
    approve their own request; the audit trail and the request say who asked and who approved)."""
    users = User.objects.filter(is_active=True, memberships__school_id=request.school_id).exclude(pk=actor.pk)
    return any(may_decide(u, request) for u in users.distinct())


def _write_grant(
    request: FilterRequest,
    *,
    actor: User,
    audience: str,
    person: Person | None,
    class_group: ClassGroup | None,
    group: FilterGroup | None,
    starts: dt.datetime | None,
    expires: dt.datetime | None,
    window: TimeWindow | None,
    whole_site: bool,
    at: dt.datetime,
    words: str,
) -> Grant:
    """The grant, the request approved, and the filter published, in the caller's transaction."""
    school = request.school
    if whole_site or not request.url:
        domains, urls = [request.site], []
    else:
        entry = url_key(request.url)
        if entry is None:  # pragma: no cover - stored parsed
            raise ValidationError({"url": "The request's address cannot be written into the filter"})
        domains, urls = [], [entry]
    grant = Grant.objects.create(
        school=school,
        request=request,
        action=Verdict.BLOCK if request.kind == RequestKind.BLOCK else Verdict.ALLOW,
        audience=audience,
        person=person,
        class_group=class_group,
        group=group,
        domains=domains,
        urls=urls,
        starts=starts,
        expires=expires,
        window=window,
        made_by=actor,
        made_at=at,
    )
    if not PolicyVersion.objects.filter(school=school).exists():
        raise ValidationError(
            "Nothing has been published yet: publish the policy once first, then requests go in"
        )
    # The grant must be one the filter can carry: one that reaches nobody, or a group or window the
    # running policy lacks, would be left out of the file, and the request approved for nothing.
    part = requests_part(school, at=at, placement=policy_actions.running_placement(school, at))
    mine = f"request {request.number}:"
    missed = [w for w in part.left_out if w.startswith(mine)]
    if missed:
        raise ValidationError(f"The filter cannot carry this: {missed[0].split(': ', 2)[-1]}.")
    try:
        version = policy_actions.publish_requests(school, actor=actor, reason=words)
    except policy_actions.PublishError as exc:
        raise ValidationError([f"The filter was not changed: {m}" for m in exc.messages]) from None
    if version is None:
        version = PolicyVersion.objects.filter(school=school).order_by("-number").first()
    request.version = version
    return grant


def do_approve(
    request: FilterRequest,
    *,
    actor: User,
    audience: Audience,
    person: Person | None = None,
    class_group: ClassGroup | None = None,
    group: FilterGroup | None = None,
    duration: Duration,
    expires: dt.datetime | None = None,
    window: TimeWindow | None = None,
    whole_site: bool = True,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Grant:
    """Approve an open request: a grant (a block for a BLOCK request, else an allow) for whom and for
    how long the decider chose, published at once with the request as the reason. Nothing is saved
    when the filter cannot take it."""
    at = at or timezone.now()
    _decider(actor, request)
    if duration == Duration.PERMANENT and not may_decide(actor, request, lasting=True):
        # An unblock approved "from now on" is a lasting change: the school's choice for those holds.
        raise ValidationError(
            {"duration": "Only those the school lets make lasting changes may approve it from now on"}
        )
    if request.asked_by_id is not None and request.asked_by_id == actor.pk and _others_decide(request, actor):
        raise ValidationError("You asked for it: another person who may decide it must approve it")
    school = request.school
    person, class_group, group = _audience(audience, person, class_group, group)
    _same_school(school, person=person, class_group=class_group, group=group, window=window)
    lesson = settings_for(school).lesson_minutes
    starts, ends = _span(school, duration, expires, at, lesson)
    why = _text(reason, "reason")
    site = Site(request.site, request.url, url_key(request.url) or "" if request.url else "")
    _refuse_locked(school, site, at, writing=True)
    what = request.site if whole_site or not request.url else request.url
    verb = "block" if request.kind == RequestKind.BLOCK else "allow"
    words = f"Request {request.number} approved: {verb} {what} {_when(duration, ends, school)}"
    if why:
        words += f" ({why})"
    with transaction.atomic(), acting(actor, words[:300]):
        _lock_open(request)
        grant = _write_grant(
            request,
            actor=actor,
            audience=audience,
            person=person,
            class_group=class_group,
            group=group,
            starts=starts,
            expires=ends,
            window=window,
            whole_site=whole_site,
            at=at,
            words=words,
        )
        request.state = RequestState.APPROVED
        request.decided_by = actor
        request.decided_at = at
        request.decision_reason = why
        request.told_at = None
        request.deciders_told_at = request.deciders_told_at or request.decided_at
        request.seen_at = None
        request.save()
        _changed(request)
    return grant


def do_refuse(request: FilterRequest, *, actor: User, reason: str) -> None:
    """Refuse an open request; the reason is told to the requester (a pupil sees it on the block page)."""
    _decider(actor, request)
    why = _text(reason, "reason", required="Say why: the person who asked is told")
    with transaction.atomic(), acting(actor, f"request {request.number} refused: {why}"[:300]):
        _lock_open(request)
        request.state = RequestState.REFUSED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_reason = why
        request.told_at = None
        request.deciders_told_at = request.deciders_told_at or request.decided_at
        request.save()
        _changed(request)


def _note(request: FilterRequest, actor: User, kind: NoteKind, text: str) -> RequestNote:
    note = RequestNote.objects.create(
        school=request.school, request=request, kind=kind, at=timezone.now(), by=actor, text=text
    )
    record(
        AuditAction.CREATE,
        obj=note,
        school=request.school,
        after={"request": request.number, "kind": str(kind), "length": len(text)},
        reason=f"{kind.label} on request {request.number}",
    )
    return note


def do_ask_more(request: FilterRequest, *, actor: User, question: str) -> RequestNote:
    """Ask the requester for more before deciding: the request waits for their answer."""
    _decider(actor, request)
    text = _text(question, "question", required="Say what you need to know")
    with transaction.atomic(), acting(actor, f"more information asked on request {request.number}"):
        _lock_open(request)
        note = _note(request, actor, NoteKind.QUESTION, text)
        request.state = RequestState.MORE
        request.save()
        _changed(request)
    return note


def do_answer(request: FilterRequest, *, actor: User, text: str) -> RequestNote:
    """The requester answers (or adds to) their open request: it waits for a decision again."""
    _requester(request, actor)
    words = _text(text, "text", required="Write your answer")
    with transaction.atomic(), acting(actor, f"answered on request {request.number}"):
        _lock_open(request)
        note = _note(request, actor, NoteKind.ANSWER, words)
        request.state = RequestState.NEW
        request.deciders_told_at = None  # those who decide are told it waits again
        request.save()
        _changed(request)
    return note


def do_withdraw(request: FilterRequest, *, actor: User) -> None:
    """The requester no longer needs it: an open request is closed with nothing written."""
    _requester(request, actor)
    with transaction.atomic(), acting(actor, f"request {request.number} withdrawn"):
        _lock_open(request)
        now = timezone.now()
        request.state = RequestState.WITHDRAWN
        request.told_at = now  # nothing to tell: they did it
        request.deciders_told_at = request.deciders_told_at or now
        request.save()
        _changed(request)


def do_end_grant(grant: Grant, *, actor: User, reason: str) -> None:
    """End a grant before its time (those who may decide its request, or who made it), and publish
    the filter without it at once."""
    request = grant.request
    if grant.made_by_id == actor.pk and request.without_approval and grant.action == Verdict.ALLOW:
        require(actor, Capability.REQUESTS_ASK, grant.school_id)  # a teacher's own lesson unblock
    else:
        _decider(actor, request)  # a block, or an approval, ends only by who may decide it now
    why = _text(reason, "reason", required="Say why it ends early")
    now = timezone.now()
    words = f"Request {request.number}: ended early ({why})"
    with transaction.atomic(), acting(actor, words[:300]):
        fresh = Grant.objects.select_for_update().get(pk=grant.pk)
        if fresh.ended_at is not None or (fresh.expires is not None and fresh.expires <= now):
            raise ValidationError("It has ended already")
        grant.ended_at = now
        grant.ended_by = actor
        grant.end_reason = why
        grant.save()
        try:
            policy_actions.publish_requests(request.school, actor=actor, reason=words)
        except policy_actions.PublishError as exc:
            raise ValidationError([f"The filter was not changed: {m}" for m in exc.messages]) from None
        _changed(request)


def do_teacher_unblock(
    school: School,
    *,
    actor: User,
    url: str,
    class_group: ClassGroup,
    reason: str,
    at: dt.datetime | None = None,
) -> FilterRequest:
    """A teacher unblocks a site for their own class for one lesson, without approval, when the school
    allows it: recorded as an approved request (`without_approval`), which the DSL sees."""
    at = at or timezone.now()
    require(actor, Capability.REQUESTS_ASK, school)
    _same_school(school, class_group=class_group)
    row = settings_for(school)
    if not row.teachers_may_unblock:
        raise PermissionDenied("This school does not let teachers unblock sites without approval")
    if not teaches(actor, class_group):
        raise PermissionDenied(f"You do not teach {class_group} (the school says who teaches which class)")
    why = _text(reason, "reason", required="Say what the lesson needs it for")
    with transaction.atomic():
        request = do_ask(
            school,
            actor=actor,
            kind=RequestKind.UNBLOCK,
            source=RequestSource.TEACHER,
            url=url,
            audience=Audience.CLASS,
            class_group=class_group,
            duration=Duration.LESSON,
            reason=why,
            at=at,
        )
        site = Site(request.site, request.url, url_key(request.url) or "" if request.url else "")
        _refuse_locked(school, site, at, writing=True)
        ends = at + dt.timedelta(minutes=row.lesson_minutes)
        words = (
            f"Request {request.number}: lesson unblock by the class's teacher, without approval: "
            f"allow {request.site} for class {class_group} {_when(Duration.LESSON, ends, school)}"
        )
        with acting(actor, words[:300]):
            _write_grant(
                request,
                actor=actor,
                audience=Audience.CLASS,
                person=None,
                class_group=class_group,
                group=None,
                starts=at,
                expires=ends,
                window=None,
                whole_site=True,
                at=at,
                words=words,
            )
            request.state = RequestState.APPROVED
            request.without_approval = True
            request.decided_by = actor
            request.decided_at = at
            request.decision_reason = why
            request.told_at = at  # they did it themselves
            request.seen_at = at
            request.deciders_told_at = at  # nothing waits for them
            request.save()
    return request


# ---------------------------------------------------------------------------------------------------------
# Settings, teachers, seen


def settings_for(school: School) -> RequestSettings:
    """The school's request settings, made with the defaults the first time they are needed."""
    row = RequestSettings.objects.filter(school=school).first()
    if row is not None:
        return row
    with transaction.atomic(), acting("Schoolgate", "request settings made with their defaults"):
        return RequestSettings.objects.get_or_create(school=school)[0]


def do_save_settings(row: RequestSettings, *, actor: User) -> None:
    """Save the school's choices (REQUESTS_SETTINGS)."""
    require(actor, Capability.REQUESTS_SETTINGS, row.school_id)
    low, high = LESSON_MINUTES
    if not low <= int(row.lesson_minutes or 0) <= high:
        raise ValidationError({"lesson_minutes": f"Between {low} and {high} minutes"})
    for field in ("unblock_approvers", "change_approvers"):
        if getattr(row, field) not in Approvers.values:
            raise ValidationError({field: "Choose who may approve"})
    with transaction.atomic(), acting(actor, "request settings changed"):
        row.save()


def do_set_teachers(class_group: ClassGroup, teachers: list[User], *, actor: User) -> None:
    """Who teaches `class_group`: exactly `teachers` (staff of its school) from now on."""
    school = class_group.school
    require(actor, Capability.REQUESTS_SETTINGS, school)
    for teacher in teachers:
        if not teacher.can(Capability.REQUESTS_ASK, school):
            raise ValidationError({"teachers": f"{teacher} is not on the staff of this school"})
    wanted = {t.pk: t for t in teachers}
    with transaction.atomic(), acting(actor, f"teachers of class {class_group} changed"):
        for row in ClassTeacher.objects.filter(class_group=class_group):
            if row.teacher_id not in wanted:
                row.delete()
            else:
                del wanted[row.teacher_id]
        for teacher in wanted.values():
            ClassTeacher.objects.create(school=school, class_group=class_group, teacher=teacher)


def mark_seen(request: FilterRequest, *, actor: User) -> None:
    """The requester opened their decided request: the "decided" mark goes."""
    if request.asked_by_id != actor.pk or request.is_open or request.seen_at is not None:
        return
    request.seen_at = timezone.now()
    with transaction.atomic(), acting(actor, f"decision on request {request.number} seen"):
        request.save(update_fields=["seen_at"])
