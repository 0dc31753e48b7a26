"""Every change to the online safety log, as `do_verb(obj, *, actor, ...)` functions (core.actions).

Each checks that the actor deals with the incident (`access`), refusing with PermissionDenied, and bad
input with ValidationError; runs in one transaction, writes a line of the incident's chronology, and is
written to the audit trail by the signals (free text as its SHA-256), with the actor and any reason
given through `core.actions.acting`/`save`, never set on the record. Pages call these; so do the API,
commands, the demo and the tests: the rules hold whichever way a change comes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.accounts.models import Membership
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import record
from schoolgate.web.core import uploads
from schoolgate.web.core.actions import acting, require, save
from schoolgate.web.incidents import access
from schoolgate.web.incidents.choices import (
    ANSWERING_ROLES,
    NAMING_ROLES,
    NEXT,
    OPEN_STATES,
    RESTRICTED_TYPES,
    TWO_SENIOR_TYPES,
    EventKind,
    EvidenceKind,
    IllegalStep,
    IncidentKind,
    Outcome,
    RecordsMatch,
    Status,
)
from schoolgate.web.incidents.choices import (
    Role as PartRole,
)
from schoolgate.web.incidents.models import (
    ActionTaken,
    Event,
    Evidence,
    IllegalContentRouteError,
    IllegalStepDone,
    Incident,
    Involvement,
    ParentContact,
    RecordView,
    Referral,
    new_reference,
)
from schoolgate.web.incidents.names import (
    Directory,
    Match,
    display_keys,
    full_name,
    key_of,
    person_keys,
    person_name_keys,
)
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.sanctions.models import Misuse, SanctionAction

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.people.models import Person
    from schoolgate.web.tenancy.models import School

# Who may be one of the two senior members of staff an investigation of misuse needs.
SENIOR_ROLES = frozenset(
    {
        Role.DSL,
        Role.DEPUTY_DSL,
        Role.HEADTEACHER,
        Role.SLT,
        Role.ONLINE_SAFETY_COORDINATOR,
        Role.CHAIR_OF_GOVERNORS,
    }
)

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
# What a file must start with to be taken, by type: screenshots, photos of a screen, PDFs, plain text.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


# ---------------------------------------------------------------------------------------------------------
# Helpers


def _require_in_charge(user: User, incident: Incident) -> None:
    """`user` deals with `incident`: their role deals with its kind, and it does not name them (nobody
    deals with a concern about themselves, whatever their role)."""
    if not access.deals_with(user, incident):
        if access.named_in(user, incident):
            raise PermissionDenied(f"{incident} names {user}: others deal with it")
        raise PermissionDenied(f"{user} does not deal with {incident}")


def _require_reporter_or_in_charge(user: User, incident: Incident) -> None:
    """The member of staff who reported it (while they may still see it), or someone who deals with it."""
    if (
        incident.reported_by_id == user.pk
        and Incident.objects.restrict(user, Capability.INCIDENT_REPORT, incident.school)
        .filter(pk=incident.pk)
        .exists()
    ):
        return
    _require_in_charge(user, incident)


def _require_open(incident: Incident) -> None:
    if incident.status not in OPEN_STATES:
        raise ValidationError(f"{incident} is {incident.get_status_display().lower()}: reopen it first")


def _event(
    incident: Incident, user: User | None, kind: EventKind, text: str = "", at: dt.datetime | None = None
) -> Event:
    event = Event(school_id=incident.school_id, incident=incident, by=user, kind=kind, text=text)
    if at is not None:
        event.at = at
    event.save()
    return event


def full_name_problem(name: str) -> str | None:
    """Why `name` is not a full name (initials, one word), or None. The log must say who."""
    parts = name.replace("-", " ").replace("'", "").split()
    if len(parts) < 2:
        return "Write their full name: first name and last name"
    if any(len(p.strip(".")) < 2 for p in parts):
        return "Write names in full, not initials"
    return None


@dataclass(frozen=True)
class Party:
    """A person involved, as the report gives them: a person of the school's records, a login of the
    school (someone with no record in its people), or a name.

    A name that may be someone on the records (`names.Directory.find`) is `kept` when the one who
    gave it said it is none of them; otherwise it is recorded as not checked. Either way, where the
    concern goes follows from who the name may be."""

    role: PartRole
    person: Person | None = None
    name: str = ""
    notes: str = ""
    user: User | None = None
    kept: bool = False

    @property
    def who(self) -> tuple[str, object]:
        """Who the party is, to tell the same one named twice."""
        if self.person is not None:
            return ("person", self.person.pk)
        if self.user is not None:
            return ("user", self.user.pk)
        return ("name", key_of(self.name) or " ".join(self.name.lower().split()))


def _involve(incident: Incident, party: Party, user: User, directory: Directory) -> Involvement:
    records = RecordsMatch.LINKED
    if party.person is not None:
        if party.person.school_id != incident.school_id:
            raise ValidationError("That person is not in this school's records")
        name = party.person.full_name
    elif party.user is not None:
        if not Membership.objects.filter(user=party.user, school_id=incident.school_id).exists():
            raise ValidationError("That login is not one of this school's")
        name = str(party.user)
    else:
        name = " ".join(party.name.split())
        problem = full_name_problem(name)
        if problem:
            raise ValidationError({"name": problem})
        if not directory.find(name):
            records = RecordsMatch.NONE
        else:
            records = RecordsMatch.KEPT if party.kept else RecordsMatch.UNCHECKED
    name = " ".join(name.split())[:200]
    involvement = Involvement(
        school_id=incident.school_id, incident=incident, person=party.person, user=party.user, name=name,
        name_key=key_of(name), records=records, role=party.role, notes=party.notes[:300], added_by=user,
    )  # fmt: skip
    involvement.save()
    return involvement


def _who(involvement: Involvement, directory: Directory) -> list[Match]:
    """Who an involvement is, or may be, of those who decide where a concern goes: the record or login
    it is linked to, and anyone its name may be. A record picked may be someone's second record (a
    member of staff's as a parent), or one made to look like them; nothing (no page, no import) links
    the school's records to its logins, so the name is what tells."""
    names = {involvement.name_key or key_of(involvement.name)}
    keys: set[str] = set()
    found: list[Match] = []
    if involvement.person_id is not None:
        own = directory.by_person.get(involvement.person_id)
        record = involvement.person
        if record is not None:
            names |= person_name_keys(record)
            # A name given only in part ("Mrs M Evans") is an adult's: not the pupil Mia Evans.
            if record.kind != PersonKind.PUPIL:
                keys |= person_keys(record)
    elif involvement.user_id is not None:
        own = directory.by_user.get(involvement.user_id)
    else:
        own = None
    if own is not None:
        found.append(own)
        names |= own.names
        keys |= own.keys
    elif involvement.person_id is None:  # a name, or a login no longer of the school: read as an adult's
        keys |= display_keys(involvement.name)
    # And whoever those may be in turn, to the end: "Maggie Evans" is the record Margaret (Maggie)
    # Evans, which is the login "Margaret Evans", the headteacher, though nothing links the two.
    seen = {id(m) for m in found}
    for _ in range(_MAX_HOPS):
        new = [m for m in directory.may_be(names, keys) if id(m) not in seen]
        if not new:
            break
        for match in new:
            seen.add(id(match))
            found.append(match)
            # Only their full names lead on: a name given in part ("Mrs Evans", "M Evans") may be
            # anyone of that last name, and following it would make Mark Evans the head, Margaret.
            names |= {key for key in match.names if full_name(key)}
    return found


