"""The changes to the training records. Each checks the actor's capability itself (`core.actions`
convention), refuses bad input with ValidationError, and is written to the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.core import actions as core
from schoolgate.web.core.actions import Operator, acting, require
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.training import certificates
from schoolgate.web.training.models import Attendance, Course, NeedsAssessment
from schoolgate.web.training.questions import BY_KEY, CONFIDENCE, HELP_MAX

Actor = User | Operator
# Who does training: staff and governors (supply staff too, when the school records it).
TRAINED_KINDS = frozenset({PersonKind.STAFF, PersonKind.SUPPLY, PersonKind.GOVERNOR})
EARLIEST = dt.date(1990, 1, 1)
PEOPLE_MAX = 300  # people in one session: a whole staff, never an import
PROVIDER_MAX = 200
NOTE_MAX = 300


# ---------------------------------------------------------------------------------------------------------
# Courses


def do_save_course(course: Course, *, actor: Actor) -> Course:
    """Add or change a course (its school set by the caller from the request, never from a form)."""
    require(actor, Capability.TRAINING_CHANGE, course.school_id)
    if course.pk is not None and course.is_archived:
        raise ValidationError("This course is archived: bring it back first")
    course.full_clean(exclude=("school",), validate_constraints=False)
    clash = Course.objects.filter(school_id=course.school_id, name__iexact=course.name)
    if course.pk is not None:
        clash = clash.exclude(pk=course.pk)
    if clash.exists():
        raise ValidationError({"name": "There is a course of that name already"})
    core.save(course, actor=actor, reason="course added" if course.pk is None else "course changed")
    return course


def do_archive_course(course: Course, *, actor: Actor, reason: str) -> Course:
    """Take a course out of use: it leaves the matrix and the coverage; its attendance stays."""
    require(actor, Capability.TRAINING_CHANGE, course.school_id)
    if course.is_archived:
        raise ValidationError("This course is archived already")
    core.archive(course, actor=actor, reason=reason)
    return course


def do_restore_course(course: Course, *, actor: Actor) -> Course:
    require(actor, Capability.TRAINING_CHANGE, course.school_id)
    if not course.is_archived:
        raise ValidationError("This course is in use already")
    core.restore(course, actor=actor)
    return course


# ---------------------------------------------------------------------------------------------------------
# Attendance


def _check_day(day: dt.date, today: dt.date) -> None:
    if day > today:
        raise ValidationError({"attended_on": "That day has not come yet: record training once it is done"})
    if day < EARLIEST:
        raise ValidationError({"attended_on": f"Give a date after {EARLIEST:%Y}"})


def do_record(
    course: Course, people: Sequence[Person], *, actor: Actor, on: dt.date, provider: str = "",
    note: str = "", certificate: IO[bytes] | None = None, filename: str = "",
) -> list[Attendance]:  # fmt: skip
    """That `people` did `course` on `on` (one session, one record each). A certificate is one
    person's: given with several people, it is refused."""
    require(actor, Capability.TRAINING_CHANGE, course.school_id)
    if course.is_archived:
        raise ValidationError({"course": "This course is archived"})
    unique = list({p.pk: p for p in people}.values())
    if not unique:
        raise ValidationError({"people": "Choose who attended"})
    if len(unique) > PEOPLE_MAX:
        raise ValidationError({"people": f"At most {PEOPLE_MAX} people at once"})
    for person in unique:
        if person.school_id != course.school_id:
            raise ValidationError({"people": "Choose people of this school"})
        if person.kind not in TRAINED_KINDS:
            raise ValidationError({"people": f"{person} is not staff or a governor"})
        if person.is_archived:
            raise ValidationError({"people": f"{person} is archived"})
    _check_day(on, timezone.localdate())
    provider = " ".join(provider.split())
    note = " ".join(note.split())
    if len(provider) > PROVIDER_MAX:
        raise ValidationError({"provider": f"Keep it under {PROVIDER_MAX} characters"})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"Keep it under {NOTE_MAX} characters"})
    if certificate is not None and len(unique) != 1:
        raise ValidationError(
            {"certificate": "A certificate is one person's: record the session, then add each "
             "certificate on that person's record"}
        )  # fmt: skip
    stored = None
    fields: dict[str, object] = {}
    if certificate is not None:
        stored, sha, size, content_type = certificates.store(certificate)
        fields = {"sha256": sha, "size": size, "content_type": content_type,
                  "original_name": certificates.shown_name(filename)}  # fmt: skip
    now = timezone.now()
    recorded_by = actor if isinstance(actor, User) else None
    made: list[Attendance] = []
    try:
        with transaction.atomic(), acting(actor, f"{course} on {on:%d %B %Y}"):
            for person in unique:
                record = Attendance(
                    school_id=course.school_id, person=person, course=course, attended_on=on,
                    provider=provider, note=note, recorded_by=recorded_by, recorded_at=now, **fields,
                )  # fmt: skip
                record.save()
                made.append(record)
    except Exception:
        _forget(stored, fields.get("sha256"))
        raise
    return made


