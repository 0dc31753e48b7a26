"""The agreements pages: the overview, a version, a new version, the chase list, a class's sign sheet,
recording a paper sheet, a person's acceptances, and one's own agreement.

Every record comes from the current school (another school's is not found); every change goes through
`actions`, which check the permission again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from schoolgate.gateways.blockpage.agreement import paragraphs
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.agreements import actions, chase
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.coverage import accepted, audience_for, current_on, in_force, standing
from schoolgate.web.agreements.forms import SheetForm, SignedForm, VersionForm
from schoolgate.web.agreements.models import Acceptance, AgreementVersion, audience_of
from schoolgate.web.agreements.texts import suggested
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import add_errors
from schoolgate.web.core.schoolyear import name as year_name
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.core.views import GET_POST, form_page, paginate, posted, render_page, say_and_go
from schoolgate.web.filterrequests.models import ClassTeacher
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, GuardianLink, Person

ROWS_PER_SHEET = 25  # children on one printed A4 page of the sign sheet
# Each audience as the middle of a sentence: "412 of 430 pupils in Key Stage 2 have accepted".
WHO = {
    Audience.KS1: "pupils in Reception and Key Stage 1",
    Audience.KS2: "pupils in Key Stage 2",
    Audience.SECONDARY: "pupils",
    Audience.STAFF: "staff",
    Audience.VOLUNTEERS: "volunteers and governors",
    Audience.VISITORS: "visitors and community users",
    Audience.PARENTS: "parents and carers",
}


# ---------------------------------------------------------------------------------------------------------
# The overview


@staff_view(Capability.AGREEMENTS_VIEW)
def home_view(request: StaffRequest) -> HttpResponse:
    """Each audience: the version in force, the next if one is written, and this year's coverage."""
    today = timezone.localdate()
    state = standing(request.school, today)
    upcoming: dict[str, AgreementVersion] = {}
    later = AgreementVersion.objects.filter(school=request.school, in_force_from__gt=today)
    for written in later.order_by("in_force_from"):
        upcoming.setdefault(written.audience, written)
    lines = []
    for audience in Audience:
        ids = state.people.get(audience, [])
        version = state.versions.get(audience)
        lines.append(
            {
                "audience": audience,
                "who": WHO[audience],
                "version": version,
                "next": upcoming.get(audience.value),
                "people": len(ids),
                "done": sum(1 for pk in ids if pk in state.accepted) if version else 0,
            }
        )
    context = {
        "lines": lines,
        "year": year_name(school_year(today)),
        "no_year_group": len(state.no_year_group),
        "may_change": request.user.can(Capability.AGREEMENTS_CHANGE, request.school),
        "may_record": request.user.can(Capability.AGREEMENTS_RECORD, request.school),
    }
    return render_page(request, "agreements/home.html", context)


# ---------------------------------------------------------------------------------------------------------
# A version


@staff_view(Capability.AGREEMENTS_VIEW)
def version_view(request: StaffRequest, pk: int) -> HttpResponse:
    """The text, its dates, and who accepted it (by class or team, then name), how and when."""
    version = get_object_or_404(
        AgreementVersion.objects.filter(school=request.school).select_related("written_by"), pk=pk
    )
    acceptances = (
        Acceptance.objects.filter(school=request.school, version=version)
        .select_related("person", "person__class_group", "parent", "recorded_by")
        .order_by("-school_year", "person__class_group__name", "person__team", "person__last_name", "pk")
    )
    page = paginate(request, acceptances)
    for acceptance in page:
        acceptance.year_name = year_name(acceptance.school_year)
    context = {
        "version": version,
        "page": page,
        "count": acceptances.count(),
        "lines": paragraphs(version.text),
    }
    return render_page(request, "agreements/version.html", context)


