"""Logging in: a password, then a code from an authenticator app (set up at the first login)."""

from __future__ import annotations

import base64
import math
import time
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts import links
from schoolgate.web.accounts.actions import (
    LinkGoneError,
    do_change_own_password,
    do_record_new_app,
    do_use_link,
)
from schoolgate.web.accounts.forms import (
    WRONG_PASSWORD,
    ChangePasswordForm,
    ChoosePasswordForm,
    CodeForm,
    PasswordForm,
)
from schoolgate.web.accounts.links import PENDING
from schoolgate.web.accounts.middleware import SESSION_KEY
from schoolgate.web.accounts.models import User
from schoolgate.web.accounts.throttle import clear_failures, locked_out, note_failure
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import acting_as, record
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import GET_POST

SETUP_DEVICE = "schoolgate_setup_device"  # the unconfirmed authenticator this session shows
PENDING_FOR_S = 5 * 60  # the code must follow the password within five minutes


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _next_url(request: HttpRequest, given: str | None) -> str:
    if given and url_has_allowed_host_and_scheme(given, {request.get_host()}, request.is_secure()):
        return given
    return reverse("core:home")


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_FOR_S:
        request.session.pop(PENDING, None)
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@sensitive_post_parameters("password")
@GET_POST
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():  # type: ignore[attr-defined]
        return redirect("core:home")
    form = PasswordForm(request.POST if request.method == "POST" else None)
    lockout = None
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        address = _address(request)
        lockout = locked_out(username, address)
        if lockout is None:
            user = auth.authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                note_failure(username, address)
                with acting_as(username or "unknown"):
                    record(AuditAction.LOGIN_FAILED, object_type="accounts.user", object_repr=username[:300],
                           reason=f"wrong user name or password, from {address}")  # fmt: skip
                form.add_error(None, "The user name or password is not right. Check them and try again.")
                lockout = locked_out(username, address)
            else:
                request.session[PENDING] = {
                    "user": user.pk,
                    "at": time.time(),
                    "next": request.GET.get("next"),
                }
                has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
                return redirect("accounts:code" if has_device else "accounts:setup")
    return render(
        request, "accounts/login.html", {"form": form, "lockout": lockout}, status=429 if lockout else 200
    )


def _check_code(device: TOTPDevice, form: CodeForm) -> bool:
    """Whether the form's code is the device's; django-otp makes a device wait a little longer after
    each wrong code (1 s, 2 s, 4 s, ...), which the form says."""
    allowed, why = device.verify_is_allowed()
    if not allowed:
        wait = ""
        until = (why or {}).get("locked_until")
        if until is not None:
            seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
            wait = f" {seconds} second{'s' if seconds != 1 else ''}"
        form.add_error("code", f"Several wrong codes in a row: wait{wait or ' a few seconds'} and try again.")
        return False
    return bool(device.verify_token(form.cleaned_data["code"]))


def _finish(request: HttpRequest, user: User, device: TOTPDevice) -> HttpResponse:
    pending = request.session.get(PENDING) or {}
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    request.session.pop(PENDING, None)
    clear_failures(user.get_username(), _address(request))
    with acting_as(user):
        record(AuditAction.LOGIN, obj=user, reason=f"password and code, from {_address(request)}")
    return HttpResponseRedirect(_next_url(request, pending.get("next")))


@GET_POST
def code_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect("accounts:setup")
    form = CodeForm(request.POST if request.method == "POST" else None)
    lockout = locked_out(user.get_username(), _address(request))
    if request.method == "POST" and lockout is None and form.is_valid():
        if _check_code(device, form):
            return _finish(request, user, device)
        note_failure(user.get_username(), _address(request), stage="code")
        if not form.errors:
            form.add_error("code", "That code is not right. Enter the code your app shows now.")
        lockout = locked_out(user.get_username(), _address(request))
    return render(
        request, "accounts/code.html", {"form": form, "lockout": lockout}, status=429 if lockout else 200
    )


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    text = image.to_string().decode()
    return text[text.index("<svg") :]