def _forget(stored: object, sha: object) -> None:
    """Remove a file just stored when its record was not kept (and no other record holds it)."""
    if stored is not None and isinstance(sha, str) and not Attendance.objects.filter(sha256=sha).exists():
        certificates.path(sha).unlink(missing_ok=True)


def do_add_certificate(
    attendance: Attendance, *, actor: Actor, upload: IO[bytes], filename: str
) -> Attendance:
    """Keep the certificate of one attendance (replacing one kept before: the trail says so)."""
    require(actor, Capability.TRAINING_CHANGE, attendance.school_id)
    if attendance.is_archived:
        raise ValidationError("This record is archived")
    _, sha, size, content_type = certificates.store(upload)
    before = attendance.sha256
    attendance.sha256, attendance.size, attendance.content_type = sha, size, content_type
    attendance.original_name = certificates.shown_name(filename)
    try:
        core.save(attendance, actor=actor, reason="certificate replaced" if before else "certificate added")
    except Exception:
        _forget(True, sha)
        raise
    return attendance


def do_archive_attendance(attendance: Attendance, *, actor: Actor, reason: str) -> Attendance:
    """A record made by mistake leaves the matrix, with why; it is kept."""
    require(actor, Capability.TRAINING_CHANGE, attendance.school_id)
    if attendance.is_archived:
        raise ValidationError("This record is archived already")
    core.archive(attendance, actor=actor, reason=reason)
    return attendance


def may_see_certificate(user: User, attendance: Attendance) -> bool:
    """TRAINING_VIEW holders at its school, and the person it is about."""
    if user.can(Capability.TRAINING_VIEW, attendance.school_id):
        return True
    return attendance.person.user_id is not None and attendance.person.user_id == user.pk


# ---------------------------------------------------------------------------------------------------------
# The training needs self-assessment


def own_person(user: User, school_id: int) -> Person | None:
    """The person record of `user` at this school, if there is one and it is current."""
    person = Person.objects.filter(user=user, school_id=school_id).unarchived().first()
    return person


def do_assess(
    person: Person, *, actor: Actor, answers: Mapping[str, int], wanted: Iterable[str], what_would_help: str,
    on: dt.date | None = None,
) -> NeedsAssessment:  # fmt: skip
    """A member of staff's own answers for this school year; answering again changes them. Only the
    person themselves may answer (it is a self-assessment), and only staff. (The server's operator may
    load answers given on paper, as the demo does.)"""
    require(actor, Capability.TRAINING_SELF, person.school_id)
    if isinstance(actor, User) and person.user_id != actor.pk:
        raise PermissionDenied("Only the person themselves fills in their training needs")
    if person.kind not in (PersonKind.STAFF, PersonKind.SUPPLY):
        raise ValidationError("The training needs questions are for staff")
    if person.is_archived:
        raise ValidationError(f"{person} is archived")
    clean: dict[str, int] = {}
    for key, value in answers.items():
        if key not in BY_KEY:
            raise ValidationError(f"There is no question {key!r}")
        if value not in CONFIDENCE:
            raise ValidationError({key: "Choose from 1 (not confident) to 4 (very confident)"})
        clean[key] = int(value)
    missing = [q.area for k, q in BY_KEY.items() if k not in clean]
    if missing:
        raise ValidationError(f"Answer every question: {', '.join(missing)}")
    wants = sorted(set(wanted))
    if any(k not in BY_KEY for k in wants):
        raise ValidationError({"wanted": "Choose from the list"})
    help_text = what_would_help.strip()
    if len(help_text) > HELP_MAX:
        raise ValidationError({"what_would_help": f"Keep it under {HELP_MAX:,} characters"})
    year = school_year(on or timezone.localdate())
    with transaction.atomic(), acting(actor):
        record = NeedsAssessment.objects.filter(person=person, school_year=year).first()
        if record is None:
            record = NeedsAssessment(school_id=person.school_id, person=person, school_year=year)
        record.answers, record.wanted, record.what_would_help = clean, wants, help_text
        record.submitted_at = timezone.now()
        record.save()
    return record
