"""Resetting a login: a one-time link e-mailed to the person's own address, never shown to whoever asked
for it; the person chooses their own password and sets up a new authenticator app."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import urlsplit

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import Settings

from schoolgate.web.accounts.models import AccessLink, User
from schoolgate.web.audit.models import AuditEntry
from tests.web.conftest import Mailbox, free_port
from tests.web.factories import PASSWORD, Cast
from tests.web.pages import code_for, device_for, logged_in

NEW = "a brand new passphrase of mine"
TOM = "tom@northfield.example"


def _address(user: User, address: str) -> None:
    user.email = address
    user.save(update_fields=["email"])


def _reset(client: Client, user: User) -> str:
    return client.post(f"/staff-logins/{user.pk}/reset/", follow=True).content.decode()


def _choose(client: Client, path: str, password: str = NEW) -> int:
    return client.post(path, {"password1": password, "password2": password}).status_code


def test_the_link_reaches_the_persons_address_and_never_the_managers_page(cast: Cast, smtp: Mailbox) -> None:
    _address(cast.tom, TOM)
    hana = logged_in(cast.hana)
    page = _reset(hana, cast.tom)
    link = smtp.link(TOM)
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    assert len(token) >= 40
    assert f"e-mailed to {TOM}" in page
    for seen in (
        page,
        hana.get(f"/staff-logins/{cast.tom.pk}/").content.decode(),
        hana.get("/audit/").content.decode(),
    ):
        assert token not in seen
    stored = AccessLink.objects.get(user=cast.tom)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only its hash is kept
    assert [rcpt for rcpt, _ in smtp.received] == [[TOM]]


def test_the_link_works_once_ends_other_sessions_and_sets_up_a_new_app(cast: Cast, smtp: Mailbox) -> None:
    _address(cast.tom, TOM)
    old_device = device_for(cast.tom)
    elsewhere = logged_in(cast.tom)  # tom, logged in on another computer
    _reset(logged_in(cast.hana), cast.tom)
    path = urlsplit(smtp.link(TOM)).path
    # Nothing changes until tom follows the link: a manager's click locks nobody out.
    cast.tom.refresh_from_db()
    assert cast.tom.check_password(PASSWORD) and TOTPDevice.objects.filter(pk=old_device.pk).exists()

    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and "tom" in page.content.decode()
    assert _choose(client, path, "password") == 200  # too common: the link still works
    response = client.post(path, {"password1": NEW, "password2": NEW})
    assert response.status_code == 302 and response["Location"].endswith("/login/set-up/")
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert elsewhere.get("/")["Location"].startswith("/login/")  # the other session has ended
    client.get("/login/set-up/")
    device = TOTPDevice.objects.get(user=cast.tom)
    response = client.post("/login/set-up/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    cast.tom.refresh_from_db()
    assert cast.tom.check_password(NEW)

    for again in (Client(), client):  # once only
        assert again.get(path).status_code == 410
        assert _choose(again, path, "another long passphrase") == 410
    cast.tom.refresh_from_db()
    assert cast.tom.check_password(NEW)
    reasons = list(AuditEntry.objects.filter(object_id=str(cast.tom.pk), object_type="accounts.user")
                   .values_list("reason", flat=True))  # fmt: skip
    assert any("link to choose a new password was e-mailed" in r for r in reasons)
    assert any("password chosen through a one-time link" in r for r in reasons)
    assert any("authenticator app set up" in r for r in reasons)


def test_a_link_expires_after_a_day(cast: Cast, smtp: Mailbox) -> None:
    _address(cast.tom, TOM)
    _reset(logged_in(cast.hana), cast.tom)
    path = urlsplit(smtp.link(TOM)).path
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        assert Client().get(path).status_code == 410
        assert _choose(Client(), path) == 410
    cast.tom.refresh_from_db()
    assert cast.tom.check_password(PASSWORD)


def test_a_newer_link_cancels_the_older_ones(cast: Cast, smtp: Mailbox) -> None:
    _address(cast.tom, TOM)
    hana = logged_in(cast.hana)
    _reset(hana, cast.tom)
    first = urlsplit(smtp.link(TOM)).path
    _reset(hana, cast.tom)
    second = urlsplit(smtp.link(TOM)).path
    assert first != second
    assert Client().get(first).status_code == 410
    assert Client().get(second).status_code == 200


def test_links_for_one_login_are_limited(cast: Cast, smtp: Mailbox) -> None:
    _address(cast.tom, TOM)
    hana = logged_in(cast.hana)
    for _ in range(3):
        _reset(hana, cast.tom)
    page = _reset(hana, cast.tom)
    assert "Three links were sent" in page and "e-mailed to" not in page
    assert len(smtp.to(TOM)) == 3
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=1)):
        assert "e-mailed to" in _reset(logged_in(cast.hana), cast.tom)
    assert len(smtp.to(TOM)) == 4


def test_nobody_resets_a_login_that_holds_a_role_they_cannot_give(cast: Cast, smtp: Mailbox) -> None:
    _address(cast.alice, "alice@northfield.example")
    _address(cast.hana, "hana@northfield.example")
    nina = logged_in(cast.nina)
    page = _reset(nina, cast.alice)
    assert "not reset" in page and "e-mailed" not in page
    assert "You cannot reset this login" in nina.get(f"/staff-logins/{cast.alice.pk}/").content.decode()
    assert "not reset" in _reset(logged_in(cast.hana), cast.hana)  # nor their own: "Change my password"
    assert "not reset" in _reset(logged_in(cast.alice), cast.hana)
    assert smtp.received == [] and not AccessLink.objects.exists()


def test_a_login_without_an_address_is_reset_by_the_servers_operator(cast: Cast, smtp: Mailbox) -> None:
    page = _reset(logged_in(cast.hana), cast.tom)
    assert "has no e-mail address" in page and "schoolgate web manage reset_link tom" in page
    assert smtp.received == [] and not AccessLink.objects.exists()


def test_without_email_set_up_nothing_promises_an_email(cast: Cast) -> None:
    _address(cast.tom, TOM)
    hana = logged_in(cast.hana)
    detail = hana.get(f"/staff-logins/{cast.tom.pk}/").content.decode()
    assert "E-mail is not set up" in detail
    page = _reset(hana, cast.tom)
    assert "e-mailed to" not in page and "not set up" in page
    assert not AccessLink.objects.exists()


def test_a_mail_server_that_does_not_answer_is_said_and_the_link_is_not_kept(
    cast: Cast, smtp: Mailbox, settings: Settings
) -> None:
    _address(cast.tom, TOM)
    settings.EMAIL_PORT = free_port()  # nothing listens there
    page = _reset(logged_in(cast.hana), cast.tom)
    assert "could not be sent" in page and "e-mailed to" not in page
    assert not AccessLink.objects.filter(used_at=None, cancelled_at=None).exists()


def test_no_page_changes_another_logins_address(cast: Cast) -> None:
    """The address is where a reset link goes: whoever could change it could send themselves the link."""
    _address(cast.tom, TOM)
    hana = logged_in(cast.hana)
    hana.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher"], "email": "hana@elsewhere.example"})
    hana.post(f"/staff-logins/{cast.tom.pk}/reset/", {"email": "hana@elsewhere.example"})
    cast.tom.refresh_from_db()
    assert cast.tom.email == TOM


def test_an_unknown_or_mangled_link_is_a_plain_page(cast: Cast) -> None:
    for path in ("/set-password/not-a-real-token/", "/set-password/" + "x" * 400 + "/"):
        response = Client().get(path)
        assert response.status_code == 410 and "no longer works" in response.content.decode()


def test_the_managers_set_password_and_reset_second_step_pages_are_gone(cast: Cast) -> None:
    """The pages through which the network manager took over the DSL's login."""
    device = device_for(cast.tom)
    nina = logged_in(cast.nina)
    nina.post(f"/staff-logins/{cast.tom.pk}/password/", {"password": "a much longer passphrase"})
    nina.post(f"/staff-logins/{cast.tom.pk}/reset-second-step/", {"reason": "lost phone"})
    cast.tom.refresh_from_db()
    assert cast.tom.check_password(PASSWORD) and TOTPDevice.objects.filter(pk=device.pk).exists()
    response = Client().post("/login/", {"username": "tom", "password": "a much longer passphrase"})
    assert response.status_code == 200  # refused: nobody logs in as tom with a password they chose


