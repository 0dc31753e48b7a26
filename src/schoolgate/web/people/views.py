"""The people pages. Thin: records come through `restrict` (another school's are not found, never
forbidden), forms check the input, `actions` makes the changes, `importing` reads the MIS exports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import DatabaseError
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import GET_POST, form_page, paginate, posted, render_page, say_and_go
from schoolgate.web.people import actions
from schoolgate.web.people.choices import TEMPORARY_KINDS, IdentityKind, ImportStatus, PersonKind
from schoolgate.web.people.filters import IdentityFilter, PeopleFilter
from schoolgate.web.people.forms import (
    ArchiveForm,
    ClassForm,
    IdentityForm,
    LinkForm,
    PersonForm,
    UploadForm,
    YearGroupForm,
)
from schoolgate.web.people.models import (
    ClassGroup,
    GuardianLink,
    ImportBatch,
    ImportFile,
    NetworkIdentity,
    Person,
    PersonQuerySet,
    YearGroup,
)

KIND_HINTS = {
    PersonKind.PUPIL: "On roll at the school",
    PersonKind.STAFF: "Employed by the school, teaching or not",
    PersonKind.GOVERNOR: "On the governing board",
    PersonKind.VISITOR: "In school for a while: a volunteer, a speaker, a contractor",
    PersonKind.SUPPLY: "Covering for a while, from an agency or on their own",
    PersonKind.COMMUNITY: "Using the school's network out of hours: a club, a class, a letting",
    PersonKind.PARENT: "A parent or carer of a pupil",
}


def _people(request: StaffRequest, capability: Capability = Capability.PEOPLE_VIEW) -> PersonQuerySet:
    return Person.objects.restrict(request.user, capability, request.school)


# ---------------------------------------------------------------------------------------------------
# People


@staff_view(Capability.PEOPLE_VIEW)
@GET_POST
def list_view(request: StaffRequest) -> HttpResponse:
    filters = PeopleFilter(request.GET, _people(request), request=request)
    if filters.not_found():
        raise Http404("no such year group or class at this school")
    people = filters.qs
    people = people.select_related("year_group", "class_group").prefetch_related(
        Prefetch(
            "child_links",
            queryset=GuardianLink.objects.select_related("child").order_by("contact_order"),
            to_attr="children",
        )
    )
    context = {"page": paginate(request, people), "kinds": PersonKind.choices, **filters.chosen()}
    return render_page(request, "people/list.html", context)


@staff_view(Capability.PEOPLE_VIEW)
@GET_POST
def detail_view(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(_people(request).select_related("year_group", "class_group", "host"), pk=pk)
    context = {
        "person": person,
        "guardians": person.guardian_links.select_related("guardian").order_by("contact_order"),
        "children": person.child_links.select_related("child").order_by("child__last_name"),
        "identities": person.identities.order_by("kind", "value"),
        "visitors": person.visitors.filter(pk__in=_people(request).current().values("pk")),
        "expired": person.expires_at is not None and person.expires_at <= timezone.now(),
    }
    return render_page(request, "people/detail.html", context)


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def add_view(request: StaffRequest) -> HttpResponse:
    """Add a person: first who they are (?kind=), then the form for that kind."""
    kind = request.GET.get("kind", "")
    if kind not in PersonKind.values:
        kinds = [(value, label, KIND_HINTS[PersonKind(value)]) for value, label in PersonKind.choices]
        return render_page(
            request, "people/add_choose.html", {"kinds": kinds, "missing": "kind" in request.GET}
        )
    form = PersonForm(posted(request), kind=kind, school=request.school, user=request.user)

    return form_page(
        request,
        form,
        lambda: actions.do_save_person(form.save(commit=False), actor=request.user, link=form.link()),
        done=say_and_go(
            request,
            lambda person: f"{person.full_name} was added.",
            lambda person: reverse("people:detail", kwargs={"pk": person.pk}),
        ),
        template="people/person_form.html",
        context={"kind": PersonKind(kind), "person": None, "temporary": kind in TEMPORARY_KINDS},
    )


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(_people(request, Capability.PEOPLE_CHANGE), pk=pk)
    form = PersonForm(
        posted(request), instance=person, kind=person.kind, school=request.school, user=request.user
    )

    return form_page(
        request,
        form,
        lambda: actions.do_save_person(form.save(commit=False), actor=request.user),
        done=say_and_go(
            request,
            lambda saved: f"{saved.full_name}'s record was changed.",
            lambda saved: reverse("people:detail", kwargs={"pk": saved.pk}),
        ),
        template="people/person_form.html",
        context={"kind": PersonKind(person.kind), "person": person},
    )


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def archive_view(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(_people(request, Capability.PEOPLE_CHANGE), pk=pk)
    if person.archived_at is not None:
        messages.info(request, f"{person.full_name}'s record is archived already.")
        return redirect("people:detail", pk=person.pk)
    form = ArchiveForm(posted(request))

    def archived(_: Person) -> HttpResponse:
        messages.success(
            request, f"{person.full_name}'s record was archived. It stays here, out of the lists."
        )
        return redirect("people:detail", pk=person.pk)

    return form_page(
        request,
        form,
        lambda: actions.do_archive(person, actor=request.user, reason=form.cleaned_data["reason"]),
        done=archived,
        template="people/archive.html",
        context={"person": person},
    )


@staff_view(Capability.PEOPLE_CHANGE)
@require_POST
def restore_view(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(_people(request, Capability.PEOPLE_CHANGE), pk=pk)
    if person.archived_at is not None:
        actions.do_restore(person, actor=request.user)
        messages.success(request, f"{person.full_name} is back in the lists.")
    return redirect("people:detail", pk=person.pk)


# ---------------------------------------------------------------------------------------------------
# Parents and carers


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def link_add_view(request: StaffRequest, pk: int) -> HttpResponse:
    """Link a parent or carer to a child, from either's page."""
    person = get_object_or_404(
        _people(request, Capability.PEOPLE_CHANGE).filter(kind__in=(PersonKind.PUPIL, PersonKind.PARENT)),
        pk=pk,
    )
    link = GuardianLink(school=request.school)
    if person.kind == PersonKind.PUPIL:
        link.child = person
    else:
        link.guardian = person
    form = LinkForm(posted(request), instance=link, school=request.school, user=request.user, fixed=person)

    return form_page(
        request,
        form,
        lambda: actions.do_save_link(form.save(commit=False), actor=request.user),
        done=say_and_go(
            request,
            lambda saved: f"{saved.guardian} is linked to {saved.child}.",
            lambda saved: reverse("people:detail", kwargs={"pk": person.pk}),
        ),
        template="people/link_form.html",
        context={"person": person, "link": None},
    )


