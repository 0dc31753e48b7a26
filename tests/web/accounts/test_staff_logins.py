"""Giving staff logins and roles, resetting a lost phone, and taking access away (the grant matrix
itself: tests/web/accounts/test_roles.py; reset links: tests/web/accounts/test_links.py)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.audit.models import AuditEntry
from tests.web.conftest import Mailbox
from tests.web.factories import Cast
from tests.web.pages import device_for, logged_in


def test_the_headteacher_gives_a_new_teacher_a_login(cast: Cast) -> None:
    client = logged_in(cast.hana)
    page = client.post(
        "/staff-logins/new/",
        {
            "username": "K.Mensah",
            "display_name": "Kofi Mensah",
            "email": "",
            "roles": ["teacher", "deputy-dsl"],
        },
    ).content.decode()
    password = re.search(r'data-testid="one-time-password">([^<]+)<', page)
    assert password is not None
    user = User.objects.get(username="k.mensah")
    assert sorted(Membership.objects.filter(user=user).values_list("role", flat=True)) == [
        "deputy-dsl",
        "teacher",
    ]
    response = Client().post("/login/", {"username": "k.mensah", "password": password.group(1)})
    assert response["Location"].endswith("/login/set-up/")  # the new login sets up its app first
    assert (
        AuditEntry.objects.filter(object_type="accounts.membership", action="create", actor=cast.hana).count()
        == 2
    )


def test_a_taken_user_name_is_refused(cast: Cast) -> None:
    page = logged_in(cast.nina).post(
        "/staff-logins/new/", {"username": "zack", "display_name": "Z", "roles": ["teacher"]}
    )
    assert "That user name is taken" in page.content.decode()


def test_roles_are_changed_and_access_taken_away(cast: Cast) -> None:
    client = logged_in(cast.hana)
    client.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "slt"]})
    assert set(Membership.objects.filter(user=cast.tom).values_list("role", flat=True)) == {"teacher", "slt"}
    tom = logged_in(cast.tom)
    client.post(f"/staff-logins/{cast.tom.pk}/", {})  # no role left
    assert not Membership.objects.filter(user=cast.tom).exists()
    assert tom.get("/people/").status_code == 403
    deleted = AuditEntry.objects.filter(object_type="accounts.membership", action="delete")
    assert deleted.count() == 2 and all(e.actor == cast.hana for e in deleted)


def test_nobody_takes_away_their_own_right_to_manage_logins(cast: Cast) -> None:
    response = logged_in(cast.hana).post(f"/staff-logins/{cast.hana.pk}/", {"roles": ["teacher"]})
    assert response.status_code == 403 and "cannot change your own roles" in response.content.decode()
    assert Membership.objects.filter(user=cast.hana, role="headteacher").exists()


def test_a_lost_phone_is_reset_by_a_link_to_the_persons_own_address(cast: Cast, smtp: Mailbox) -> None:
    device = device_for(cast.tom)
    cast.tom.email = "tom@northfield.example"
    cast.tom.save(update_fields=["email"])
    logged_in(cast.nina).post(f"/staff-logins/{cast.tom.pk}/reset/")
    assert TOTPDevice.objects.filter(pk=device.pk).exists()  # until tom follows the link
    client = Client()
    path = urlsplit(smtp.link("tom@northfield.example")).path
    response = client.post(
        path, {"password1": "a much longer passphrase", "password2": "a much longer passphrase"}
    )
    assert response["Location"].endswith("/login/set-up/")
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(cast.tom.pk)).last()
    assert entry is not None and entry.actor == cast.tom and "one-time link" in entry.reason
    assert entry.school == cast.a and "argon2" not in str(entry.before) + str(entry.after)


def test_logins_of_another_school_are_not_found(cast: Cast) -> None:
    client = logged_in(cast.hana)
    assert client.get(f"/staff-logins/{cast.zack.pk}/").status_code == 404
    assert "zack" not in client.get("/staff-logins/").content.decode()


def test_nobody_takes_over_a_login_that_can_do_more_than_they_can(cast: Cast, smtp: Mailbox) -> None:
    device_for(cast.alice)
    cast.alice.email = "alice@northfield.example"
    cast.alice.save(update_fields=["email"])
    client = logged_in(cast.nina)  # the network manager cannot give the DSL role
    page = client.get(f"/staff-logins/{cast.alice.pk}/").content.decode()
    assert "You cannot reset this login" in page
    client.post(f"/staff-logins/{cast.alice.pk}/reset/")
    assert smtp.received == []


def test_nobody_takes_over_a_login_that_has_a_role_at_another_school(cast: Cast, smtp: Mailbox) -> None:
    Membership.objects.create(user=cast.tom, school=cast.b, role="teacher")
    cast.tom.email = "tom@northfield.example"
    cast.tom.save(update_fields=["email"])
    page = logged_in(cast.hana).post(f"/staff-logins/{cast.tom.pk}/reset/", follow=True).content.decode()
    assert "role at another school" in page and smtp.received == []
