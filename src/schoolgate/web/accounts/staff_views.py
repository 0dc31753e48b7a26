"""Staff logins and roles at the current school, for the headteacher and the network manager."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.actions import (
    do_create_login,
    do_reset_second_step,
    do_set_password,
    do_set_roles,
    temporary_password,
    why_not_take_over,
)
from schoolgate.web.accounts.choices import CAPABILITIES, Capability, Role
from schoolgate.web.accounts.forms_staff import NewLoginForm, PasswordForm, ResetForm, RolesForm
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.core.access import StaffRequest, staff_view


def _logins(request: StaffRequest) -> QuerySet[User]:
    """The logins that hold a role at the current school: the only ones this page can reach."""
    here = Membership.objects.filter(school=request.school)
    return (
        User.objects.filter(memberships__school=request.school)
        .distinct()
        .prefetch_related(Prefetch("memberships", queryset=here, to_attr="roles_here"))
        .order_by("username")
    )


@staff_view(Capability.ACCOUNTS_MANAGE)
def list_view(request: StaffRequest) -> HttpResponse:
    users = list(_logins(request))
    with_app = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    rows = [(u, [m.get_role_display() for m in u.roles_here], u.pk in with_app) for u in users]  # type: ignore[attr-defined]
    return render(request, "accounts/staff_list.html", {"rows": rows})


@staff_view(Capability.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def new_view(request: StaffRequest) -> HttpResponse:
    form = NewLoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        password = temporary_password()
        user = do_create_login(
            request.school,
            username=form.cleaned_data["username"],
            display_name=form.cleaned_data["display_name"],
            email=form.cleaned_data["email"],
            roles=[Role(r) for r in form.cleaned_data["roles"]],
            password=password,
        )
        return render(request, "accounts/staff_created.html", {"login": user, "password": password})
    return render(request, "accounts/staff_new.html", {"form": form})


@staff_view(Capability.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def detail_view(request: StaffRequest, pk: int) -> HttpResponse:
    login = get_object_or_404(_logins(request), pk=pk)
    current = [m.role for m in login.roles_here]  # type: ignore[attr-defined]
    roles_form = RolesForm(request.POST if request.method == "POST" else None, initial={"roles": current})
    if request.method == "POST" and roles_form.is_valid():
        roles = [Role(r) for r in roles_form.cleaned_data["roles"]]
        keeps_managing = any(Capability.ACCOUNTS_MANAGE in CAPABILITIES[r] for r in roles)
        if login == request.user and not keeps_managing:
            roles_form.add_error("roles", "You cannot take away your own right to manage logins")
        else:
            do_set_roles(login, request.school, roles)
            messages.success(request, f"{login}'s roles are saved.")
            return redirect("accounts:staff-detail", pk=login.pk) if roles else redirect("accounts:staff")
    context = {
        "login": login,
        "roles_form": roles_form,
        "reset_form": ResetForm(),
        "password_form": PasswordForm(),
        "has_app": TOTPDevice.objects.filter(user=login, confirmed=True).exists(),
        "refused": why_not_take_over(request.user, login, request.school),
    }
    return render(request, "accounts/staff_detail.html", context)


@staff_view(Capability.ACCOUNTS_MANAGE)
@require_POST
def reset_view(request: StaffRequest, pk: int) -> HttpResponse:
    login = get_object_or_404(_logins(request), pk=pk)
    form = ResetForm(request.POST)
    refused = why_not_take_over(request.user, login, request.school)
    if refused:
        messages.error(request, f"The second step was not reset. {refused}.")
    elif form.is_valid():
        do_reset_second_step(login, request.school, form.cleaned_data["reason"])
        messages.success(request, f"{login} will set up their authenticator app again at their next login.")
    else:
        messages.error(request, "Say why the second step is being reset.")
    return redirect("accounts:staff-detail", pk=login.pk)


@staff_view(Capability.ACCOUNTS_MANAGE)
@require_POST
def password_view(request: StaffRequest, pk: int) -> HttpResponse:
    login = get_object_or_404(_logins(request), pk=pk)
    form = PasswordForm(request.POST, user=login)
    refused = why_not_take_over(request.user, login, request.school)
    if refused:
        messages.error(request, f"The password was not changed. {refused}.")
    elif form.is_valid():
        do_set_password(login, request.school, form.cleaned_data["password"])
        messages.success(request, f"{login}'s password is changed.")
    else:
        messages.error(
            request, " ".join(str(e) for e in form.errors.get("password", ["Not a usable password."]))
        )
    return redirect("accounts:staff-detail", pk=login.pk)