def _link(request: StaffRequest, pk: int) -> GuardianLink:
    links = GuardianLink.objects.restrict(request.user, Capability.PEOPLE_CHANGE, request.school)
    return get_object_or_404(links.select_related("child", "guardian"), pk=pk)


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def link_edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    form = LinkForm(posted(request), instance=link, school=request.school, user=request.user)

    return form_page(
        request,
        form,
        lambda: actions.do_save_link(form.save(commit=False), actor=request.user),
        done=say_and_go(
            request,
            lambda saved: f"The link between {saved.guardian} and {saved.child} was changed.",
            lambda saved: reverse("people:detail", kwargs={"pk": saved.child_id}),
        ),
        template="people/link_form.html",
        context={"person": link.child, "link": link},
    )


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def link_remove_view(request: StaffRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    if request.method == "POST":
        child = link.child
        actions.do_remove_link(link, actor=request.user)
        messages.success(request, f"{link.guardian} is no longer linked to {child}. Both records stay.")
        return redirect("people:detail", pk=child.pk)
    return render_page(request, "people/link_remove.html", {"link": link})


# ---------------------------------------------------------------------------------------------------
# Network identities


def _identities(request: StaffRequest, capability: Capability) -> QuerySet[NetworkIdentity]:
    return NetworkIdentity.objects.restrict(request.user, capability, request.school)


@staff_view(Capability.PEOPLE_VIEW)
@GET_POST
def identities_view(request: StaffRequest) -> HttpResponse:
    filters = IdentityFilter(
        request.GET, _identities(request, Capability.PEOPLE_VIEW).select_related("person"), request=request
    )
    identities = filters.qs
    page = paginate(request, identities.order_by("kind", "value"))
    context = {"page": page, "kinds": IdentityKind.choices, **filters.chosen()}
    return render_page(request, "people/identities.html", context)


@staff_view(Capability.IDENTITIES_CHANGE)
@GET_POST
def identity_add_view(request: StaffRequest) -> HttpResponse:
    """Add a network identity: a person's (?person=<pk>) or nobody's own."""
    person = None
    given = request.GET.get("person", "")
    if given:
        if not (given.isascii() and given.isdigit()):
            return redirect("people:identity-add")
        person = get_object_or_404(_people(request, Capability.IDENTITIES_CHANGE), pk=int(given))
    identity = NetworkIdentity(school=request.school, person=person)
    form = IdentityForm(
        posted(request), instance=identity, school=request.school, user=request.user, person=person
    )

    return form_page(
        request,
        form,
        lambda: actions.do_save_identity(form.save(commit=False), actor=request.user),
        done=say_and_go(
            request,
            lambda saved: f"{saved.get_kind_display()} {saved.value} was added.",
            _identity_back,
        ),
        template="people/identity_form.html",
        context={"person": person, "identity": None},
    )


def _identity_back(identity: NetworkIdentity) -> str:
    if identity.person_id:
        return reverse("people:detail", kwargs={"pk": identity.person_id})
    return reverse("people:identities")


@staff_view(Capability.IDENTITIES_CHANGE)
@GET_POST
def identity_edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    identity = get_object_or_404(
        _identities(request, Capability.IDENTITIES_CHANGE).select_related("person"), pk=pk
    )
    form = IdentityForm(posted(request), instance=identity, school=request.school, user=request.user)

    return form_page(
        request,
        form,
        lambda: actions.do_save_identity(form.save(commit=False), actor=request.user),
        done=say_and_go(
            request,
            lambda saved: f"{saved.get_kind_display()} {saved.value} was changed.",
            _identity_back,
        ),
        template="people/identity_form.html",
        context={"person": identity.person, "identity": identity},
    )


@staff_view(Capability.IDENTITIES_CHANGE)
@GET_POST
def identity_remove_view(request: StaffRequest, pk: int) -> HttpResponse:
    identity = get_object_or_404(
        _identities(request, Capability.IDENTITIES_CHANGE).select_related("person"), pk=pk
    )
    if request.method == "POST":
        back = _identity_back(identity)
        actions.do_remove_identity(identity, actor=request.user)
        messages.success(request, f"{identity.get_kind_display()} {identity.value} was removed.")
        return HttpResponseRedirect(back)
    return render_page(request, "people/identity_remove.html", {"identity": identity})


# ---------------------------------------------------------------------------------------------------
# Year groups and classes


@staff_view(Capability.PEOPLE_VIEW)
@GET_POST
def groups_view(request: StaffRequest) -> HttpResponse:
    years = YearGroup.objects.restrict(request.user, Capability.PEOPLE_VIEW, request.school)
    classes = ClassGroup.objects.restrict(request.user, Capability.PEOPLE_VIEW, request.school)
    pupils = _people(request).current().filter(kind=PersonKind.PUPIL).order_by()
    counts_by_year = {
        r["year_group_id"]: r["n"] for r in pupils.values("year_group_id").annotate(n=Count("pk"))
    }
    counts_by_class = {
        r["class_group_id"]: r["n"] for r in pupils.values("class_group_id").annotate(n=Count("pk"))
    }
    year_rows = [(y, counts_by_year.get(y.pk, 0)) for y in years.order_by("order", "name")]
    class_rows = [
        (c, counts_by_class.get(c.pk, 0))
        for c in classes.select_related("year_group").order_by("year_group__order", "name")
    ]
    return render_page(request, "people/groups.html", {"years": year_rows, "classes": class_rows})


def _group_form(request: StaffRequest, form: YearGroupForm | ClassForm, what: str, obj: Any) -> HttpResponse:

    def act() -> YearGroup | ClassGroup:
        saved = form.save(commit=False)
        if isinstance(saved, YearGroup):
            return actions.do_save_year_group(saved, actor=request.user)
        return actions.do_save_class(saved, actor=request.user)

    def saved(group: YearGroup | ClassGroup) -> HttpResponse:
        messages.success(request, f"{group} was {'changed' if obj is not None else 'added'}.")
        return redirect("people:groups")

    return form_page(
        request, form, act, done=saved, template="people/group_form.html", context={"what": what, "obj": obj}
    )


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def year_add_view(request: StaffRequest) -> HttpResponse:
    return _group_form(request, YearGroupForm(posted(request), school=request.school), "year group", None)


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def year_edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    year = get_object_or_404(
        YearGroup.objects.restrict(request.user, Capability.PEOPLE_CHANGE, request.school), pk=pk
    )
    form = YearGroupForm(posted(request), instance=year, school=request.school)
    return _group_form(request, form, "year group", year)


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def class_add_view(request: StaffRequest) -> HttpResponse:
    form = ClassForm(posted(request), school=request.school, user=request.user)
    return _group_form(request, form, "class", None)


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def class_edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(
        ClassGroup.objects.restrict(request.user, Capability.PEOPLE_CHANGE, request.school), pk=pk
    )
    form = ClassForm(posted(request), instance=group, school=request.school, user=request.user)
    return _group_form(request, form, "class", group)


# ---------------------------------------------------------------------------------------------------
# Importing from the MIS


def _batches(request: StaffRequest) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.restrict(request.user, Capability.PEOPLE_CHANGE, request.school)


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def import_view(request: StaffRequest) -> HttpResponse:
    """Upload the MIS exports; they are checked on the next page, and imported only when confirmed."""
    form = UploadForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        may_name=request.user.can(Capability.IDENTITIES_CHANGE, request.school.pk),
    )
    if request.method == "POST" and form.is_valid():
        batch = actions.do_upload(
            request.school, actor=request.user, files=form.files_to_keep(), usernames=form.username_setting()
        )
        return redirect("people:import-preview", pk=batch.pk)
    recent = _batches(request).select_related("uploaded_by").prefetch_related("files")[:10]
    return render_page(request, "people/import_upload.html", {"form": form, "recent": recent})


