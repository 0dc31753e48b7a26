"""The requests pages: the list, one request (and its decision), "Request a site", the settings.

Requests come through `access.visible` (a teacher's own; every request for those who oversee or
decide): one the user may not open is not found, never forbidden. Every change goes through
`actions`, which check the permission again and refuse bad input with ValidationError, shown on the
form it came from; a decision by someone the school did not choose is refused (403) before any form
is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import add_errors
from schoolgate.web.core.views import GET_POST, form_page, paginate, posted, render_page, say_and_go
from schoolgate.web.filterrequests import access, actions
from schoolgate.web.filterrequests.apps import READERS
from schoolgate.web.filterrequests.choices import OPEN_STATES, RequestKind, RequestSource, RequestState
from schoolgate.web.filterrequests.forms import (
    ApproveForm,
    NewRequestForm,
    NoteForm,
    SettingsForm,
    TeachersForm,
    TeacherUnblockForm,
)
from schoolgate.web.filterrequests.models import ClassTeacher, FilterRequest, Grant
from schoolgate.web.people.models import ClassGroup
from schoolgate.web.policy.requests_section import reach

OPEN_FILTER = "open"
STATES = ((OPEN_FILTER, "Waiting (new or more asked)"), *RequestState.choices)
_OPEN_FIRST = Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1), output_field=IntegerField())
# Where "Request a site" was opened from (`?from=`): Test a URL and the block page's staff link.
SOURCES = {"test-url": RequestSource.TEST_URL, "block-page": RequestSource.STAFF_BLOCK_PAGE}
GIVEN_URL_MAX = actions.URL_MAX


# ---------------------------------------------------------------------------------------------------------
# The list


@dataclass(frozen=True)
class _Chosen:
    state: str
    kind: str
    mine: bool

    @classmethod
    def of(cls, request: StaffRequest) -> _Chosen:
        """The filters asked for; anything else is no filter."""
        state = request.GET.get("state", "")
        kind = request.GET.get("kind", "")
        return cls(
            state if state in dict(STATES) else "",
            kind if kind in RequestKind.values else "",
            request.GET.get("mine") == "1",
        )

    def apply(self, requests: QuerySet[FilterRequest], request: StaffRequest) -> QuerySet[FilterRequest]:
        if self.state == OPEN_FILTER:
            requests = requests.filter(state__in=OPEN_STATES)
        elif self.state:
            requests = requests.filter(state=self.state)
        if self.kind:
            requests = requests.filter(kind=self.kind)
        if self.mine:
            requests = requests.filter(asked_by=request.user)
        return requests


@staff_view(READERS)
def list_view(request: StaffRequest) -> HttpResponse:
    """Waiting requests first, then the rest, each latest first (by number)."""
    chosen = _Chosen.of(request)
    sees_all = access.sees_all(request.user, request.school)
    requests = (
        chosen.apply(access.visible(request.user, request.school), request)
        .select_related("asked_by", "asked_by_person", "for_person", "for_class", "for_group")
        .order_by(_OPEN_FIRST, "-number")
    )
    context = {
        "page": paginate(request, requests),
        "chosen": chosen,
        "states": STATES,
        "kinds": RequestKind.choices,
        "sees_all": sees_all,
    }
    return render_page(request, "filterrequests/list.html", context)


# ---------------------------------------------------------------------------------------------------------
# One request


def _request(request: StaffRequest, number: int) -> FilterRequest:
    return get_object_or_404(
        access.visible(request.user, request.school).select_related(
            "school",
            "asked_by",
            "asked_by_person",
            "for_person",
            "for_class",
            "for_group",
            "window",
            "decided_by",
            "version",
        ),
        number=number,
    )


def _in_force(req: FilterRequest) -> list[Grant]:
    now = timezone.now()
    return [g for g in req.grants.all() if g.ended_at is None and (g.expires is None or g.expires > now)]


def _reach_words(req: FilterRequest, chosen: dict[str, Any]) -> str:
    return reach(
        req.school,
        str(chosen["audience"]),
        person=chosen["person"],
        class_group=chosen["class_group"],
        group=chosen["group"],
    ).words


def _page(request: StaffRequest, req: FilterRequest, **forms: Any) -> HttpResponse:
    """The request's page, with the forms the user may use (those given bound, with their errors)."""
    may_decide = req.is_open and actions.may_decide(request.user, req)
    is_requester = req.asked_by_id == request.user.pk
    in_force = _in_force(req)
    context: dict[str, Any] = {
        "req": req,
        "notes": list(req.notes.select_related("by")),
        "grants": list(req.grants.select_related("made_by", "ended_by", "person", "class_group", "group")),
        "in_force": {g.pk for g in in_force},
        "may_decide": may_decide,
        "may_end": bool(in_force)
        and (actions.may_decide(request.user, req) or all(g.made_by_id == request.user.pk for g in in_force)),
        "is_requester": is_requester,
        "may_answer": is_requester and req.is_open,
        "sees_policy": request.user.can(Capability.POLICY_VIEW, request.school),
    }
    if may_decide:
        approve = forms.get("approve_form") or ApproveForm(request=req)
        context["approve_form"] = approve
        context["refuse_form"] = forms.get("refuse_form") or _refuse_form(None)
        context["more_form"] = forms.get("more_form") or _more_form(None)
        if "reach_words" in forms:
            context["reach_words"] = forms["reach_words"]
        else:
            context["reach_words"] = _reach_words(
                req,
                {
                    "audience": req.audience,
                    "person": req.for_person,
                    "class_group": req.for_class,
                    "group": req.for_group,
                },
            )
    if context["may_answer"]:
        context["answer_form"] = forms.get("answer_form") or _answer_form(None)
    if context["may_end"]:
        context["end_form"] = forms.get("end_form") or _end_form(None)
    for name, form in forms.items():
        # A refusal on a form the page no longer shows (the request was decided meanwhile): said at
        # the top of the page instead.
        if name.endswith("_form") and context.get(name) is not form:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
    return render_page(request, "filterrequests/request.html", context)