_MAX_HOPS = 4  # a chain of names longer than this is not followed (each hop is one lookup in memory)


def _settle(incident: Incident, directory: Directory | None = None) -> bool:
    """Who deals with the incident follows from whom it names, whatever was ticked, and failing
    towards the more restricted route: a concern about someone who is, or may be, a member of staff
    goes to the headteacher; one that names someone who is, or may be, the headteacher (in any part
    but its reporter) to the chair of governors; a safeguarding type stays restricted. A name counts
    whether it was linked, kept as not on the records, or not checked. Returns whether anything
    changed."""
    if directory is None:
        directory = Directory(incident.school, staff_only=True)
    named = [
        (i, _who(i, directory))
        for i in Involvement.objects.filter(incident=incident).select_related("person")
        if i.role in NAMING_ROLES
    ]
    before = (incident.kind, incident.concerns_headteacher, incident.restricted)
    # A pupil picked from the records, by year and class, is that child: a member of staff of the same
    # name does not take a pupil concern from the DSL team (those the name may be still neither see
    # nor deal with it: access.naming); a concern about staff that names them still goes to the chair.
    if any(
        m.staff
        for involvement, found in named
        if involvement.role in ANSWERING_ROLES
        and (involvement.person is None or involvement.person.kind != PersonKind.PUPIL)
        for m in found
    ):
        incident.kind = IncidentKind.STAFF
    if incident.kind == IncidentKind.STAFF:
        incident.restricted = False
        if any(m.head for _, found in named for m in found):
            incident.concerns_headteacher = True
    else:
        incident.concerns_headteacher = False
        if incident.incident_type in RESTRICTED_TYPES or incident.illegal:
            incident.restricted = True
    if incident.kind != before[0] and incident.misuse_id is not None:
        incident.misuse = None  # a row of the other table: the kind of misuse is chosen again
    return (incident.kind, incident.concerns_headteacher, incident.restricted) != before


