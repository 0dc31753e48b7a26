"""The training pages, under /training/: the matrix, the courses, recording a session, a person's
training, one record and its certificate, your own training, and the training needs questions."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import ReasonForm
from schoolgate.web.core.schoolyear import name as year_name
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.core.views import form_page, posted, render_page, say_and_go
from schoolgate.web.people.models import Person
from schoolgate.web.training import actions, certificates, forms, matrix, needs
from schoolgate.web.training.defaults import ensure_courses
from schoolgate.web.training.models import Attendance, Course, NeedsAssessment
from schoolgate.web.training.questions import BY_KEY, CONFIDENCE

GET_POST = require_http_methods(["GET", "POST"])
VIEW = Capability.TRAINING_VIEW
CHANGE = Capability.TRAINING_CHANGE
SELF = Capability.TRAINING_SELF
OCTETS = "application/octet-stream"
NO_TEAM = "-"  # the team filter's value for staff with no team


def _courses(request: StaffRequest) -> list[Course]:
    ensure_courses(request.school)
    return list(Course.objects.filter(school=request.school).unarchived())


# ---------------------------------------------------------------------------------------------------------
# The matrix


@staff_view(VIEW)
def matrix_view(request: StaffRequest) -> HttpResponse:
    """Everyone the courses are for, against the courses: where each stands today."""
    courses = _courses(request)
    chosen_course = next((c for c in courses if str(c.pk) == request.GET.get("course", "")), None)
    team_asked = request.GET.get("team", "")[:100]
    team = "" if team_asked == NO_TEAM else (team_asked or None)
    today = timezone.localdate()
    built = matrix.build(
        request.school, today, courses=[chosen_course] if chosen_course else courses, team=team
    )
    teams = sorted(
        set(Person.objects.filter(school=request.school, kind__in=["staff", "governor"]).current()
            .exclude(team="").values_list("team", flat=True))
    )  # fmt: skip
    return render_page(
        request, "training/matrix.html",
        {"matrix": built, "rows_html": _rows_html(built), "courses": courses, "teams": teams,
         "chosen": {"course": chosen_course, "team": team_asked}, "no_team": NO_TEAM},
    )  # fmt: skip


def _rows_html(built: matrix.Matrix) -> SafeString:
    """The matrix's rows, made here rather than in the template: 150 staff x 5 courses is 750 cells,
    which Django's template engine renders several times slower (every value escaped by format_html)."""
    base = reverse("training:person", args=[0])[: -len("0/")]
    rows = []
    for row in built.rows:
        person = row.person
        cells = format_html_join(
            "",
            '<td data-label="{}">{}</td>',
            (
                (course.name, format_html('<span class="hint">{}</span>', "Not for them") if cell is None
                 else format_html('<span class="tag {}">{}</span>', cell.tag, cell.words))
                for course, cell in row.cells
            ),
        )  # fmt: skip
        rows.append(
            format_html(
                '<tr><th scope="row"><a href="{}{}/">{}, {}</a></th><td data-label="Team">{}</td>{}</tr>',
                base,
                person.pk,
                person.last_name,
                person.preferred_name or person.first_name,
                person.team or person.get_kind_display(),
                cells,
            )
        )
    return format_html_join("\n", "{}", ((r,) for r in rows))


# ---------------------------------------------------------------------------------------------------------
# Courses


@staff_view(VIEW)
def courses_view(request: StaffRequest) -> HttpResponse:
    ensure_courses(request.school)
    every = Course.objects.filter(school=request.school)
    return render_page(
        request, "training/courses.html",
        {"courses": every.unarchived(), "archived": every.archived()},
    )  # fmt: skip


@staff_view(CHANGE)
@GET_POST
def course_add_view(request: StaffRequest) -> HttpResponse:
    form = forms.CourseForm(posted(request), instance=Course(school=request.school))
    return form_page(
        request, form, lambda: actions.do_save_course(form.instance, actor=request.user),
        done=say_and_go(request, lambda c: f"{c} added.", lambda c: reverse("training:courses")),
        template="training/course_form.html", context={"title": "Add a course"},
    )  # fmt: skip


def _course(request: StaffRequest, pk: int) -> Course:
    return get_object_or_404(Course.objects.filter(school=request.school), pk=pk)


@staff_view(CHANGE)
@GET_POST
def course_view(request: StaffRequest, pk: int) -> HttpResponse:
    course = _course(request, pk)
    form = forms.CourseForm(posted(request), instance=course)
    return form_page(
        request, form, lambda: actions.do_save_course(form.instance, actor=request.user),
        done=say_and_go(request, lambda c: f"{c} saved.", lambda c: reverse("training:courses")),
        template="training/course_form.html", context={"title": f"Change {course}", "course": course},
    )  # fmt: skip