# -- a link outlives no change of roles --------------------------------------------------------------


def test_a_reset_link_sent_before_a_safeguarding_role_is_given_no_longer_works(
    cast: Cast, smtp: Mailbox
) -> None:
    """The network manager may reset a teacher; once the teacher is a DSL, the network manager could not,
    so a link sent before must not open the DSL's login (whoever has it sets up their own app)."""
    _address(cast.tom, TOM)
    _reset(logged_in(cast.nina), cast.tom)
    path = urlsplit(smtp.link(TOM)).path
    page = (
        logged_in(cast.hana)
        .post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "dsl"]}, follow=True)
        .content.decode()
    )
    assert "no longer works" in page and "send them a new one" in page
    client = Client()
    assert client.get(path).status_code == 410
    assert _choose(client, path) == 410
    cast.tom.refresh_from_db()
    assert cast.tom.check_password(PASSWORD) and not cast.tom.check_password(NEW)
    assert any(
        "cancelled" in r
        for r in AuditEntry.objects.filter(
            object_id=str(cast.tom.pk), object_type="accounts.user"
        ).values_list("reason", flat=True)
    )


def test_any_change_of_roles_cancels_an_open_invitation_and_a_new_link_works(
    cast: Cast, smtp: Mailbox
) -> None:
    nina = logged_in(cast.nina)
    nina.post(
        "/staff-logins/new/",
        {"username": "k.mensah", "display_name": "Kofi Mensah", "email": "kofi@northfield.example",
         "roles": ["teacher"]},
    )  # fmt: skip
    invitation = urlsplit(smtp.link("kofi@northfield.example")).path
    kofi = User.objects.get(username="k.mensah")
    hana = logged_in(cast.hana)
    hana.post(f"/staff-logins/{kofi.pk}/", {"roles": ["teacher", "online-safety"]})
    assert Client().get(invitation).status_code == 410
    _reset(hana, kofi)  # the headteacher may reset an online safety coordinator
    fresh = urlsplit(smtp.link("kofi@northfield.example")).path
    assert fresh != invitation and _choose(Client(), fresh) == 302


def test_a_link_is_not_cancelled_when_nothing_changes(cast: Cast, smtp: Mailbox) -> None:
    _address(cast.tom, TOM)
    hana = logged_in(cast.hana)
    _reset(hana, cast.tom)
    path = urlsplit(smtp.link(TOM)).path
    page = hana.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher"]}, follow=True).content.decode()
    assert "Nothing changed" in page and "no longer works" not in page
    assert Client().get(path).status_code == 200