def _directory(school: School, parties: Iterable[Party]) -> Directory:
    """The school's records as the parties need them: everyone, to check a name against, or only those
    who decide where a concern goes."""
    unlinked = any(p.person is None and p.user is None for p in parties)
    return Directory(school, staff_only=not unlinked)


def routed_to(incident: Incident) -> str:
    """Who deals with the incident, in words, for the one who reported it."""
    if incident.kind == IncidentKind.STAFF:
        return "the chair of governors" if incident.concerns_headteacher else "the headteacher"
    return "the DSL and deputies" if incident.restricted else "the DSL team"


# ---------------------------------------------------------------------------------------------------------
# Reporting


@dataclass(frozen=True)
class Report:
    kind: IncidentKind
    risk_area: str
    incident_type: str
    occurred_at: dt.datetime
    location: str
    what_happened: str
    childs_words: str = ""
    illegal_content: str = ""
    misuse: Misuse | None = None
    concerns_headteacher: bool = False
    people: tuple[Party, ...] = ()
    # When it was reported, for a concern first written on paper and typed in later (else now).
    reported_at: dt.datetime | None = None


def do_report(school: School, *, actor: User, report: Report) -> Incident:
    """Record a concern. Any member of staff may; they see it afterwards, as do those who deal with it."""
    require(actor, Capability.INCIDENT_REPORT, school)
    if report.misuse is not None and (
        report.misuse.school_id != school.pk or report.misuse.applies_to != report.kind
    ):
        raise ValidationError(
            {"misuse": "Choose a kind of misuse from this school's matrix for this kind of incident"}
        )
    if not report.what_happened.strip():
        raise ValidationError({"what_happened": "Say what happened"})
    if report.occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "That time is still to come"})
    seen: set[tuple[tuple[str, object], str]] = set()
    for party in report.people:
        if (party.who, party.role) in seen:
            raise ValidationError("The same person is named twice in the same part: name them once")
        seen.add((party.who, party.role))
    concerns_head = report.kind == IncidentKind.STAFF and report.concerns_headteacher
    directory = _directory(school, report.people)
    for attempt in range(5):
        try:
            with transaction.atomic(), acting(actor):
                incident = Incident(
                    school=school, reference=new_reference(), kind=report.kind, risk_area=report.risk_area,
                    incident_type=report.incident_type, misuse=report.misuse,
                    illegal_content=report.illegal_content,
                    restricted=report.kind == IncidentKind.PUPIL
                    and (report.incident_type in RESTRICTED_TYPES or bool(report.illegal_content)),
                    concerns_headteacher=concerns_head, occurred_at=report.occurred_at,
                    location=report.location.strip(), what_happened=report.what_happened.strip(),
                    childs_words=report.childs_words.strip(), reported_by=actor,
                    reported_at=report.reported_at or timezone.now(),
                )  # fmt: skip
                # The reference is left to the database: a taken one (unlikely as it is) is drawn again.
                incident.full_clean(exclude=("reported_by", "misuse", "reference"))
                incident.save()
                for party in report.people:
                    _involve(incident, party, actor, directory)
                own = getattr(actor, "person", None)
                if own is not None and not any(
                    p.person == own and p.role == PartRole.REPORTER for p in report.people
                ):
                    _involve(incident, Party(PartRole.REPORTER, person=own), actor, directory)
                elif own is None and not any(p.role == PartRole.REPORTER for p in report.people):
                    Involvement.objects.create(
                        school=school, incident=incident, user=actor, name=str(actor)[:200],
                        name_key=key_of(str(actor)), records=RecordsMatch.LINKED, role=PartRole.REPORTER,
                        added_by=actor,
                    )  # fmt: skip
                if _settle(incident, directory):
                    save(incident, actor=actor, reason="who deals with it follows from whom it is about")
                _event(incident, actor, EventKind.REPORTED, "Concern reported", at=incident.reported_at)
                return incident
        except IntegrityError:  # the reference drawn is taken: draw another
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def do_add_person(incident: Incident, *, actor: User, party: Party) -> Involvement:
    _require_in_charge(actor, incident)
    if incident.status == Status.ARCHIVED:
        raise ValidationError(f"{incident} is archived")
    directory = _directory(incident.school, [party])
    with transaction.atomic(), acting(actor):
        already = Involvement.objects.filter(incident=incident, role=party.role)
        if (party.person is not None and already.filter(person=party.person).exists()) or (
            party.user is not None and already.filter(user=party.user).exists()
        ):
            who = party.person.full_name if party.person is not None else str(party.user)
            raise ValidationError(f"{who} is already {party.role.label.lower()} in it")
        involvement = _involve(incident, party, actor, directory)
        _event(incident, actor, EventKind.NOTE, f"{involvement.name} added: {party.role.label.lower()}")
        if _settle(incident, directory):
            save(incident, actor=actor, reason="who deals with it follows from whom it is about")
    return involvement


