"""Changes to the agreements and their acceptances (the convention: `core.actions`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.coverage import current_on
from schoolgate.web.agreements.models import TEXT_MAX, Acceptance, AgreementVersion, audience_of
from schoolgate.web.core.actions import REASON_MAX, Operator, acting, require
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

# The worker records acceptances made at the proxy under this name (no login made them).
AGREEMENT_PAGE = "Schoolgate (agreement page)"
TITLE_MAX = 200  # the title's column
SHEET_MAX = 200  # people on one sheet: a class, or a large team


def do_accept(
    person: Person,
    version: AgreementVersion,
    *,
    how: HowAccepted,
    at: dt.datetime,
    actor: User | Operator | str,
    parent: Person | None = None,
    note: str = "",
) -> Acceptance:
    """Record that `person` accepted `version` at `at`, for that school year. Accepting again in the same
    year changes nothing (the first record stays). A user must hold AGREEMENTS_RECORD to record someone
    else's acceptance (and `may_record_adults` for anyone but a pupil); anyone may record their own,
    and only their own, `how` IN_SCHOOLGATE. The version must be for the person's audience and in force
    on that day (the school's day of `at`); a parent must be one of the child's."""
    if person.school_id != version.school_id:
        raise ValidationError("That agreement belongs to another school")
    # One's own: a login linked to the person's record (pupils have no Schoolgate login: a staff login
    # linked to a pupil's record by mistake does not accept for the child).
    own = (
        not isinstance(actor, (Operator, str))
        and person.kind != PersonKind.PUPIL
        and getattr(person, "user_id", None) == actor.pk
    )
    if how == HowAccepted.IN_SCHOOLGATE and not own:
        raise PermissionDenied("Only the person themselves accepts in Schoolgate")
    if not isinstance(actor, str) and not (own and how == HowAccepted.IN_SCHOOLGATE):
        require(actor, Capability.AGREEMENTS_RECORD, person.school_id)
        if person.kind != PersonKind.PUPIL and not own and not may_record_adults(actor, person.school_id):
            raise PermissionDenied(
                "That a member of staff or another adult signed is recorded by the office, the DSL team, "
                "the coordinator or the headteacher"
            )
    if isinstance(actor, str) and how != HowAccepted.PROXY:
        raise PermissionDenied("only the agreement page records without a login")
    if audience_of(person) != version.audience:
        audience = version.get_audience_display()
        raise ValidationError(f"{person} is not asked to accept the agreement for {audience}")
    day = timezone.localdate(at) if timezone.is_aware(at) else at.date()  # the school's day, not UTC's
    current = AgreementVersion.objects.filter(school_id=person.school_id).in_force(version.audience, day)
    if current is None or current.pk != version.pk:
        raise ValidationError(f"Version {version.number} is not the one in force on {day:%-d %B %Y}")
    if how == HowAccepted.PARENT:
        if parent is None or parent.kind != PersonKind.PARENT:
            raise ValidationError({"parent": "Choose the parent or carer who accepted"})
        if not parent.child_links.filter(child=person).exists():
            raise ValidationError({"parent": f"{parent} is not recorded as a parent or carer of {person}"})
    elif parent is not None:
        raise ValidationError({"parent": "A parent is named only when a parent accepted"})
    year = school_year(day)
    existing = Acceptance.objects.filter(version=version, person=person, school_year=year).first()
    if existing is not None:
        return existing
    recorded_by = None if isinstance(actor, (Operator, str)) else actor
    try:
        with transaction.atomic(), acting(actor, f"agreement accepted ({HowAccepted(how).label.lower()})"):
            return Acceptance.objects.create(
                school_id=person.school_id,
                version=version,
                person=person,
                school_year=year,
                accepted_at=at,
                how=how,
                parent=parent,
                recorded_by=recorded_by,
                note=" ".join(note.split())[:REASON_MAX],
            )
    except IntegrityError:  # the same acceptance recorded at the same moment by another process
        return Acceptance.objects.get(version=version, person=person, school_year=year)


def may_record_adults(actor: User | Operator, school: School | int) -> bool:
    """Whether `actor` may record that an adult (staff, a governor, a visitor, a parent) accepted.
    Every member of staff records their class's sheet (AGREEMENTS_RECORD); that a colleague signed
    is recorded by those who keep the school's records of people (PEOPLE_CHANGE: the office, the DSL
    team, the headteacher, the network manager) or write the agreements (AGREEMENTS_CHANGE), so that
    one teacher cannot mark another as having accepted. Staff accept their own in Schoolgate."""
    if isinstance(actor, Operator):
        return True
    return any(actor.can(c, school) for c in (Capability.PEOPLE_CHANGE, Capability.AGREEMENTS_CHANGE))


# ---------------------------------------------------------------------------------------------------------
# New versions, and paper sheets


def next_number(school: School, audience: Audience) -> int:
    """The number the next version for `audience` at `school` takes: 1, then one more than the last."""
    last = AgreementVersion.objects.filter(school=school, audience=audience).order_by("-number").first()
    return 1 if last is None else last.number + 1


def do_write_version(
    school: School,
    *,
    actor: User | Operator,
    audience: Audience,
    title: str,
    text: str,
    in_force_from: dt.date,
    today: dt.date,
) -> AgreementVersion:
    """A new version of `audience`'s agreement, in force from `in_force_from` (today or later: what
    people accepted before stays as it was). The version before it ends the day before; from then on,
    everyone of that audience is asked to accept the new one."""
    require(actor, Capability.AGREEMENTS_CHANGE, school)
    if audience not in Audience.values:
        raise ValidationError({"audience": "Choose who the agreement is for"})
    title = " ".join(title.split())
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give it a title"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters"
    if not text:
        errors["text"] = "Write what the reader agrees to"
    elif len(text) > TEXT_MAX:
        errors["text"] = f"Keep it under {TEXT_MAX:,} characters"
    if in_force_from < today:
        errors["in_force_from"] = "A new version starts today or later"
    if errors:
        raise ValidationError(errors)
    try:
        return _write(school, actor, audience, title, text, in_force_from)
    except IntegrityError as error:  # another version for the audience saved at the same moment
        raise ValidationError(
            "Another version was saved at the same moment: look at it, then try again"
        ) from error


def _write(
    school: School, actor: User | Operator, audience: Audience, title: str, text: str, in_force_from: dt.date
) -> AgreementVersion:
    with transaction.atomic(), acting(actor, "new version of an acceptable-use agreement"):
        versions = AgreementVersion.objects.select_for_update().filter(school=school, audience=audience)
        latest = versions.order_by("-in_force_from", "-number").first()
        if latest is not None and latest.in_force_from >= in_force_from:
            raise ValidationError(
                {
                    "in_force_from": f"Version {latest.number} starts on {latest.in_force_from:%-d %B %Y}: "
                    "the new one must start after it"
                }
            )
        day_before = in_force_from - dt.timedelta(days=1)
        for older in versions.exclude(in_force_until__lt=in_force_from):
            if older.in_force_until is None or older.in_force_until > day_before:
                older.in_force_until = day_before
                older.save(update_fields=["in_force_until"])
        return AgreementVersion.objects.create(
            school=school,
            audience=audience,
            number=next_number(school, audience),
            title=title,
            text=text,
            in_force_from=in_force_from,
            written_by=None if isinstance(actor, Operator) else actor,
            written_at=timezone.now(),
        )


@dataclass(frozen=True)
class Recorded:
    """What recording a sheet did: the acceptances new now, and those recorded already this year."""

    new: list[Acceptance]
    already: list[Acceptance]


def signed_at(on: dt.date, now: dt.datetime) -> dt.datetime:
    """When a sheet signed on `on` is recorded as accepted: now if today, else midday that day."""
    if on == timezone.localdate(now):
        return now
    return timezone.make_aware(dt.datetime.combine(on, dt.time(12)))


def check_signed_on(on: dt.date, now: dt.datetime) -> None:
    """The day a paper agreement was signed: not in the future, and in this school year (last year's
    signature does not count for this year's agreement)."""
    today = timezone.localdate(now)
    if on > today:
        raise ValidationError({"on": "The day it was signed cannot be in the future"})
    if school_year(on) != school_year(today):
        raise ValidationError({"on": "Record a sheet signed in this school year"})


def do_record_sheet(
    school: School,
    signed: list[tuple[Person, Person | None]],
    *,
    on: dt.date,
    actor: User | Operator,
    now: dt.datetime,
    note: str = "",
) -> Recorded:
    """A paper sheet: each (person, parent) signed on `on` (the parent: a parent or carer signed for the
    child; None: the person signed). Each accepts the version in force that day for their audience.
    All or nothing: one refusal records none, and says whose."""
    require(actor, Capability.AGREEMENTS_RECORD, school)
    check_signed_on(on, now)
    if not signed:
        raise ValidationError("Tick who signed")
    if len(signed) > SHEET_MAX:
        raise ValidationError(f"Record at most {SHEET_MAX} people at once")
    at = signed_at(on, now)
    year = school_year(on)
    new: list[Acceptance] = []
    already: list[Acceptance] = []
    with transaction.atomic():
        for person, parent in signed:
            if person.school_id != school.pk or (parent is not None and parent.school_id != school.pk):
                raise ValidationError("That person belongs to another school")
            audience = audience_of(person)
            if audience is None:
                raise ValidationError(f"{person} has no year group: put them in one to know their agreement")
            version = AgreementVersion.objects.filter(school=school).in_force(audience, on)
            if version is None:
                label = Audience(audience).label
                raise ValidationError(f"There is no agreement for {label} in force on {on:%-d %B %Y}")
            found = Acceptance.objects.filter(version=version, person=person, school_year=year).first()
            if found is not None:
                already.append(found)
                continue
            how = HowAccepted.PAPER if parent is None else HowAccepted.PARENT
            try:
                made = do_accept(person, version, how=how, at=at, actor=actor, parent=parent, note=note)
            except ValidationError as error:
                raise ValidationError(f"{person}: {' '.join(error.messages)}") from error
            new.append(made)
    return Recorded(new, already)


def do_record_signed(
    school: School,
    person: Person,
    version: AgreementVersion,
    *,
    on: dt.date,
    actor: User | Operator,
    now: dt.datetime,
    parent: Person | None = None,
    note: str = "",
) -> tuple[Acceptance, bool]:
    """One person signed `version` on paper on `on` (for a pupil, `parent` signed on the child's behalf),
    recorded from their own page: a parent, a volunteer, a visitor, as well as a pupil or staff. The same
    rules as a sheet (the day; AGREEMENTS_RECORD, and `may_record_adults` for an adult, in `do_accept`);
    the version is the one the page showed, and must be in force that day. Returns the acceptance and
    whether it is new (False: they had accepted it already this year, and nothing changed)."""
    require(actor, Capability.AGREEMENTS_RECORD, school)
    check_signed_on(on, now)
    for someone in (person, parent):
        if someone is not None and someone.school_id != school.pk:
            raise ValidationError("That person belongs to another school")
    if version.school_id != school.pk:
        raise ValidationError("That agreement belongs to another school")
    if not current_on(school, on).filter(pk=person.pk).exists():
        raise ValidationError(f"{person} is archived or had left by then: nothing to record")
    had = Acceptance.objects.filter(version=version, person=person, school_year=school_year(on)).exists()
    how = HowAccepted.PAPER if parent is None else HowAccepted.PARENT
    made = do_accept(person, version, how=how, at=signed_at(on, now), actor=actor, parent=parent, note=note)
    return made, not had
