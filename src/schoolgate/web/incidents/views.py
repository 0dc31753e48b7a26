"""The online safety log's pages. Incidents come through `Incident.objects.restrict` (one a user may
not see is not found, never forbidden); forms check the input; `actions` makes the changes and keeps
the rules (its refusals are shown on the form: `core.views.form_page`); every opening of a record is
written to the log of who looked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import ReasonForm, add_errors
from schoolgate.web.core.views import GET_POST, form_page, paginate, posted, render_page
from schoolgate.web.incidents import access, actions, expected, forms
from schoolgate.web.incidents.apps import ANY_INCIDENTS, IN_CHARGE
from schoolgate.web.incidents.choices import (
    NEXT,
    OPEN_STATES,
    EvidenceKind,
    IllegalStep,
    IncidentKind,
    Status,
)
from schoolgate.web.incidents.filters import SHOW, IncidentFilter, overdue_referrals
from schoolgate.web.incidents.models import (
    Evidence,
    Incident,
    IncidentQuerySet,
    Involvement,
    RecordView,
    Referral,
)
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import GuardianLink
from schoolgate.web.sanctions.matrix import ensure_matrix

T = TypeVar("T")

# The illegal-content route, as the page says it (the policy's steps).
ILLEGAL_STEPS_TEXT = (
    "Stop. Do not look at the content again, and do not show it to anyone.",
    "Do not copy, save, print, screenshot, forward or upload anything, or write down the web address.",
    "Isolate the device: leave it as it is (on or off, as you found it), and keep everyone away from it.",
    "Tell the DSL now. The DSL refers it to the police at once, and reports it to CEOP or the IWF.",
)


def _dealt_with(request: StaffRequest) -> IncidentQuerySet:
    """The incidents the user deals with at the school."""
    return Incident.objects.restrict(request.user, IN_CHARGE, request.school)


def _managed(request: StaffRequest, ref: str) -> Incident:
    """An incident the user deals with (others are not found)."""
    return get_object_or_404(_dealt_with(request), reference=ref)


def _visible(request: StaffRequest, ref: str) -> Incident:
    """An incident the log lists for the user: one they deal with, or one they reported."""
    listed = Incident.objects.restrict(request.user, Capability.INCIDENT_REPORT, request.school)
    return get_object_or_404(listed, reference=ref)


def _refused(request: StaffRequest, incident: Incident, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("incidents:detail", ref=incident.reference)


# ---------------------------------------------------------------------------------------------------------
# The log and reporting


@staff_view(ANY_INCIDENTS)
@GET_POST
def list_view(request: StaffRequest) -> HttpResponse:
    user, school = request.user, request.school
    in_charge = access.any_in_charge(user, school)
    listed: IncidentQuerySet = Incident.objects.restrict(user, Capability.INCIDENT_REPORT, school)
    filters = IncidentFilter(request.GET, listed, user=user, in_charge=in_charge)
    incidents = (
        filters.qs.select_related("reported_by")
        .annotate(overdue=overdue_referrals())
        .prefetch_related(Prefetch("involvements", queryset=Involvement.objects.order_by("role", "name")))
        .order_by("-reported_at", "-pk")
    )
    page = paginate(request, incidents)
    managed_ids = set(_dealt_with(request).filter(pk__in=[i.pk for i in page]).values_list("pk", flat=True))
    context = {
        "page": page,
        **filters.chosen(),
        "filters": SHOW if in_charge else (),
        "managed_ids": managed_ids,
        "in_charge": in_charge,
        "not_listed": not_listed(user.capabilities_by_school().get(school.pk, frozenset())),
    }
    return render_page(request, "incidents/list.html", context)


def not_listed(capabilities: frozenset[Capability]) -> str:
    """What the log does not list for someone of these capabilities, and where it goes instead. The
    same words whether or not there is any such concern."""
    if not any(c in capabilities for c in IN_CHARGE):
        return (
            "You see the concerns you reported, unless one turned out to be about you. The DSL team, the "
            "headteacher or the chair of governors deals with each, by whom it is about."
        )
    elsewhere = []
    if Capability.INCIDENT_MANAGE not in capabilities:
        elsewhere.append("concerns about pupils go to the DSL team")
    elif Capability.INCIDENT_RESTRICTED not in capabilities:
        elsewhere.append("restricted concerns about pupils go to the DSL and deputies")
    if Capability.ALLEGATIONS not in capabilities:
        elsewhere.append("concerns about members of staff go to the headteacher")
    if Capability.ALLEGATIONS_HEAD not in capabilities:
        elsewhere.append("concerns about the headteacher go to the chair of governors")
    said = "; ".join(elsewhere)
    listed = f"Not listed here: {said}. " if said else ""
    return listed + "A concern that names you goes to others, and you see it only if you reported it."


@staff_view(Capability.INCIDENT_REPORT)
@GET_POST
def report_view(request: StaffRequest) -> HttpResponse:
    ensure_matrix(request.school)
    offer = request.user.can(Capability.PEOPLE_VIEW, request.school)
    form = forms.ReportForm(posted(request), school=request.school, offer=offer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = actions.Report(
            kind=IncidentKind(data["kind"]),
            risk_area=data["risk_area"],
            incident_type=data["incident_type"],
            occurred_at=data["occurred_at"],
            location=data["location"],
            what_happened=data["what_happened"],
            childs_words=data["childs_words"],
            illegal_content=data.get("illegal_content") or "",
            misuse=data["misuse_row"],
            concerns_headteacher=data["concerns_headteacher"],
            people=tuple(form.parties),
        )
        try:
            incident = actions.do_report(request.school, actor=request.user, report=report)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"Thank you: your concern is recorded as incident {incident.reference}. "
                f"It has gone to {actions.routed_to(incident)}; you can add to it here.",
            )
            return redirect("incidents:detail", ref=incident.reference)
    context = {
        "form": form,
        "people_options": form.labels.options(),
        "steps": ILLEGAL_STEPS_TEXT,
        "misuse_expected": forms.misuse_expected(request.school),
    }
    return render_page(request, "incidents/report.html", context)


# ---------------------------------------------------------------------------------------------------------
# One incident


@staff_view(ANY_INCIDENTS)
@GET_POST
def detail_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _visible(request, ref)
    actions.record_view(incident, request.user, "record")
    involvements = list(incident.involvements.select_related("person").order_by("role", "name"))
    steps_done = {s.step: s for s in incident.illegal_steps.select_related("done_by")}
    illegal_steps = [(step, steps_done.get(step.value)) for step in IllegalStep]
    base: dict[str, Any] = {
        "incident": incident,
        "involvements": involvements,
        "illegal_steps": illegal_steps,
        "steps_text": ILLEGAL_STEPS_TEXT,
        # Whether a name was found on the school's records is said only to those who may see them.
        "can_see_people": request.user.can(Capability.PEOPLE_VIEW, request.school),
    }
    if not access.deals_with(request.user, incident):
        # The member of staff who reported it: what they wrote (and the people they named), where it
        # is, and room to add to it; nothing others found or wrote since.
        own_notes = incident.events.filter(by=request.user, kind="note").order_by("at", "pk")
        named = [i for i in involvements if i.added_by_id == request.user.pk]
        context = {**base, "involvements": named, "notes": own_notes, "form": forms.InformationForm()}
        return render_page(request, "incidents/reported.html", context)
    earlier = expected.earlier_sanctions(incident, request.user)
    today = timezone.localdate()
    referrals = list(incident.referrals.select_related("made_by"))
    context = {
        **base,
        "next_states": NEXT[Status(incident.status)],
        "is_open": incident.status in OPEN_STATES,
        "earlier": earlier,
        "expected": expected.expected_actions(incident, earlier),
        "taken": incident.actions_taken.select_related("action", "taken_by", "involvement"),
        "evidence": incident.evidence.select_related("added_by"),
        "referrals": [(r, r.is_overdue(today)) for r in referrals],
        "parents": incident.parent_contacts.select_related("told_by"),
        "events": incident.events.select_related("by"),
        "needs_two": actions.needs_two_seniors(incident),
        "seniors": (incident.senior_first, incident.senior_second),
        "problems": actions.close_problems(
            incident, outcome=incident.outcome or "resolved", reasons="x", not_referred_reason=""
        )
        if incident.status in OPEN_STATES
        else {},
        "move_form": forms.MoveForm(),
    }
    return render_page(request, "incidents/detail.html", context)


@staff_view(ANY_INCIDENTS)
@require_POST
def add_information_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _visible(request, ref)
    form = forms.InformationForm(request.POST)
    if form.is_valid():
        try:
            actions.do_add_information(incident, actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            return _refused(request, incident, error)
        messages.success(request, "Added to the record.")
    else:
        messages.error(request, "Write what you want to add.")
    return redirect("incidents:detail", ref=incident.reference)


@staff_view(IN_CHARGE)
@require_POST
def move_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose where the incident goes next.")
        return redirect("incidents:detail", ref=incident.reference)
    try:
        actions.do_move(
            incident, actor=request.user, to=Status(form.cleaned_data["to"]), note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        return _refused(request, incident, error)
    messages.success(request, f"{incident} is now {incident.get_status_display().lower()}.")
    return redirect("incidents:detail", ref=incident.reference)


def _seniors(incident: Incident) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__school_id=incident.school_id,
            memberships__role__in=sorted(actions.SENIOR_ROLES),
        )
        .distinct()
        .order_by("display_name", "username")
    )


def _incident_form(
    request: StaffRequest,
    incident: Incident,
    form: Any,
    act: Callable[[], T],
    *,
    said: str,
    title: str,
    button: str,
    intro: str = "",
    **more: Any,
) -> HttpResponse:
    """The shape of most of the log's pages: a form about one incident (`incidents/form.html`); sent and
    valid, the action; done, `said` and back to the incident; refused, what is wrong on the form."""

    def done(_: T) -> HttpResponse:
        messages.success(request, said)
        return redirect("incidents:detail", ref=incident.reference)

    context = {"incident": incident, "title": title, "button": button, "intro": intro, **more}
    return form_page(request, form, act, done=done, template="incidents/form.html", context=context)


def _gone_or_back(request: StaffRequest, incident: Incident, gone: str) -> HttpResponse:
    """After a change that may hand the incident to others: back to it, or (saying `gone`) to the log."""
    if access.deals_with(request.user, incident):
        return redirect("incidents:detail", ref=incident.reference)
    messages.info(request, gone)
    return redirect("incidents:list")


@staff_view(IN_CHARGE)
@GET_POST
def classify_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    initial = {
        "kind": incident.kind,
        "incident_type": incident.incident_type,
        "risk_area": incident.risk_area,
        "misuse": incident.misuse_id,
        "illegal_content": incident.illegal_content,
        "restricted": incident.restricted,
        "concerns_headteacher": incident.concerns_headteacher,
        "senior_first": incident.senior_first_id,
        "senior_second": incident.senior_second_id,
    }
    form = forms.ClassifyForm(
        posted(request), initial=initial, school=request.school, seniors=_seniors(incident),
        current_misuse=incident.misuse_id,
    )  # fmt: skip

    def change() -> Incident:
        data = form.cleaned_data
        classification = actions.Classification(
            kind=IncidentKind(data["kind"]),
            risk_area=data["risk_area"],
            incident_type=data["incident_type"],
            misuse=data["misuse_row"],
            restricted=data["restricted"],
            concerns_headteacher=data["concerns_headteacher"],
            illegal_content=data.get("illegal_content") or "",
            senior_first=data["senior_first_user"],
            senior_second=data["senior_second_user"],
        )
        return actions.do_classify(
            incident, actor=request.user, classification=classification, reason=data["reason"]
        )

    def done(_: Incident) -> HttpResponse:
        messages.success(request, f"{incident}'s details were changed.")
        return _gone_or_back(
            request, incident, f"{incident} is now dealt with by others: you no longer see it."
        )

    context = {
        "incident": incident, "title": "Change the details", "button": "Save the details",
        "misuse_expected": forms.misuse_expected(request.school),
    }  # fmt: skip
    return form_page(request, form, change, done=done, template="incidents/form.html", context=context)


@staff_view(IN_CHARGE)
@GET_POST
def person_add_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    form = forms.PersonAddForm(
        posted(request), school=request.school,
        offer=request.user.can(Capability.PEOPLE_VIEW, request.school),
    )  # fmt: skip

    def done(involvement: Involvement) -> HttpResponse:
        messages.success(request, f"{involvement.name} was added: {involvement.get_role_display().lower()}.")
        if access.named_in(request.user, incident):
            gone = f"{incident} names you, or someone of your name: others deal with it, and you no "
            gone += "longer see it."
        else:
            gone = f"{incident} has gone to {actions.routed_to(incident)}: you no longer see it."
        return _gone_or_back(request, incident, gone)

    context = {
        "incident": incident, "title": "Add a person", "button": "Add them",
        "intro": "Each person has their own part: adding someone changes no one else's.",
        "people_options": form.labels.options(),
    }  # fmt: skip
    return form_page(
        request, form,
        lambda: actions.do_add_person(incident, actor=request.user, party=form.cleaned_data["party"]),
        done=done, template="incidents/form.html", context=context,
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def note_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    form = forms.NoteForm(posted(request), initial={"decision": request.GET.get("decision") == "1"})
    return _incident_form(
        request, incident, form,
        lambda: actions.do_note(
            incident, actor=request.user, text=form.cleaned_data["text"],
            decision=form.cleaned_data["decision"],
        ),
        said="The note is in the chronology.", title="Add a note or decision",
        button="Add to the chronology",
        intro="A conversation, a phone call, a meeting, a decision and its reasons.",
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def action_add_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    ensure_matrix(request.school)
    initial = {}
    chosen = request.GET.get("action", "")
    if chosen.isascii() and chosen.isdigit():
        initial["action"] = int(chosen)
    form = forms.ActionForm(posted(request), initial=initial, incident=incident)
    taken: list[str] = []

    def take() -> object:
        data = form.cleaned_data
        action = form.actions.get(data["action"])
        if action is None:
            raise ValidationError({"action": "Choose an action"})
        about = form.involvements.get(data["involvement"]) if data["involvement"] is not None else None
        taken.append(action.name)
        return actions.do_take_action(
            incident, actor=request.user, action=action, involvement=about, taken_at=data["taken_at"],
            notes=data["notes"],
        )  # fmt: skip

    def done(_: object) -> HttpResponse:
        messages.success(request, f"Recorded: {taken[-1]}.")
        return redirect("incidents:detail", ref=incident.reference)

    context = {"incident": incident, "title": "Record an action taken", "button": "Record it"}
    return form_page(request, form, take, done=done, template="incidents/form.html", context=context)


@staff_view(ANY_INCIDENTS)
@require_POST
def illegal_step_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _visible(request, ref)
    form = forms.IllegalStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the step that was done.")
        return redirect("incidents:detail", ref=incident.reference)
    try:
        actions.do_illegal_step(incident, actor=request.user, step=IllegalStep(form.cleaned_data["step"]))
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, PermissionDenied):
            raise Http404 from error
        return _refused(request, incident, error)
    messages.success(request, "Recorded: " + IllegalStep(form.cleaned_data["step"]).label)
    return redirect("incidents:detail", ref=incident.reference)


def illegal_refusal(request: StaffRequest, incident: Incident) -> HttpResponse:
    """What a page says (with 403) when anything is sent for an incident on the illegal-content route."""
    context = {"incident": incident, "steps_text": ILLEGAL_STEPS_TEXT}
    return render_page(request, "incidents/illegal_refused.html", context, status=403)


@staff_view(IN_CHARGE)
@GET_POST
def evidence_add_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    if incident.illegal:
        # Refused before the form (and its file) is read: nothing of it reaches the server's disk.
        return illegal_refusal(request, incident)
    form = forms.EvidenceForm(posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and getattr(request, "upload_too_large", False):
        form.is_valid()
        form.add_error("file", f"The file is larger than {actions.EVIDENCE_MAX_BYTES // (1024 * 1024)} MB")

    def keep() -> object:
        data = form.cleaned_data
        upload = data.get("file")
        return actions.do_add_evidence(
            incident, actor=request.user, kind=EvidenceKind(data["kind"]), upload=upload,
            filename=upload.name if upload is not None else "", url=data["url"],
            description=data["description"],
        )  # fmt: skip

    return _incident_form(
        request, incident, form, keep, said="The evidence is kept with the incident.",
        title="Add evidence", button="Keep it",
        intro="Files are kept with their SHA-256 fingerprint, so that anyone can later check they are "
        "unchanged.",
        multipart=True,
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def evidence_file_view(request: StaffRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(
        Evidence.objects.filter(
            incident__in=_dealt_with(request),
            kind=EvidenceKind.FILE,
        ),
        pk=pk,
    )
    path = actions.evidence_path(evidence.sha256)
    if evidence.incident.illegal or not evidence.sha256 or not path.is_file():
        raise Http404("That file is not kept")
    actions.record_view(evidence.incident, request.user, f"evidence file {evidence.pk}")
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=evidence.original_name or f"evidence-{evidence.pk}",
        content_type=evidence.content_type or "application/octet-stream",
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)  # streamed: a file response is not an HttpResponse


@staff_view(IN_CHARGE)
@GET_POST
def referral_add_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    form = forms.ReferralForm(posted(request))

    def refer() -> object:
        data = form.cleaned_data
        return actions.do_refer(
            incident, actor=request.user, agency=data["agency"], reference=data["reference"],
            contact=data["contact"], due_on=data["due_on"], notes=data["notes"], made_at=data["made_at"],
        )  # fmt: skip

    return _incident_form(
        request, incident, form, refer, said="The referral is recorded.", title="Record a referral",
        button="Record the referral",
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def referral_answer_view(request: StaffRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(
        Referral.objects.filter(incident__in=_dealt_with(request)).select_related("incident"), pk=pk
    )
    form = forms.ReferralAnswerForm(posted(request))
    agency = referral.get_agency_display()
    return _incident_form(
        request, referral.incident, form,
        lambda: actions.do_referral_answer(referral, actor=request.user, **form.cleaned_data),
        said=f"{agency}'s answer is recorded.", title=f"{agency}'s answer", button="Record their answer",
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def parents_view(request: StaffRequest, ref: str) -> HttpResponse:
    """Parents and carers told (who, when, how), or the reason for not telling them."""
    incident = _managed(request, ref)
    children = [i.person_id for i in incident.involvements.all() if i.person_id is not None]
    links = GuardianLink.objects.filter(
        child_id__in=children, guardian__kind=PersonKind.PARENT
    ).select_related("guardian")
    parents = {link.guardian.full_name: link.guardian for link in links}
    # Which of the two forms was sent (a post that says neither is taken as the first).
    which = None
    if request.method == "POST":
        which = "not-told" if request.POST.get("form") == "not-told" else "told"
    told = forms.ParentsToldForm(request.POST if which == "told" else None, parents=parents, prefix="told")
    not_told = ReasonForm(
        request.POST if which == "not-told" else None, prefix="not", label="Why they are not told",
        help_text="For instance, where telling them could put the child at greater risk",
        initial={"reason": incident.parents_not_told_reason},
    )  # fmt: skip
    if which == "told" and told.is_valid():
        data = told.cleaned_data
        try:
            actions.do_tell_parents(
                incident, actor=request.user, name=data["name"], method=data["method"],
                guardian=data["guardian"], told_at=data["told_at"], notes=data["notes"],
            )  # fmt: skip
        except ValidationError as error:
            add_errors(told, error)
        else:
            messages.success(request, "Recorded that parents or carers were told.")
            return redirect("incidents:detail", ref=incident.reference)
    elif which == "not-told" and not_told.is_valid():
        try:
            actions.do_parents_not_told(incident, actor=request.user, reason=not_told.cleaned_data["reason"])
        except ValidationError as error:
            add_errors(not_told, error)
        else:
            messages.success(
                request, "The decision not to tell parents or carers is recorded, with its reason."
            )
            return redirect("incidents:detail", ref=incident.reference)
    context = {"incident": incident, "told": told, "not_told": not_told, "parents": sorted(parents)}
    return render_page(request, "incidents/parents.html", context)


@staff_view(IN_CHARGE)
@GET_POST
def close_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    form = forms.CloseForm(posted(request))
    if incident.referrals.exists():
        del form.fields["not_referred_reason"]
    return _incident_form(
        request, incident, form,
        lambda: actions.do_close(incident, actor=request.user, **form.cleaned_data),
        said=f"{incident} is closed.", title=f"Close {incident}", button="Close the incident",
        intro="Closing needs the outcome and its reasons; it can be reopened.",
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def reopen_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    form = ReasonForm(posted(request), label="Why reopen it?")
    return _incident_form(
        request, incident, form,
        lambda: actions.do_reopen(incident, actor=request.user, reason=form.cleaned_data["reason"]),
        said=f"{incident} is open again.", title=f"Reopen {incident}", button="Reopen it",
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def archive_view(request: StaffRequest, ref: str) -> HttpResponse:
    incident = _managed(request, ref)
    form = ReasonForm(
        posted(request), label="Why was it raised in error?",
        help_text="An archived record leaves the log's lists and reports. It is not deleted.",
    )  # fmt: skip
    return _incident_form(
        request, incident, form,
        lambda: actions.do_archive(incident, actor=request.user, reason=form.cleaned_data["reason"]),
        said=f"{incident} is archived.", title=f"Archive {incident}", button="Archive it",
        button_class="button-warning",
    )  # fmt: skip


@staff_view(IN_CHARGE)
@GET_POST
def looked_view(request: StaffRequest, ref: str) -> HttpResponse:
    """Who opened the record, when, and what they looked at."""
    incident = _managed(request, ref)
    views = RecordView.objects.filter(incident=incident).select_related("user")
    page = paginate(request, views, per_page=100)
    return render_page(request, "incidents/looked.html", {"incident": incident, "page": page})