def do_add_information(incident: Incident, *, actor: User, text: str) -> Event:
    """The reporter (or anyone dealing with it) adds what they learned since."""
    _require_reporter_or_in_charge(actor, incident)
    if incident.status == Status.ARCHIVED:
        raise ValidationError(f"{incident} is archived")
    if not text.strip():
        raise ValidationError({"text": "Write what you want to add"})
    with transaction.atomic(), acting(actor):
        return _event(incident, actor, EventKind.NOTE, text.strip())


# ---------------------------------------------------------------------------------------------------------
# The workflow


def do_move(incident: Incident, *, actor: User, to: Status, note: str = "") -> Incident:
    _require_in_charge(actor, incident)
    if to not in NEXT[Status(incident.status)]:
        raise ValidationError(
            f"{incident} cannot go from {incident.get_status_display().lower()} to {to.label.lower()}"
        )
    with transaction.atomic(), acting(actor):
        before = incident.get_status_display()
        incident.status = to
        save(incident, actor=actor, reason="moved on")
        _event(
            incident,
            actor,
            EventKind.STATUS,
            f"{before} → {to.label}" + (f": {note.strip()}" if note.strip() else ""),
        )
    return incident


@dataclass(frozen=True)
class Classification:
    kind: IncidentKind
    risk_area: str
    incident_type: str
    misuse: Misuse | None
    restricted: bool
    concerns_headteacher: bool
    illegal_content: str
    senior_first: User | None
    senior_second: User | None


def is_senior(user: User, school_id: int) -> bool:
    return Membership.objects.filter(user=user, school_id=school_id, role__in=sorted(SENIOR_ROLES)).exists()