@staff_view(CHANGE)
@GET_POST
def course_archive_view(request: StaffRequest, pk: int) -> HttpResponse:
    course = _course(request, pk)
    form = ReasonForm(posted(request), label="Why is it no longer used?", max_length=300)
    return form_page(
        request, form,
        lambda: actions.do_archive_course(course, actor=request.user, reason=form.cleaned_data["reason"]),
        done=say_and_go(request, lambda c: f"{c} archived: its records are kept.",
                        lambda c: reverse("training:courses")),
        template="training/confirm.html",
        context={"title": f"Archive {course}", "button": "Archive it",
                 "intro": "It leaves the matrix and the coverage. Who attended it stays on record."},
    )  # fmt: skip


@staff_view(CHANGE)
@require_http_methods(["POST"])
def course_restore_view(request: StaffRequest, pk: int) -> HttpResponse:
    course = _course(request, pk)
    try:
        actions.do_restore_course(course, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{course} is in use again.")
    return HttpResponseRedirect(reverse("training:courses"))


# ---------------------------------------------------------------------------------------------------------
# Recording attendance


@staff_view(CHANGE)
@GET_POST
def record_view(request: StaffRequest) -> HttpResponse:
    """One session for many people at once (a staff meeting's training), or one person's course with
    their certificate."""
    _courses(request)
    initial: dict[str, object] = {"attended_on": timezone.localdate()}
    if request.GET.get("course", "").isascii() and request.GET.get("course", "").isdigit():
        initial["course"] = int(request.GET["course"])
    if request.GET.get("person", "").isascii() and request.GET.get("person", "").isdigit():
        initial["people"] = [int(request.GET["person"])]
    form = forms.RecordForm(
        posted(request), request.FILES if request.method == "POST" else None, school=request.school,
        initial=initial,
    )  # fmt: skip

    def record() -> list[Attendance]:
        data = form.cleaned_data
        upload = data.get("certificate")
        return actions.do_record(
            data["course"], list(data["people"]), actor=request.user, on=data["attended_on"],
            provider=data["provider"], note=data["note"], certificate=upload,
            filename=upload.name if upload is not None else "",
        )  # fmt: skip

    def said(made: list[Attendance]) -> str:
        return f"{made[0].course} on {made[0].attended_on:%-d %B %Y} recorded for {len(made)} " + (
            "person." if len(made) == 1 else "people."
        )

    return form_page(
        request, form, record,
        done=say_and_go(request, said, lambda made: reverse("training:matrix")),
        template="training/record.html",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# A person's training, one record, its certificate


def _person_page(
    request: StaffRequest, person: Person, template: str, extra: dict[str, object]
) -> HttpResponse:
    ensure_courses(request.school)
    today = timezone.localdate()
    courses = [
        c for c in Course.objects.filter(school=request.school).unarchived() if matrix.for_course(c, person)
    ]
    built = matrix.build(request.school, today, courses=courses)
    row = next((r for r in built.rows if r.person.pk == person.pk), None)
    standing = row.cells if row else []
    history = Attendance.objects.filter(school=request.school, person=person).select_related("course")
    return render_page(
        request, template, {"person": person, "standing": standing, "history": history, **extra}
    )


@staff_view(VIEW)
def person_view(request: StaffRequest, pk: int) -> HttpResponse:
    """One member of staff's or governor's training (a pupil or a parent has none: not found)."""
    trained = Person.objects.filter(school=request.school, kind__in=sorted(actions.TRAINED_KINDS))
    person = get_object_or_404(trained, pk=pk)
    return _person_page(request, person, "training/person.html", {})


@staff_view(SELF)
def mine_view(request: StaffRequest) -> HttpResponse:
    """Your own training, through your person record at this school."""
    person = actions.own_person(request.user, request.school.pk)
    if person is None:
        return render_page(request, "training/mine.html", {"person": None})
    year = school_year(timezone.localdate())
    answered = NeedsAssessment.objects.filter(person=person, school_year=year).exists()
    return _person_page(
        request, person, "training/mine.html",
        {"answered": answered, "year": year_name(year), "asked": person.kind in ("staff", "supply")},
    )  # fmt: skip


def _attendance(request: StaffRequest, pk: int) -> Attendance:
    records = Attendance.objects.filter(school=request.school).select_related("person", "course")
    return get_object_or_404(records, pk=pk)


@staff_view(VIEW)
def attendance_view(request: StaffRequest, pk: int) -> HttpResponse:
    record = _attendance(request, pk)
    return render_page(request, "training/attendance.html", {"record": record})


@staff_view((VIEW, SELF))
def certificate_view(request: StaffRequest, pk: int) -> HttpResponse:
    """The certificate file: to TRAINING_VIEW holders and to the person it is about; to anyone else it
    is not found."""
    record = _attendance(request, pk)
    if not actions.may_see_certificate(request.user, record) or not record.sha256:
        raise Http404("No such certificate")
    path = certificates.path(record.sha256)
    if not path.is_file():
        raise Http404("The file is not kept")
    known = record.content_type in certificates.TYPES
    name = record.original_name or f"certificate-{record.pk}"
    response = FileResponse(
        path.open("rb"), as_attachment=True,
        filename=certificates.download_name(name, record.content_type) if known else name,
        content_type=record.content_type if known else OCTETS,
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)


@staff_view(CHANGE)
@GET_POST
def attendance_certificate_view(request: StaffRequest, pk: int) -> HttpResponse:
    record = _attendance(request, pk)
    form = forms.CertificateForm(posted(request), request.FILES if request.method == "POST" else None)

    def keep() -> Attendance:
        upload = form.cleaned_data["certificate"]
        return actions.do_add_certificate(
            record, actor=request.user, upload=upload, filename=upload.name or ""
        )

    return form_page(
        request, form, keep,
        done=say_and_go(request, lambda r: "The certificate is kept.", lambda r: r.get_absolute_url()),
        template="training/confirm.html",
        context={"title": f"Certificate: {record}", "button": "Keep it", "multipart": True,
                 "intro": "A PDF, or a photo or scan (PNG, JPEG), up to 5 MB. It is shown to the person it "
                 "is about and to those who see everyone's training: the DSL team, the online safety "
                 "coordinator, the headteacher, senior leaders and the office."},
    )  # fmt: skip


@staff_view(CHANGE)
@GET_POST
def attendance_archive_view(request: StaffRequest, pk: int) -> HttpResponse:
    record = _attendance(request, pk)
    form = ReasonForm(posted(request), label="Why was it recorded by mistake?", max_length=300)
    return form_page(
        request, form,
        lambda: actions.do_archive_attendance(record, actor=request.user, reason=form.cleaned_data["reason"]),
        done=say_and_go(request, lambda r: "The record is archived: it no longer counts.",
                        lambda r: reverse("training:person", args=[r.person_id])),
        template="training/confirm.html",
        context={"title": f"Archive: {record}", "button": "Archive it",
                 "intro": "It stops counting in the matrix. It is kept, with your reason."},
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# The training needs questions


@staff_view(SELF)
@GET_POST
def needs_view(request: StaffRequest) -> HttpResponse:
    """Your own answers for this school year; answering again changes them."""
    person = actions.own_person(request.user, request.school.pk)
    year = school_year(timezone.localdate())
    if person is None or person.kind not in ("staff", "supply"):
        return render_page(
            request, "training/needs.html", {"person": person, "form": None, "year": year_name(year)}
        )
    before = NeedsAssessment.objects.filter(person=person, school_year=year).first()
    initial: dict[str, object] = {}
    if before is not None:
        initial = {f"q_{k}": str(v) for k, v in before.answers.items()}
        initial |= {"wanted": before.wanted, "what_would_help": before.what_would_help}
    form = forms.NeedsForm(posted(request), initial=initial)

    def answer() -> NeedsAssessment:
        data = form.cleaned_data
        return actions.do_assess(
            person, actor=request.user, answers=form.answers(), wanted=data["wanted"],
            what_would_help=data["what_would_help"],
        )  # fmt: skip

    return form_page(
        request, form, answer,
        done=say_and_go(
            request, lambda r: "Thank you: your answers are kept.", lambda r: reverse("training:mine")
        ),
        template="training/needs.html",
        context={"person": person, "before": before, "year": year_name(year)},
    )  # fmt: skip


@staff_view(VIEW)
def needs_summary_view(request: StaffRequest) -> HttpResponse:
    """Per question the spread of answers, who has not answered, the areas most asked for, and what
    people wrote (this page's readers only)."""
    this_year = school_year(timezone.localdate())
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isdigit() and 2000 <= int(asked) <= this_year else this_year
    years = sorted(
        set(NeedsAssessment.objects.filter(school=request.school).values_list("school_year", flat=True))
        | {this_year},
        reverse=True,
    )
    return render_page(
        request, "training/needs_summary.html",
        {"summary": needs.summary(request.school, year), "year": year, "year_name": year_name(year),
         "years": [(y, year_name(y)) for y in years], "questions": BY_KEY, "levels": CONFIDENCE},
    )  # fmt: skip