@staff_view(Capability.AGREEMENTS_CHANGE)
@GET_POST
def version_new_view(request: StaffRequest) -> HttpResponse:
    """A new version: prefilled from the version in force for the audience asked (`?audience=`), or the
    suggested text when there is none."""
    today = timezone.localdate()
    asked = request.GET.get("audience", "")
    audience = Audience(asked) if asked in Audience.values else Audience.STAFF
    current = AgreementVersion.objects.filter(school=request.school).in_force(audience, today)
    title, text = (current.title, current.text) if current else suggested(audience)
    form = VersionForm(
        posted(request), initial={"audience": audience, "title": title, "text": text, "in_force_from": today}
    )

    def write() -> AgreementVersion:
        data = form.cleaned_data
        return actions.do_write_version(
            request.school,
            actor=request.user,
            audience=Audience(data["audience"]),
            title=data["title"],
            text=data["text"],
            in_force_from=data["in_force_from"],
            today=today,
        )

    return form_page(
        request,
        form,
        write,
        done=say_and_go(
            request,
            lambda v: (
                f"Version {v.number} saved: from {v.in_force_from:%-d %B %Y}, everyone it is for is "
                "asked to accept it."
            ),
            lambda v: reverse("agreements:version", kwargs={"pk": v.pk}),
        ),
        template="agreements/version_new.html",
        context={
            "current": current,
            "audience": audience,
            "who": WHO[audience],
            "audiences": Audience.choices,
        },
    )


# ---------------------------------------------------------------------------------------------------------
# The chase list


def _int(text: str) -> int | None:
    """A row's id from the address, or None: ASCII digits only ("²" is a digit to `isdigit`, not to `int`)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


@staff_view(Capability.AGREEMENTS_VIEW)
def chase_view(request: StaffRequest) -> HttpResponse:
    """Who has not accepted this year's agreement: by class, by staff team, by audience; filtered."""
    today = timezone.localdate()
    asked = request.GET.get("audience", "")
    audience = Audience(asked) if asked in Audience.values else None
    classes = list(ClassGroup.objects.filter(school=request.school).order_by("name"))
    class_pk = _int(request.GET.get("class", ""))
    if class_pk is not None and class_pk not in {c.pk for c in classes}:
        class_pk = None
    teams = chase.teams(request.school, today)
    team = request.GET.get("team", "")
    team = team if team in teams else ""
    found = chase.chase(request.school, today, audience=audience, class_pk=class_pk, team=team or None)
    no_year_group = []
    if found.no_year_group:
        ids = [r.pk for r in found.no_year_group]
        no_year_group = list(Person.objects.filter(school=request.school, pk__in=ids).order_by("last_name"))
    context = {
        "chase": found,
        # Names are listed once the list is narrowed (a secondary school has hundreds not yet accepted
        # at the start of the year): before that, each group's count and a link to its names.
        "names": bool(audience or class_pk is not None or team),
        "person_url": reverse("agreements:person", kwargs={"pk": 0}).removesuffix("0/"),
        "no_year_group": no_year_group,
        "year": year_name(school_year(today)),
        "audiences": Audience.choices,
        "classes": classes,
        "teams": teams,
        "chosen": {"audience": audience or "", "class": class_pk, "team": team},
        "without": [WHO[a] for a in Audience if a not in found.versions],
        "may_record": request.user.can(Capability.AGREEMENTS_RECORD, request.school),
        "may_record_staff": actions.may_record_adults(request.user, request.school),
    }
    return render_page(request, "agreements/chase.html", context)


# ---------------------------------------------------------------------------------------------------------
# A class's sign sheet


def _class_audience(class_group: ClassGroup, pupils: list[Person]) -> Audience | None:
    """The class's agreement: by its year group, else by its pupils' (the commonest)."""
    if class_group.year_group is not None:
        stage = class_group.year_group.key_stage
        return audience_for(PersonKind.PUPIL, stage)
    found = [a for a in (audience_of(p) for p in pupils) if a is not None]
    return max(set(found), key=found.count) if found else None


@staff_view(Capability.AGREEMENTS_VIEW)
def sign_sheet_view(request: StaffRequest, pk: int) -> HttpResponse:
    """The class's agreement in large print, then a row per child to sign or colour in; printable."""
    class_group = get_object_or_404(
        ClassGroup.objects.filter(school=request.school).select_related("year_group"), pk=pk
    )
    today = timezone.localdate()
    pupils = list(
        current_on(request.school, today)
        .filter(kind=PersonKind.PUPIL, class_group=class_group)
        .select_related("year_group")
        .order_by("last_name", "first_name")
    )
    audience = _class_audience(class_group, pupils)
    version = in_force(request.school, today).get(audience) if audience else None
    teachers = (
        ClassTeacher.objects.filter(school=request.school, class_group=class_group)
        .select_related("teacher")
        .order_by("teacher__display_name")
    )
    sheets = [pupils[i : i + ROWS_PER_SHEET] for i in range(0, len(pupils), ROWS_PER_SHEET)] or [[]]
    context = {
        "class_group": class_group,
        "version": version,
        "who": WHO[audience] if audience else "",
        "lines": paragraphs(version.text) if version else [],
        "sheets": sheets,
        "rows_per_sheet": ROWS_PER_SHEET,
        "pupils": len(pupils),
        "teachers": [str(t.teacher) for t in teachers],
    }
    return render_page(request, "agreements/sign_sheet.html", context)