def do_classify(
    incident: Incident, *, actor: User, classification: Classification, reason: str = ""
) -> Incident:
    """Change what kind of incident it is, its restriction, and the two senior members of staff."""
    _require_in_charge(actor, incident)
    _require_open(incident)
    if incident.illegal and not classification.illegal_content:
        raise ValidationError(
            {
                "illegal_content": "Once it may involve illegal content it stays so; "
                "archive it with a reason if it was raised in error"
            }
        )
    if classification.misuse is not None and (
        classification.misuse.school_id != incident.school_id
        or classification.misuse.applies_to != classification.kind
    ):
        raise ValidationError({"misuse": "Choose a kind of misuse for this kind of incident"})
    errors = {}
    for field, senior in (
        ("senior_first", classification.senior_first),
        ("senior_second", classification.senior_second),
    ):
        if senior is not None and not is_senior(senior, incident.school_id):
            errors[field] = f"{senior} holds no senior role at this school"
    if (
        classification.senior_first is not None
        and classification.senior_first == classification.senior_second
    ):
        errors["senior_second"] = "Name two different people"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting(actor):
        newly_illegal = classification.illegal_content and not incident.illegal
        for name in (
            "kind", "risk_area", "incident_type", "misuse", "restricted", "concerns_headteacher",
            "illegal_content", "senior_first", "senior_second",
        ):  # fmt: skip
            setattr(incident, name, getattr(classification, name))
        _settle(incident)
        save(incident, actor=actor, reason="details changed")
        _event(
            incident,
            actor,
            EventKind.DECISION,
            "Details changed" + (f": {reason.strip()}" if reason.strip() else ""),
        )
        if newly_illegal:
            _withhold_evidence(incident, actor)
    return incident


def _withhold_evidence(incident: Incident, user: User) -> None:
    """The incident turned out to involve illegal content: its stored files go (keeping their SHA-256,
    size and type), so that nothing of it stays on the school's server."""
    for evidence in Evidence.objects.filter(incident=incident):
        if evidence.sha256:
            others = Evidence.objects.filter(sha256=evidence.sha256).exclude(pk=evidence.pk)
            if not others.exclude(incident__illegal_content__gt="").exists():
                evidence_path(evidence.sha256).unlink(missing_ok=True)
        before = evidence.audit_snapshot()
        # Past Evidence.save, which refuses any change now: what it said goes, its fingerprint stays.
        Evidence.objects.filter(pk=evidence.pk).update(url="", description="", withheld=True)
        evidence.refresh_from_db()
        record(
            AuditAction.UPDATE, obj=evidence, before=before, after=evidence.audit_snapshot(),
            reason="withheld: the incident may involve illegal content",
        )  # fmt: skip
    _event(incident, user, EventKind.EVIDENCE, "Evidence withheld: the incident may involve illegal content")


def close_problems(
    incident: Incident, *, outcome: str, reasons: str, not_referred_reason: str
) -> dict[str, str]:
    """What stops the incident closing, by field."""
    problems: dict[str, str] = {}
    if incident.status not in (Status.TRIAGED, Status.INVESTIGATING, Status.ACTIONS):
        problems["__all__"] = (
            f"{incident} is {incident.get_status_display().lower()}: it cannot be closed now"
        )
    if outcome not in Outcome.values:
        problems["outcome"] = "Choose the outcome"
    if not reasons.strip():
        problems["reasons"] = "Give the reasons for the outcome"
    if not incident.referrals.exists() and not not_referred_reason.strip():
        problems["not_referred_reason"] = (
            "Nothing was referred: say why not (a decision not to refer is recorded with its reasons)"
        )
    if (
        incident.kind == IncidentKind.PUPIL
        and not incident.parent_contacts.exists()
        and not incident.parents_not_told_reason.strip()
    ):
        problems["parents"] = "Record that parents or carers were told, or why they were not"
    if needs_two_seniors(incident) and (
        incident.senior_first_id is None or incident.senior_second_id is None
    ):
        problems["seniors"] = "An investigation of misuse needs two senior members of staff: name both"
    if incident.illegal:
        done = set(incident.illegal_steps.values_list("step", flat=True))
        missing = [s.label for s in IllegalStep if s.value not in done]
        if missing:
            problems["illegal_steps"] = "Record the illegal-content steps first: " + "; ".join(missing)
    return problems