def _preview(request: StaffRequest, batch: ImportBatch, plan: Any, status: int = 200) -> HttpResponse:
    files = list(batch.files.all())
    earlier = (
        ImportFile.objects.restrict(request.user, Capability.PEOPLE_CHANGE, request.school)
        .filter(sha256__in=[f.sha256 for f in files], batch__status=ImportStatus.IMPORTED)
        .exclude(batch=batch)
        .select_related("batch", "batch__uploaded_by")
        .order_by("batch__imported_at")
    )
    same = {f.sha256: f for f in earlier}
    context = {
        "batch": batch,
        "plan": plan,
        "files": files,
        "imported_before": [same[f.sha256] for f in files if f.sha256 in same],
    }
    return render_page(request, "people/import_preview.html", context, status=status)


@staff_view(Capability.PEOPLE_CHANGE)
@GET_POST
def import_preview_view(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(_batches(request).select_related("uploaded_by", "school"), pk=pk)
    if actions.batch_expired(batch):
        actions.do_expire_batches(request.school, actor=request.user)
        batch.refresh_from_db()
    plan = actions.check_batch(batch, request.user) if batch.status == ImportStatus.CHECKED else None
    return _preview(request, batch, plan)


@staff_view(Capability.PEOPLE_CHANGE)
@require_POST
def import_confirm_view(request: StaffRequest, pk: int) -> HttpResponse:
    """Import a checked upload: checked again, then all of it or nothing."""
    batch = get_object_or_404(_batches(request).select_related("uploaded_by", "school"), pk=pk)
    try:
        outcome = actions.do_import(batch, actor=request.user)
    except DatabaseError:
        messages.error(
            request,
            "The import failed part way and nothing was imported (the school's records changed "
            "while it ran?). Check the files again below and confirm once more.",
        )
        return redirect("people:import-preview", pk=batch.pk)
    if outcome.plan is not None and not outcome.imported:
        return _preview(request, batch, outcome.plan, status=400)
    if outcome.imported:
        messages.success(request, outcome.message)
    else:
        messages.info(request, outcome.message)
    return redirect("people:import-preview", pk=batch.pk)