# ---------------------------------------------------------------------------------------------------------
# Recording a paper sheet


def _sheet_people(request: StaffRequest, today: Any) -> tuple[str, list[Person]] | None:
    """The class (`?class=`) or staff team (`?team=`) chosen, and its current people; None if neither."""
    class_pk = _int(request.GET.get("class", ""))
    if class_pk is not None:
        class_group = get_object_or_404(ClassGroup.objects.filter(school=request.school), pk=class_pk)
        people = current_on(request.school, today).filter(kind=PersonKind.PUPIL, class_group=class_group)
        return f"Class {class_group}", list(people.select_related("year_group").order_by("last_name"))
    team = request.GET.get("team")
    may_staff = actions.may_record_adults(request.user, request.school)
    if team is not None and may_staff and team in chase.teams(request.school, today):
        staff = current_on(request.school, today).filter(kind__in=list(chase.STAFF_KINDS))
        staff = staff.filter(Q(team="") if team == chase.NO_TEAM else Q(team=team))
        return f"Team: {team}", list(staff.order_by("last_name"))
    return None


def _parents(pupils: list[Person]) -> dict[int, list[Person]]:
    """Each pupil's recorded parents and carers (current, kind parent), in contact order."""
    found: dict[int, list[Person]] = {}
    links = (
        GuardianLink.objects.filter(child__in=pupils, guardian__kind=PersonKind.PARENT)
        .filter(guardian__archived_at__isnull=True)
        .select_related("guardian")
        .order_by("contact_order", "pk")
    )
    for link in links:
        found.setdefault(link.child_id, []).append(link.guardian)
    return found