def needs_two_seniors(incident: Incident) -> bool:
    return incident.misuse_id is not None or incident.incident_type in TWO_SENIOR_TYPES


def do_close(
    incident: Incident, *, actor: User, outcome: str, reasons: str, not_referred_reason: str = ""
) -> Incident:
    _require_in_charge(actor, incident)
    problems = close_problems(
        incident, outcome=outcome, reasons=reasons, not_referred_reason=not_referred_reason
    )
    if problems:
        raise ValidationError(problems)
    with transaction.atomic(), acting(actor):
        incident.status = Status.CLOSED
        incident.outcome = outcome
        incident.outcome_reasons = reasons.strip()
        incident.not_referred_reason = not_referred_reason.strip() if not incident.referrals.exists() else ""
        incident.closed_at = timezone.now()
        incident.closed_by = actor
        incident.save()
        text = f"Closed: {Outcome(outcome).label}. {reasons.strip()}"
        if incident.not_referred_reason:
            text += f" Not referred, because: {incident.not_referred_reason}"
        _event(incident, actor, EventKind.CLOSED, text)
    return incident


def do_reopen(incident: Incident, *, actor: User, reason: str) -> Incident:
    _require_in_charge(actor, incident)
    if incident.status != Status.CLOSED:
        raise ValidationError(f"{incident} is not closed")
    if not reason.strip():
        raise ValidationError({"reason": "Say why it is reopened"})
    with transaction.atomic(), acting(actor):
        incident.status = Status.INVESTIGATING
        incident.closed_at = None
        incident.closed_by = None
        # The earlier outcome stays in the chronology ("Closed: ..."); the record waits for a new one.
        incident.outcome = ""
        incident.outcome_reasons = ""
        incident.not_referred_reason = ""
        save(incident, actor=actor, reason="reopened")
        _event(incident, actor, EventKind.REOPENED, f"Reopened: {reason.strip()}")
    return incident


def do_archive(incident: Incident, *, actor: User, reason: str) -> Incident:
    """A record raised in error leaves the lists; it is kept, with the reason."""
    _require_in_charge(actor, incident)
    if incident.status == Status.ARCHIVED:
        raise ValidationError(f"{incident} is already archived")
    if not reason.strip():
        raise ValidationError({"reason": "Say why it was raised in error"})
    with transaction.atomic(), acting(actor):
        incident.status = Status.ARCHIVED
        incident.archived_at = timezone.now()
        incident.archived_by = actor
        incident.archive_reason = reason.strip()
        save(incident, actor=actor, reason="archived: raised in error")
        _event(incident, actor, EventKind.ARCHIVED, f"Archived: {reason.strip()}")
    return incident


def do_note(incident: Incident, *, actor: User, text: str, decision: bool = False) -> Event:
    """A discussion or a decision, with its reasons, in the chronology."""
    _require_in_charge(actor, incident)
    if incident.status == Status.ARCHIVED:
        raise ValidationError(f"{incident} is archived")
    if not text.strip():
        raise ValidationError({"text": "Write the note"})
    with transaction.atomic(), acting(actor):
        return _event(incident, actor, EventKind.DECISION if decision else EventKind.NOTE, text.strip())


# ---------------------------------------------------------------------------------------------------------
# What was done