@GET_POST
def setup_view(request: HttpRequest) -> HttpResponse:
    """The first login: link an authenticator app by its QR code (or the key typed in), then prove it
    with a code."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:code")
    # A key of this browser's own: one shown to another session (whoever else knew a one-time
    # password, and opened this page first) is never shown again, nor can it be confirmed.
    device_id = request.session.get(SETUP_DEVICE)
    unconfirmed = TOTPDevice.objects.filter(user=user, confirmed=False)
    device = unconfirmed.filter(pk=device_id).first() if isinstance(device_id, int) else None
    if device is None:
        unconfirmed.delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        request.session[SETUP_DEVICE] = device.pk
    form = CodeForm(request.POST if request.method == "POST" else None)
    # The same count as the code's: a wrong code here is as much a guess as there.
    lockout = locked_out(user.get_username(), _address(request))
    if request.method == "POST" and lockout is None and form.is_valid():
        if _check_code(device, form):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            do_record_new_app(actor=user)
            return _finish(request, user, device)
        note_failure(user.get_username(), _address(request), stage="setup")
        if not form.errors:
            form.add_error(
                "code",
                "That code is not right. Check that the app shows Schoolgate and try the code it shows now.",
            )
        lockout = locked_out(user.get_username(), _address(request))
    key = base64.b32encode(device.bin_key).decode()
    context: dict[str, Any] = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "key_groups": [key[i : i + 4] for i in range(0, len(key), 4)],
        "username": user.get_username(),
        "lockout": lockout,
    }
    return render(request, "accounts/setup.html", context, status=429 if lockout else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(AuditAction.LOGOUT, obj=request.user)
    auth.logout(request)
    return redirect("accounts:login")


@staff_view()
@require_POST
def switch_school_view(request: StaffRequest) -> HttpResponse:
    try:
        wanted = int(request.POST.get("school", ""))
    except ValueError:
        wanted = 0
    if wanted in request.user.school_ids():
        request.session[SESSION_KEY] = wanted
    return redirect("core:home")


def _gone(request: HttpRequest) -> HttpResponse:
    hours = int(links.LIFETIME.total_seconds() // 3600)
    return render(request, "accounts/link_gone.html", {"link_hours": hours}, status=410)


@never_cache
@sensitive_post_parameters("password1", "password2")
@GET_POST
def link_view(request: HttpRequest, token: str) -> HttpResponse:
    """A one-time link from an e-mail (or from the server's operator): its person chooses a password,
    then sets up an authenticator app as at a first login. Whoever was logged in on this browser is
    logged out first."""
    link = links.find(token)
    if link is None:
        return _gone(request)
    form = ChoosePasswordForm(request.POST if request.method == "POST" else None, user=link.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = do_use_link(link, password=form.cleaned_data["password1"])
        except LinkGoneError:
            return _gone(request)
        auth.logout(request)
        request.session[PENDING] = {"user": user.pk, "at": time.time(), "next": None}
        return redirect("accounts:setup")
    return render(request, "accounts/link.html", {"form": form, "login": link.user, "link": link})


@staff_view()
@sensitive_post_parameters("current", "password1", "password2")
@GET_POST
def my_password_view(request: StaffRequest) -> HttpResponse:
    """Change my password: the current one, then the new one twice. Every other session of the login
    ends; this one carries on. A wrong current password counts as a failed login (`throttle`): whoever
    finds a computer left logged in must not try one password after another here."""
    user = request.user
    address = _address(request)
    form = ChangePasswordForm(request.POST if request.method == "POST" else None, user=user)
    lockout = locked_out(user.get_username(), address)
    if request.method == "POST" and lockout is None:
        if form.is_valid():
            keep = request.session.session_key
            do_change_own_password(user, password=form.cleaned_data["password1"], keep_session=keep)
            auth.update_session_auth_hash(request, user)
            messages.success(request, "Your password is changed. You are logged out everywhere else.")
            return redirect("core:home")
        if form.has_error("current", code=WRONG_PASSWORD):
            note_failure(user.get_username(), address, stage="current")
            record(AuditAction.LOGIN_FAILED, obj=user,
                   reason=f"wrong current password at Change my password, from {address}")  # fmt: skip
            lockout = locked_out(user.get_username(), address)
    context = {"form": form, "forced": user.must_change_password, "lockout": lockout}
    return render(request, "accounts/my_password.html", context, status=429 if lockout else 200)