def _refuse_form(data: Any) -> NoteForm:
    return NoteForm(
        data, prefix="refuse", label="Why it is refused", required="Say why: the person who asked is told"
    )


def _more_form(data: Any) -> NoteForm:
    return NoteForm(
        data, prefix="more", label="What do you need to know?", required="Say what you need to know"
    )


def _answer_form(data: Any) -> NoteForm:
    return NoteForm(data, prefix="answer", label="Your answer", required="Write your answer")


def _end_form(data: Any) -> NoteForm:
    return NoteForm(data, prefix="end", label="Why it ends early", required="Say why it ends early")


@staff_view(READERS)
def request_view(request: StaffRequest, number: int) -> HttpResponse:
    """A request: who asked, for whom, what, how long, why, what the filter decided then and why, the
    conversation, the decision (or the form for it), what was written into the filter. The requester
    opening their decided request takes its "decided" mark away."""
    req = _request(request, number)
    if req.asked_by_id == request.user.pk:
        actions.mark_seen(req, actor=request.user)
    return _page(request, req)


def _decider(request: StaffRequest, req: FilterRequest) -> None:
    if not actions.may_decide(request.user, req):
        raise PermissionDenied(f"You may not decide request {req.number}: the school chose who decides it")


def _done(request: StaffRequest, req: FilterRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("filterrequests:request", number=req.number)


@staff_view(READERS)
@require_POST
def approve_view(request: StaffRequest, number: int) -> HttpResponse:
    """Approve (or, with "preview", only say whom it would reach)."""
    req = _request(request, number)
    _decider(request, req)
    form = ApproveForm(request.POST, request=req)
    if not form.is_valid():
        return _page(request, req, approve_form=form, reach_words="")
    chosen = form.chosen()
    if "preview" in request.POST:
        return _page(request, req, approve_form=form, reach_words=_reach_words(req, chosen))
    data = form.cleaned_data
    try:
        actions.do_approve(
            req,
            actor=request.user,
            **chosen,
            duration=data["duration"],
            expires=data.get("expires"),
            window=data.get("window"),
            whole_site=bool(data.get("whole_site", True)),
            reason=data.get("reason", ""),
        )
    except ValidationError as error:
        add_errors(form, error)
        return _page(request, req, approve_form=form, reach_words=_reach_words(req, chosen))
    return _done(
        request,
        req,
        f"Request {req.number} approved: the filter has it now, and the person who asked is told.",
    )


def _note_view(
    request: StaffRequest,
    req: FilterRequest,
    form: NoteForm,
    name: str,
    act: Any,
    message: str,
) -> HttpResponse:
    if form.is_valid():
        try:
            act(form.cleaned_data["text"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(request, req, message)
    return _page(request, req, **{name: form})


@staff_view(READERS)
@require_POST
def refuse_view(request: StaffRequest, number: int) -> HttpResponse:
    req = _request(request, number)
    _decider(request, req)
    return _note_view(
        request,
        req,
        _refuse_form(request.POST),
        "refuse_form",
        lambda text: actions.do_refuse(req, actor=request.user, reason=text),
        f"Request {req.number} refused: the person who asked is told why.",
    )


@staff_view(READERS)
@require_POST
def ask_more_view(request: StaffRequest, number: int) -> HttpResponse:
    req = _request(request, number)
    _decider(request, req)
    return _note_view(
        request,
        req,
        _more_form(request.POST),
        "more_form",
        lambda text: actions.do_ask_more(req, actor=request.user, question=text),
        "Asked: the request waits for their answer.",
    )


def _requester(request: StaffRequest, req: FilterRequest) -> None:
    if req.asked_by_id != request.user.pk:
        raise PermissionDenied("Only the person who asked may do this")


@staff_view(READERS)
@require_POST
def answer_view(request: StaffRequest, number: int) -> HttpResponse:
    req = _request(request, number)
    _requester(request, req)
    return _note_view(
        request,
        req,
        _answer_form(request.POST),
        "answer_form",
        lambda text: actions.do_answer(req, actor=request.user, text=text),
        "Answered: the request waits for a decision again.",
    )


@staff_view(READERS)
@require_POST
def withdraw_view(request: StaffRequest, number: int) -> HttpResponse:
    req = _request(request, number)
    _requester(request, req)
    try:
        actions.do_withdraw(req, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("filterrequests:request", number=req.number)
    return _done(request, req, f"Request {req.number} withdrawn.")


@staff_view(READERS)
@require_POST
def end_view(request: StaffRequest, number: int) -> HttpResponse:
    """End the request's grants in force now (its grant, as a request has one)."""
    req = _request(request, number)
    in_force = _in_force(req)
    if not in_force:
        messages.error(request, "Nothing of this request is in force: there is nothing to end.")
        return redirect("filterrequests:request", number=req.number)
    theirs = all(g.made_by_id == request.user.pk for g in in_force)
    if not theirs and not actions.may_decide(request.user, req):
        raise PermissionDenied(f"You may not end what request {req.number} wrote")
    form = _end_form(request.POST)

    def end(text: str) -> None:
        for grant in in_force:
            actions.do_end_grant(grant, actor=request.user, reason=text)

    return _note_view(
        request, req, form, "end_form", end, f"Request {req.number} ended: the filter no longer has it."
    )


# ---------------------------------------------------------------------------------------------------------
# Asking


def _taught(request: StaffRequest) -> QuerySet[ClassGroup]:
    taught = ClassTeacher.objects.filter(school=request.school, teacher=request.user).values("class_group")
    return ClassGroup.objects.filter(school=request.school, pk__in=taught).order_by("name")


def _unblock_form(request: StaffRequest, data: Any = None, url: str = "") -> TeacherUnblockForm | None:
    """The teacher's own lesson unblock, when the school allows it and the user teaches a class."""
    if not actions.settings_for(request.school).teachers_may_unblock:
        return None
    classes = _taught(request)
    if not classes.exists():
        return None
    return TeacherUnblockForm(data, classes=classes, initial={"url": url}, prefix="unblock")


def _given_url(request: StaffRequest) -> str:
    url = request.GET.get("url", "").strip()
    return url if len(url) <= GIVEN_URL_MAX else ""


@staff_view(Capability.REQUESTS_ASK)
@GET_POST
def new_view(request: StaffRequest) -> HttpResponse:
    """ "Request a site", prefilled from `?url=` (Test a URL, the block page's link for staff)."""
    url = _given_url(request)
    source = SOURCES.get(request.GET.get("from", ""), RequestSource.REQUEST_PAGE)
    form = NewRequestForm(posted(request), school=request.school, initial={"url": url})

    def ask() -> FilterRequest:
        data = form.cleaned_data
        return actions.do_ask(
            request.school,
            actor=request.user,
            kind=RequestKind(data["kind"]),
            source=source,
            url=data["url"],
            **form.chosen(),
            duration=data["duration"],
            expires=data.get("expires"),
            reason=data["reason"],
            whole_site=bool(data.get("whole_site")),
        )

    lesson = actions.settings_for(request.school).lesson_minutes
    return form_page(
        request,
        form,
        ask,
        done=say_and_go(
            request,
            lambda r: f"Request {r.number} made: you will be told the decision here and by e-mail.",
            lambda r: reverse("filterrequests:request", kwargs={"number": r.number}),
        ),
        template="filterrequests/new.html",
        context={"unblock_form": _unblock_form(request, url=url), "lesson_minutes": lesson},
    )


@staff_view(Capability.REQUESTS_ASK)
@require_POST
def teacher_unblock_view(request: StaffRequest) -> HttpResponse:
    """ "Unblock now for my class for one lesson": the school's setting, for a class the user teaches."""
    form = _unblock_form(request, request.POST)
    if form is None:
        raise PermissionDenied("The school does not let you unblock sites without approval")
    if form.is_valid():
        try:
            req = actions.do_teacher_unblock(
                request.school,
                actor=request.user,
                url=form.cleaned_data["url"],
                class_group=form.cleaned_data["class_group"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(
                request,
                req,
                f"Unblocked for {req.for_class} for one lesson. The DSL sees every unblock made this way.",
            )
    context = {
        "form": NewRequestForm(school=request.school),
        "unblock_form": form,
        "lesson_minutes": actions.settings_for(request.school).lesson_minutes,
    }
    return render_page(request, "filterrequests/new.html", context)


# ---------------------------------------------------------------------------------------------------------
# Settings


@staff_view(Capability.REQUESTS_SETTINGS)
@GET_POST
def settings_view(request: StaffRequest) -> HttpResponse:
    """Who may approve what, teachers' own lesson unblocks, how long a lesson is, who teaches which class."""
    row = actions.settings_for(request.school)
    form = SettingsForm(posted(request), instance=row)
    teachers: dict[int, list[str]] = {}
    for link in ClassTeacher.objects.filter(school=request.school).select_related("teacher"):
        teachers.setdefault(link.class_group_id, []).append(link.teacher.username)
    classes = [(c, teachers.get(c.pk, [])) for c in ClassGroup.objects.filter(school=request.school)]
    return form_page(
        request,
        form,
        lambda: actions.do_save_settings(form.instance, actor=request.user),
        done=say_and_go(request, lambda _: "Saved.", lambda _: reverse("filterrequests:settings")),
        template="filterrequests/settings.html",
        context={"classes": classes},
    )


@staff_view(Capability.REQUESTS_SETTINGS)
@GET_POST
def teachers_view(request: StaffRequest, pk: int) -> HttpResponse:
    """Who teaches one class (for teachers' own lesson unblocks)."""
    class_group = get_object_or_404(ClassGroup.objects.filter(school=request.school), pk=pk)
    current = ClassTeacher.objects.filter(class_group=class_group).values_list("teacher", flat=True)
    form = TeachersForm(posted(request), school=request.school, initial={"teachers": list(current)})
    return form_page(
        request,
        form,
        lambda: actions.do_set_teachers(class_group, list(form.cleaned_data["teachers"]), actor=request.user),
        done=say_and_go(
            request,
            lambda _: f"Saved who teaches {class_group}.",
            lambda _: reverse("filterrequests:settings"),
        ),
        template="filterrequests/teachers.html",
        context={"class_group": class_group},
    )


__all__ = [
    "answer_view",
    "approve_view",
    "ask_more_view",
    "end_view",
    "list_view",
    "new_view",
    "refuse_view",
    "request_view",
    "settings_view",
    "teacher_unblock_view",
    "teachers_view",
    "withdraw_view",
]