def do_take_action(
    incident: Incident, *, actor: User, action: SanctionAction, involvement: Involvement | None = None,
    taken_at: dt.datetime | None = None, notes: str = "",
) -> ActionTaken:  # fmt: skip
    _require_in_charge(actor, incident)
    _require_open(incident)
    if action.school_id != incident.school_id or action.applies_to != incident.kind:
        raise ValidationError(
            {"action": "Choose an action of this school's matrix for this kind of incident"}
        )
    if involvement is not None and involvement.incident_id != incident.pk:
        raise ValidationError({"involvement": "That person is not in this incident"})
    with transaction.atomic(), acting(actor):
        taken = ActionTaken(
            school_id=incident.school_id, incident=incident, action=action, involvement=involvement,
            taken_at=taken_at or timezone.now(), taken_by=actor, notes=notes.strip(),
        )  # fmt: skip
        taken.save()
        about = f" ({involvement.name})" if involvement is not None else ""
        _event(
            incident,
            actor,
            EventKind.ACTION,
            f"{action.name}{about}" + (f": {notes.strip()}" if notes.strip() else ""),
            at=taken.taken_at,
        )
    return taken


def do_illegal_step(incident: Incident, *, actor: User, step: IllegalStep) -> IllegalStepDone:
    """That a step of the illegal-content route was done: who, when. Anyone who may see the incident
    may record it (the member of staff who found it isolates the device)."""
    _require_reporter_or_in_charge(actor, incident)
    if not incident.illegal:
        raise ValidationError("These steps are for an incident that may involve illegal content")
    if incident.illegal_steps.filter(step=step).exists():
        raise ValidationError(f"Already recorded: {step.label}")
    with transaction.atomic(), acting(actor):
        done = IllegalStepDone(school_id=incident.school_id, incident=incident, step=step, done_by=actor)
        done.save()
        _event(incident, actor, EventKind.ILLEGAL_STEP, step.label)
    return done


# ---------------------------------------------------------------------------------------------------------
# Evidence


def evidence_path(sha256: str) -> Path:
    return Path(settings.EVIDENCE_DIR) / sha256[:2] / sha256


def _sniff(head: bytes, rest_is_text: bool) -> str | None:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if rest_is_text:
        return "text/plain"
    return None


def do_add_evidence(
    incident: Incident, *, actor: User, kind: EvidenceKind, upload: IO[bytes] | None = None,
    filename: str = "", url: str = "", description: str = "",
) -> Evidence:  # fmt: skip
    """Keep a file (by SHA-256, its type checked from its first bytes), a web address or a description.
    Refused for an incident that may involve illegal content, before anything is read."""
    if incident.illegal:
        raise IllegalContentRouteError()
    _require_in_charge(actor, incident)
    if incident.status == Status.ARCHIVED:
        raise ValidationError(f"{incident} is archived")
    evidence = Evidence(
        school_id=incident.school_id, incident=incident, kind=kind, added_by=actor,
        url=url.strip(), description=description.strip(),
    )  # fmt: skip
    stored: Path | None = None
    if kind == EvidenceKind.FILE:
        if upload is None:
            raise ValidationError({"file": "Choose the file"})
        stored, evidence.sha256, evidence.size, evidence.content_type = _store(upload)
        evidence.original_name = os.path.basename(filename)[:200]
    elif kind == EvidenceKind.URL:
        if not evidence.url:
            raise ValidationError({"url": "Give the web address"})
        evidence.full_clean(exclude=("incident", "added_by"))
    elif not evidence.description:
        raise ValidationError({"description": "Describe it"})
    try:
        with transaction.atomic(), acting(actor):
            evidence.save()
            if kind == EvidenceKind.FILE:
                what = f"File added ({evidence.content_type}, {evidence.size:,} bytes)"
            else:
                what = "Web address added" if kind == EvidenceKind.URL else "Description added"
            _event(incident, actor, EventKind.EVIDENCE, what)
    except Exception:
        if stored is not None and not Evidence.objects.filter(sha256=evidence.sha256).exists():
            stored.unlink(missing_ok=True)
        raise
    return evidence


def _store(upload: IO[bytes]) -> tuple[Path, str, int, str]:
    """Copy the upload into the evidence store (`core.uploads.store`)."""
    return uploads.store(
        upload,
        folder=Path(settings.EVIDENCE_DIR),
        place=evidence_path,
        max_bytes=EVIDENCE_MAX_BYTES,
        field="file",
        sniff=_sniff,
        wrong_type="Keep screenshots and photos (PNG, JPEG, GIF, WebP), PDFs or plain text",
    )


