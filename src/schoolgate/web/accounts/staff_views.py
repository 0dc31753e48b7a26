"""Staff logins and roles at the current school, for those whose role gives some role (the headteacher,
the DSL, the network manager: `choices.GIVEN_BY`). Each page offers only what its user may do; the
actions check again, whatever is sent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts import links, mail, notices
from schoolgate.web.accounts.actions import (
    do_create_login,
    do_link_person,
    do_send_reset,
    do_set_roles,
    linkable_people,
)
from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.accounts.forms_staff import NewLoginForm, RolesForm
from schoolgate.web.accounts.grants import changeable_roles, givable_roles, why_not_reset
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import GET_POST
from schoolgate.web.people.models import Person


def _logins(request: StaffRequest) -> QuerySet[User]:
    """The logins that hold a role at the current school: the only ones this page can reach (through
    `restrict`: nothing for a user who may not manage logins here)."""
    here = Membership.objects.restrict(request.user, Capability.ACCOUNTS_MANAGE, request.school)
    return (
        User.objects.filter(memberships__in=here)
        .distinct()
        .prefetch_related(Prefetch("memberships", queryset=here, to_attr="roles_here"))
        .order_by("username")
    )


def _site(request: StaffRequest) -> str:
    """The address links in e-mails start with: SCHOOLGATE_URL, else this request's own (its host is
    one of SCHOOLGATE_ALLOWED_HOSTS: Django refuses any other)."""
    from django.conf import settings

    return settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")


@staff_view(Capability.ACCOUNTS_MANAGE)
def list_view(request: StaffRequest) -> HttpResponse:
    users = list(_logins(request))
    with_app = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    rows = [(u, [m.get_role_display() for m in u.roles_here], u.pk in with_app) for u in users]  # type: ignore[attr-defined]
    givable = [r.label for r in Role if r in givable_roles(request.user, request.school)]
    return render(request, "accounts/staff_list.html", {"rows": rows, "givable": givable})


@staff_view(Capability.ACCOUNTS_MANAGE)
@GET_POST
def new_view(request: StaffRequest) -> HttpResponse:
    givable = givable_roles(request.user, request.school)
    form = NewLoginForm(request.POST if request.method == "POST" else None, givable=givable)
    if request.method == "POST" and form.is_valid():
        try:
            created = do_create_login(
                request.school,
                username=form.cleaned_data["username"],
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                actor=request.user,
                site=_site(request),
            )
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            told = notices.told_words(created.told) if created.told is not None else ""
            hours = int(links.LIFETIME.total_seconds() // 3600)
            context = {"created": created, "told": told, "link_hours": hours}
            return render(request, "accounts/staff_created.html", context)
    return render(request, "accounts/staff_new.html", {"form": form})


@staff_view(Capability.ACCOUNTS_MANAGE)
@GET_POST
def detail_view(request: StaffRequest, pk: int) -> HttpResponse:
    login = get_object_or_404(_logins(request), pk=pk)
    current = {Role(m.role) for m in login.roles_here}  # type: ignore[attr-defined]
    changeable = changeable_roles(request.user, login, request.school)
    fixed = frozenset(Role) - changeable
    data = request.POST if request.method == "POST" else None
    roles_form = RolesForm(data, initial={"roles": [r.value for r in current]}, fixed=fixed, held=current)
    status = 200
    if request.method == "POST" and not changeable:
        roles_form.is_valid()
        own = login == request.user
        roles_form.add_error(
            None,
            "You cannot change your own roles." if own else "You cannot change any of this login's roles.",
        )
        status = 403
    elif request.method == "POST" and roles_form.is_valid():
        # The whole set the login is to have: the roles this user cannot change come with the form as
        # they are (hidden fields beside their disabled boxes), so a request that adds or leaves out one
        # of them is a change the action refuses.
        wanted = {Role(r) for r in roles_form.cleaned_data["roles"]}
        try:
            changed = do_set_roles(login, request.school, sorted(wanted), actor=request.user)
        except PermissionDenied as exc:
            roles_form.add_error(None, str(exc))
            status = 403
        else:
            said = f"{login}'s roles are saved." if changed.added or changed.removed else "Nothing changed."
            if changed.links_cancelled:
                said += (
                    " The link to choose a password they had not used yet no longer works: send them a new "
                    "one if they still need it."
                )
            if changed.told is not None:
                said += " " + notices.told_words(changed.told)
            messages.success(request, said)
            return redirect("accounts:staff-detail", pk=login.pk) if wanted else redirect("accounts:staff")
    context = {
        "login": login,
        "roles_form": roles_form,
        "own": login == request.user,
        "changeable": changeable,
        "kept": [r.value for r in Role if r in current & fixed],
        "has_app": TOTPDevice.objects.filter(user=login, confirmed=True).exists(),
        "refused": why_not_reset(request.user, login, request.school),
        "email_set_up": mail.set_up(),
        "linked": Person.objects.filter(user=login, school=request.school).first(),
        "linkable": linkable_people(login, request.school),
        "link_hours": int(links.LIFETIME.total_seconds() // 3600),
    }
    return render(request, "accounts/staff_detail.html", context, status=status)


@staff_view(Capability.ACCOUNTS_MANAGE)
@require_POST
def reset_view(request: StaffRequest, pk: int) -> HttpResponse:
    """E-mail the login's person a one-time link to choose a new password and set up their
    authenticator app again. The link goes to their own address only, and is never shown here."""
    login = get_object_or_404(_logins(request), pk=pk)
    try:
        sent = do_send_reset(login, request.school, actor=request.user, site=_site(request))
    except PermissionDenied as exc:
        messages.error(request, f"The login was not reset. {exc}.")
    else:
        if sent.sent:
            hours = int(links.LIFETIME.total_seconds() // 3600)
            messages.success(
                request,
                f"A link to choose a new password was e-mailed to {sent.to}. It works once, for {hours} "
                "hours; until it is used, their password and app work as before.",
            )
        else:
            messages.error(request, f"The login was not reset. {sent.why}.")
    return redirect("accounts:staff-detail", pk=login.pk)


@staff_view(Capability.ACCOUNTS_MANAGE)
@require_POST
def person_view(request: StaffRequest, pk: int) -> HttpResponse:
    """Link the login to its person's record in People, or take the link away (`do_link_person`)."""
    login = get_object_or_404(_logins(request), pk=pk)
    raw = request.POST.get("person", "").strip()
    chosen = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
    if raw and chosen is None:
        messages.error(request, "Choose their record from the list")
        return redirect("accounts:staff-detail", pk=login.pk)
    try:
        do_link_person(login, request.school, chosen, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("accounts:staff-detail", pk=login.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:staff-detail", pk=login.pk)
    done = "is linked to their record in People" if chosen else "is no longer linked to a record"
    messages.success(request, f"{login} {done}.")
    return redirect("accounts:staff-detail", pk=login.pk)