@staff_view(Capability.AGREEMENTS_RECORD)
@GET_POST
def record_view(request: StaffRequest) -> HttpResponse:
    """Choose a class or a staff team; tick who signed; the day; who signed for each child."""
    today = timezone.localdate()
    chosen = _sheet_people(request, today)
    may_staff = actions.may_record_adults(request.user, request.school)
    context: dict[str, Any] = {
        "classes": ClassGroup.objects.filter(school=request.school).order_by("name"),
        # A staff team's sheet is recorded by the office and those who keep the records of people.
        "teams": chase.teams(request.school, today) if may_staff else [],
        "may_staff": may_staff,
    }
    if chosen is None:
        return render_page(request, "agreements/record.html", context)
    label, people = chosen
    versions = in_force(request.school, today)
    ids = [p.pk for p in people]
    pairs = accepted(request.school, versions, school_year(today), ids) if versions and ids else set()
    done = set()
    for person in people:
        audience = audience_of(person)
        if audience in versions and (person.pk, versions[audience].pk) in pairs:
            done.add(person.pk)
    form = SheetForm(posted(request), people=people, parents=_parents(people), initial={"on": today})
    context.update({"label": label, "form": form, "done": done, "query": request.GET.urlencode()})
    if request.method == "POST" and form.is_valid():
        try:
            recorded = actions.do_record_sheet(
                request.school,
                form.signed(),
                on=form.cleaned_data["on"],
                actor=request.user,
                now=timezone.now(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            text = f"Recorded: {len(recorded.new)} accepted."
            if recorded.already:
                text += f" {len(recorded.already)} had accepted already this year."
            messages.success(request, text)
            return HttpResponseRedirect(f"{reverse('agreements:record')}?{request.GET.urlencode()}")
    return render_page(request, "agreements/record.html", context)


# ---------------------------------------------------------------------------------------------------------
# One person


@staff_view(Capability.AGREEMENTS_VIEW)
@GET_POST
def person_view(request: StaffRequest, pk: int) -> HttpResponse:
    """A person's acceptances, every year: which version, when, how, who recorded it. For those who
    record agreements, "Record that they signed" (on paper; for a child, by them or a parent): the way
    a parent, a volunteer or a visitor, who are on no class or team sheet, is recorded."""
    person = get_object_or_404(
        Person.objects.filter(school=request.school).select_related("year_group", "class_group"), pk=pk
    )
    today = timezone.localdate()
    audience = audience_of(person)
    version = in_force(request.school, today).get(audience) if audience else None
    acceptances = list(
        Acceptance.objects.filter(school=request.school, person=person)
        .select_related("version", "parent", "recorded_by")
        .order_by("-accepted_at")
    )
    this_year = school_year(today)
    for acceptance in acceptances:
        acceptance.year_name = year_name(acceptance.school_year)  # type: ignore[attr-defined]
    accepted_now = version is not None and any(
        a.version_id == version.pk and a.school_year == this_year for a in acceptances
    )
    # Who may record it: AGREEMENTS_RECORD, and for an adult the office and those who keep the records
    # of people or write the agreements (`do_accept` checks the same again).
    may_record = request.user.can(Capability.AGREEMENTS_RECORD, request.school) and (
        person.kind == PersonKind.PUPIL or actions.may_record_adults(request.user, request.school)
    )
    current = current_on(request.school, today).filter(pk=person.pk).exists()
    form = None
    if may_record and current and version is not None and not accepted_now:
        parents = _parents([person]).get(person.pk, []) if person.kind == PersonKind.PUPIL else None
        form = SignedForm(posted(request), parents=parents, initial={"on": today, "version": version.pk})
    here = reverse("agreements:person", kwargs={"pk": person.pk})
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied("You cannot record that this person signed")
        if form is None or version is None:
            messages.info(request, "There is nothing to record for them: see below.")
            return HttpResponseRedirect(here)
        if form.is_valid():
            if form.cleaned_data["version"] != version.pk:
                messages.error(request, "Their agreement changed since you opened the page: check this one.")
                return HttpResponseRedirect(here)
            on = form.cleaned_data["on"]
            try:
                _, new = actions.do_record_signed(
                    request.school,
                    person,
                    version,
                    on=on,
                    actor=request.user,
                    now=timezone.now(),
                    parent=form.parent(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                if new:
                    messages.success(
                        request,
                        f"Recorded: {person.full_name} signed version {version.number} on {on:%-d %B %Y}.",
                    )
                else:
                    messages.info(
                        request, f"{person.full_name} had accepted it already this year: nothing changed."
                    )
                return HttpResponseRedirect(here)
    context = {
        "person": person,
        "audience": audience,
        "who": WHO[audience] if audience else "",
        "version": version,
        "accepted_now": accepted_now,
        "acceptances": acceptances,
        "year": year_name(this_year),
        "form": form,
        "current": current,
        "may_record": may_record,
    }
    return render_page(request, "agreements/person.html", context)


# ---------------------------------------------------------------------------------------------------------
# One's own


def own_person(request: StaffRequest) -> Person | None:
    """The logged-in user's own record at the current school, if they have one."""
    mine = Person.objects.filter(school=request.school, user=request.user)
    return mine.select_related("year_group").first()


@staff_view((Capability.AGREEMENTS_VIEW, Capability.TRAINING_SELF))
@GET_POST
def mine_view(request: StaffRequest) -> HttpResponse:
    """The user's own agreement in force; "I agree" records it (accepted in Schoolgate, logged in)."""
    today = timezone.localdate()
    person = own_person(request)
    audience = audience_of(person) if person is not None else None
    version = in_force(request.school, today).get(audience) if audience else None
    mine = None
    if person is not None and version is not None:
        this_year = school_year(today)
        mine = Acceptance.objects.filter(version=version, person=person, school_year=this_year).first()
    if request.method == "POST":
        if person is None or version is None:
            messages.error(request, "There is no agreement for you to accept here.")
        elif request.POST.get("version") != str(version.pk):
            messages.error(request, "The agreement has changed since you opened it: read this one first.")
        else:
            try:
                actions.do_accept(
                    person, version, how=HowAccepted.IN_SCHOOLGATE, at=timezone.now(), actor=request.user
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, "Thank you: your agreement is recorded for this school year.")
        return HttpResponseRedirect(reverse("agreements:mine"))
    context = {
        "person": person,
        "version": version,
        "lines": paragraphs(version.text) if version else [],
        "accepted": mine,
        "year": year_name(school_year(today)),
    }
    return render_page(request, "agreements/mine.html", context)


__all__ = [
    "chase_view",
    "home_view",
    "mine_view",
    "person_view",
    "record_view",
    "sign_sheet_view",
    "version_new_view",
    "version_view",
]