# ---------------------------------------------------------------------------------------------------------
# Referrals and parents


def do_refer(
    incident: Incident, *, actor: User, agency: str, reference: str = "", contact: str = "",
    due_on: dt.date | None = None, notes: str = "", made_at: dt.datetime | None = None,
) -> Referral:  # fmt: skip
    _require_in_charge(actor, incident)
    _require_open(incident)
    with transaction.atomic(), acting(actor):
        referral = Referral(
            school_id=incident.school_id, incident=incident, agency=agency, made_by=actor,
            made_at=made_at or timezone.now(), reference=reference.strip(), contact=contact.strip(),
            due_on=due_on, notes=notes.strip(),
        )  # fmt: skip
        referral.full_clean(exclude=("incident", "made_by"))
        referral.save()
        text = f"Referred to {referral.get_agency_display()}"
        if referral.reference:
            text += f", reference {referral.reference}"
        if due_on:
            text += f"; follow up by {due_on:%-d %B %Y}"
        _event(incident, actor, EventKind.REFERRAL, text, at=referral.made_at)
    return referral


def do_referral_answer(referral: Referral, *, actor: User, completed_on: dt.date, outcome: str) -> Referral:
    _require_in_charge(actor, referral.incident)
    if not outcome.strip():
        raise ValidationError({"outcome": "Write their answer"})
    with transaction.atomic(), acting(actor):
        referral.completed_on = completed_on
        referral.outcome = outcome.strip()
        referral.save()
        _event(
            referral.incident,
            actor,
            EventKind.REFERRAL,
            f"{referral.get_agency_display()} answered: {outcome.strip()}",
        )
    return referral


def do_tell_parents(
    incident: Incident, *, actor: User, name: str, method: str, guardian: Person | None = None,
    told_at: dt.datetime | None = None, notes: str = "",
) -> ParentContact:  # fmt: skip
    _require_in_charge(actor, incident)
    if incident.status == Status.ARCHIVED:
        raise ValidationError(f"{incident} is archived")
    name = " ".join((guardian.full_name if guardian is not None else name).split())
    problem = full_name_problem(name)
    if problem:
        raise ValidationError({"name": problem})
    if guardian is not None and guardian.school_id != incident.school_id:
        raise ValidationError({"guardian": "That person is not in this school's records"})
    with transaction.atomic(), acting(actor):
        contact = ParentContact(
            school_id=incident.school_id, incident=incident, guardian=guardian, name=name[:200],
            method=method, told_at=told_at or timezone.now(), told_by=actor, notes=notes.strip(),
        )  # fmt: skip
        contact.full_clean(exclude=("incident", "told_by", "guardian"))
        contact.save()
        _event(
            incident,
            actor,
            EventKind.PARENTS,
            f"{name} told {contact.get_method_display().lower()}",
            at=contact.told_at,
        )
    return contact


def do_parents_not_told(incident: Incident, *, actor: User, reason: str) -> Incident:
    """A decision not to tell parents or carers (for instance, where telling them could put the
    child at risk), with its reason."""
    _require_in_charge(actor, incident)
    if incident.status == Status.ARCHIVED:
        raise ValidationError(f"{incident} is archived")
    if not reason.strip():
        raise ValidationError({"reason": "Say why they are not told"})
    with transaction.atomic(), acting(actor):
        incident.parents_not_told_reason = reason.strip()
        save(incident, actor=actor, reason="parents and carers not told")
        _event(incident, actor, EventKind.DECISION, f"Parents and carers not told: {reason.strip()}")
    return incident


# ---------------------------------------------------------------------------------------------------------
# Who looked


def record_view(incident: Incident, user: User, what: str) -> None:
    RecordView.objects.create(school_id=incident.school_id, incident=incident, user=user, what=what[:100])


def involved(incidents: Iterable[Incident]) -> dict[int, list[Involvement]]:
    out: dict[int, list[Involvement]] = {}
    for involvement in Involvement.objects.filter(incident__in=list(incidents)).select_related("person"):
        out.setdefault(involvement.incident_id, []).append(involvement)
    return out
