"""The devices pages, under /devices/: the register (and one device: its access, approval, loans),
loans out, the BYOD table, and guest proxy logins with their printable slip.

Records come through `restricted` (another school's are not found: 404); every change goes through
`actions`, which check the capability again and refuse bad input with ValidationError, shown on the
page. A guest's password exists only in the response that shows the slip right after the login is
made: it is not stored, not put in a message or the address, and that response is not cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.agreements.models import AgreementVersion, audience_of
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import ReasonForm, add_errors
from schoolgate.web.core.models import ArchivableQuerySet
from schoolgate.web.core.views import (
    GET_POST,
    form_page,
    get_restricted,
    paginate,
    posted,
    render_page,
    say_and_go,
)
from schoolgate.web.devices import actions, guests
from schoolgate.web.devices.choices import SCHOOL_OWNED, UNFILTERED, Approval, DeviceKind
from schoolgate.web.devices.forms import ByodForm, DeviceForm, GuestLoginForm, LoanForm, ReturnForm
from schoolgate.web.devices.models import ByodRule, Device, GuestLogin, Loan
from schoolgate.web.people.choices import TEMPORARY_KINDS
from schoolgate.web.people.models import Person

SEARCH_MAX = 100
STATES = (("waiting", "Waiting for approval"), ("archived", "Archived"))


# ---------------------------------------------------------------------------------------------------------
# The register


def _devices(request: StaffRequest) -> ArchivableQuerySet[Device]:
    return Device.objects.restrict(request.user, Capability.DEVICES_VIEW, request.school).select_related(
        "owner", "class_group", "identity"
    )


@staff_view(Capability.DEVICES_VIEW)
def list_view(request: StaffRequest) -> HttpResponse:
    """Every device on the register, by name, with the access its row of the table gives it; filtered
    by whose it is, by a word (name, asset tag, serial, owner), by a person, or to those waiting for
    approval."""
    table = actions.byod_table(request.school)
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    words = request.GET.get("q", "")[:SEARCH_MAX].strip()
    devices = _devices(request)
    devices = devices.archived() if state == "archived" else devices.unarchived()
    if kind in DeviceKind.values:
        devices = devices.filter(kind=kind)
    else:
        kind = ""
    owner = request.GET.get("owner", "")
    if owner.isdigit() and len(owner) < 12:
        devices = devices.filter(owner_id=int(owner))
    else:
        owner = ""
    if words:
        devices = devices.filter(
            Q(label__icontains=words)
            | Q(asset_tag__icontains=words)
            | Q(serial__icontains=words)
            | Q(owner__last_name__icontains=words)
            | Q(owner__first_name__icontains=words)
            | Q(identity__value__icontains=words)
        )
    if state == "waiting":
        devices = devices.filter(_waiting(table))
    page = paginate(request, devices.order_by("label", "pk"))
    rows = [(device, device.access_under(table[DeviceKind(device.kind)])) for device in page]
    out = Loan.objects.restrict(request.user, Capability.DEVICES_VIEW, request.school).out()
    context = {
        "page": page,
        "rows": rows,
        "kinds": DeviceKind.choices,
        "states": STATES,
        "chosen": {"kind": kind, "state": state, "q": words, "owner": owner},
        "loans_out": out.count(),
        "unfiltered_out": out.filter(device__off_site__in=UNFILTERED).count(),
    }
    return render_page(request, "devices/list.html", context)


def _waiting(table: dict[DeviceKind, ByodRule]) -> Q:
    """Devices whose row asks for an approval they have not had (for that row's level)."""
    waiting = Q(pk__in=[])
    for kind, rule in table.items():
        if rule.allowed and rule.approval != Approval.NONE:
            waiting |= Q(kind=kind) & ~Q(approved_as=rule.approval)
    return waiting


def _may_add_identity(request: StaffRequest) -> bool:
    return request.user.can(Capability.IDENTITIES_CHANGE, request.school)


def _device_form_page(request: StaffRequest, device: Device, template: str) -> HttpResponse:
    may_add = _may_add_identity(request)
    form = DeviceForm(posted(request), instance=device, school=request.school, may_add_identity=may_add)
    return form_page(
        request,
        form,
        lambda: actions.do_save_device(form.instance, actor=request.user, new_identity=form.new_identity()),
        done=say_and_go(
            request, lambda d: f"{d} is on the register.", lambda d: reverse("devices:device", args=[d.pk])
        ),
        template=template,
        context={"device": device, "may_add_identity": may_add, "table": actions.byod_table(request.school)},
    )


@staff_view(Capability.DEVICES_CHANGE)
@GET_POST
def add_view(request: StaffRequest) -> HttpResponse:
    return _device_form_page(request, Device(school=request.school), "devices/edit.html")


@staff_view(Capability.DEVICES_CHANGE)
@GET_POST
def edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    device = get_restricted(Device, request, Capability.DEVICES_CHANGE, pk=pk)
    return _device_form_page(request, device, "devices/edit.html")


@staff_view(Capability.DEVICES_VIEW)
def device_view(request: StaffRequest, pk: int) -> HttpResponse:
    """One device: what it is, whose, its network identity, the access its row gives it (and the
    approval it waits for, with the button for those who may give it), its loans."""
    device = get_restricted(
        _devices(request).select_related("added_by", "approved_by"), request, Capability.DEVICES_VIEW, pk=pk
    )
    rule = actions.byod_table(request.school)[DeviceKind(device.kind)]
    access = device.access_under(rule)
    approver = actions.APPROVER.get(access.waiting_for)
    may_approve = (
        approver is not None
        and request.user.can(approver, request.school)
        and device.added_by_id != request.user.pk
        and not (device.owner is not None and device.owner.user_id == request.user.pk)
    )
    loans = device.loans.select_related("person").order_by("-out_on", "-pk")[:50]
    context = {
        "device": device,
        "rule": rule,
        "access": access,
        "may_approve": may_approve,
        "loans": loans,
        "lendable": DeviceKind(device.kind) in SCHOOL_OWNED and not device.is_archived,
        "unfiltered": device.off_site in UNFILTERED,
        "today": timezone.localdate(),
    }
    return render_page(request, "devices/device.html", context)


@staff_view((Capability.BYOD_APPROVE_SLT, Capability.BYOD_APPROVE_NM))
@require_POST
def approve_view(request: StaffRequest, pk: int) -> HttpResponse:
    holds = Capability.BYOD_APPROVE_SLT
    if not request.user.can(holds, request.school):
        holds = Capability.BYOD_APPROVE_NM
    device = get_restricted(Device, request, holds, pk=pk)
    try:
        actions.do_approve_device(device, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{device} is approved.")
    if request.user.can(Capability.DEVICES_VIEW, request.school):
        return redirect("devices:device", pk=device.pk)
    return redirect("devices:list")


@staff_view(Capability.DEVICES_CHANGE)
@GET_POST
def archive_view(request: StaffRequest, pk: int) -> HttpResponse:
    device = get_restricted(Device, request, Capability.DEVICES_CHANGE, pk=pk)
    form = ReasonForm(
        posted(request),
        label="Why is it leaving the register?",
        help_text="For example: sold, broken beyond repair, the pupil has left with it",
        max_length=300,
    )
    return form_page(
        request,
        form,
        lambda: actions.do_archive_device(device, actor=request.user, reason=form.cleaned_data["reason"]),
        done=say_and_go(
            request, lambda d: f"{d} is archived: kept, off the register.", lambda d: reverse("devices:list")
        ),
        template="devices/archive.html",
        context={"device": device},
    )


# ---------------------------------------------------------------------------------------------------------
# Loans


@staff_view(Capability.DEVICES_CHANGE)
@GET_POST
def lend_view(request: StaffRequest, pk: int) -> HttpResponse:
    device = get_restricted(Device, request, Capability.DEVICES_CHANGE, pk=pk)
    form = LoanForm(posted(request), school=request.school)
    return form_page(
        request,
        form,
        lambda: actions.do_lend(
            device,
            form.cleaned_data["person"],
            actor=request.user,
            out_on=form.cleaned_data["out_on"],
            due_back=form.cleaned_data["due_back"],
            note=form.cleaned_data["note"],
        ),
        done=say_and_go(
            request,
            lambda loan: f"{loan.device} is lent to {loan.person}.",
            lambda loan: reverse("devices:device", args=[loan.device_id]),
        ),
        template="devices/lend.html",
        context={"device": device, "unfiltered": device.off_site in UNFILTERED},
    )


@staff_view(Capability.DEVICES_VIEW)
def loans_view(request: StaffRequest) -> HttpResponse:
    """Devices out on loan: those recorded as not filtered off site (or not recorded) first, then the
    overdue, then by when they are due back."""
    out = (
        Loan.objects.restrict(request.user, Capability.DEVICES_VIEW, request.school)
        .out()
        .select_related("device", "person")
        .order_by("due_back", "pk")
    )
    today = timezone.localdate()
    loans = sorted(out, key=lambda loan: (loan.device.off_site not in UNFILTERED, not loan.overdue(today)))
    context = {"loans": loans, "today": today, "unfiltered": UNFILTERED}
    return render_page(request, "devices/loans.html", context)


@staff_view(Capability.DEVICES_CHANGE)
@GET_POST
def return_view(request: StaffRequest, pk: int) -> HttpResponse:
    loan = get_restricted(
        Loan.objects.select_related("device", "person"), request, Capability.DEVICES_CHANGE, pk=pk
    )
    form = ReturnForm(posted(request))
    return form_page(
        request,
        form,
        lambda: actions.do_return(loan, actor=request.user, on=form.cleaned_data["on"]),
        done=say_and_go(
            request,
            lambda loan: f"{loan.device} is back.",
            lambda loan: reverse("devices:device", args=[loan.device_id]),
        ),
        template="devices/return.html",
        context={"loan": loan},
    )


# ---------------------------------------------------------------------------------------------------------
# The BYOD table


@staff_view((Capability.DEVICES_VIEW, Capability.BYOD_CHANGE))
@GET_POST
def byod_view(request: StaffRequest) -> HttpResponse:
    """The table, for all who see the register; a form for those who may change it."""
    table = actions.byod_table(request.school)
    may_change = request.user.can(Capability.BYOD_CHANGE, request.school)
    if request.method == "POST" and not may_change:
        raise PermissionDenied("Only the network manager and the headteacher change the BYOD table")
    form = ByodForm(posted(request), table=table)

    def change() -> int:
        rows = {kind: actions.Row(*row) for kind, row in form.chosen().items()}
        return actions.do_set_byod(request.school, rows, actor=request.user)

    # restricted: nothing for one who changes the table without seeing the register
    counts = dict(
        Device.objects.restrict(request.user, Capability.DEVICES_VIEW, request.school)
        .unarchived()
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    lines = [(*row, counts.get(row[0].value, 0)) for row in form.rows]
    return form_page(
        request,
        form,
        change,
        done=say_and_go(
            request,
            lambda n: f"The BYOD table is saved ({n} row{'s' if n != 1 else ''} changed).",
            lambda _: reverse("devices:byod"),
        ),
        template="devices/byod.html",
        context={"table": table, "may_change": may_change, "lines": lines},
    )


# ---------------------------------------------------------------------------------------------------------
# Guest logins


def _agreement_for(request: StaffRequest, person: Person) -> AgreementVersion | None:
    """The agreement in force today for the guest, as the agreements app and the proxy see it
    (`audience_of`): the staff one for supply staff, the visitors' one for visitors and community users."""
    audience = audience_of(person)
    if audience is None:
        return None
    return AgreementVersion.objects.filter(school=request.school).in_force(audience, timezone.localdate())


@staff_view(Capability.GUEST_LOGINS)
def guests_view(request: StaffRequest) -> HttpResponse:
    """The guest logins in use, the visitors, supply staff and community users here now without one,
    and the last logins ended."""
    logins = GuestLogin.objects.restrict(
        request.user, Capability.GUEST_LOGINS, request.school
    ).select_related("person", "made_by")
    active = list(logins.active().order_by("until"))
    with_login = {login.person_id for login in active}
    waiting = (
        Person.objects.filter(school=request.school, kind__in=TEMPORARY_KINDS)
        .current()
        .exclude(pk__in=with_login)
        .order_by("expires_at", "last_name")[:200]
    )
    ended = logins.exclude(removed_at=None).order_by("-removed_at")[:20]
    context = {
        "active": active,
        "waiting": waiting,
        "ended": ended,
        "file_set_up": guests.password_file() is not None,
        "now": timezone.now(),
    }
    return render_page(request, "devices/guests.html", context)


@staff_view(Capability.GUEST_LOGINS)
@GET_POST
def guest_new_view(request: StaffRequest, pk: int) -> HttpResponse:
    """Make a guest's login; the response to it is the slip, the only time the password is shown."""
    person = get_restricted(
        Person.objects.filter(kind__in=TEMPORARY_KINDS), request, Capability.GUEST_LOGINS, pk=pk
    )
    form = GuestLoginForm(posted(request), person=person)
    file_set_up = guests.password_file() is not None
    if request.method == "POST" and file_set_up and form.is_valid():
        try:
            login, password = actions.do_give_guest_login(
                person, actor=request.user, until=form.cleaned_data["until"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            response = _slip(request, login, password)
            add_never_cache_headers(response)
            return response
    context = {"person": person, "form": form, "file_set_up": file_set_up}
    return render_page(request, "devices/guest_new.html", context)


def _slip(request: StaffRequest, login: GuestLogin, password: str | None) -> HttpResponse:
    context: dict[str, Any] = {
        "login": login,
        "password": password,
        "agreement": _agreement_for(request, login.person),
        "ended": login.removed_at is not None or login.until <= timezone.now(),
    }
    return render_page(request, "devices/slip.html", context)


@staff_view(Capability.GUEST_LOGINS)
def guest_view(request: StaffRequest, pk: int) -> HttpResponse:
    """A login's record and its slip again, without the password (never kept)."""
    login = get_restricted(
        GuestLogin.objects.select_related("person", "made_by", "removed_by"),
        request,
        Capability.GUEST_LOGINS,
        pk=pk,
    )
    return _slip(request, login, None)


@staff_view(Capability.GUEST_LOGINS)
@require_POST
def guest_end_view(request: StaffRequest, pk: int) -> HttpResponse:
    login = get_restricted(
        GuestLogin.objects.select_related("person"), request, Capability.GUEST_LOGINS, pk=pk
    )
    try:
        actions.do_end_guest_login(login, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"{login.person}'s login {login.username} has ended: the proxy no longer takes it."
        )
    return redirect("devices:guest", pk=login.pk)
