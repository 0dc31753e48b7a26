"""Giving staff logins and roles, resetting a lost phone, and taking access away."""

from __future__ import annotations

import re

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.audit.models import AuditEntry
from tests.web.cast import PASSWORD, Cast, device_for, logged_in


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
    password = re.search(r'data-testid="temporary-password">([^<]+)<', page)
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
    page = logged_in(cast.hana).post(f"/staff-logins/{cast.hana.pk}/", {"roles": ["teacher"]})
    assert "cannot take away your own right" in page.content.decode()
    assert Membership.objects.filter(user=cast.hana, role="headteacher").exists()


def test_a_lost_phone_is_reset_and_set_up_again_at_the_next_login(cast: Cast) -> None:
    device_for(cast.tom)
    logged_in(cast.nina).post(f"/staff-logins/{cast.tom.pk}/reset-second-step/", {"reason": "lost phone"})
    assert not TOTPDevice.objects.filter(user=cast.tom).exists()
    response = Client().post("/login/", {"username": "tom", "password": PASSWORD})
    assert response["Location"].endswith("/login/set-up/")
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(cast.tom.pk)).last()
    assert entry is not None and entry.reason == "second step reset: lost phone" and entry.actor == cast.nina


def test_a_weak_new_password_is_refused(cast: Cast) -> None:
    client = logged_in(cast.nina)
    page = client.post(f"/staff-logins/{cast.tom.pk}/password/", {"password": "password1"}, follow=True)
    assert "too common" in page.content.decode() or "too short" in page.content.decode()
    client.post(f"/staff-logins/{cast.tom.pk}/password/", {"password": "a much longer passphrase"})
    cast.tom.refresh_from_db()
    assert cast.tom.check_password("a much longer passphrase")


def test_logins_of_another_school_are_not_found(cast: Cast) -> None:
    client = logged_in(cast.hana)
    assert client.get(f"/staff-logins/{cast.zack.pk}/").status_code == 404
    assert "zack" not in client.get("/staff-logins/").content.decode()


def test_nobody_takes_over_a_login_that_can_do_more_than_they_can(cast: Cast) -> None:
    device_for(cast.alice)
    client = logged_in(cast.nina)  # the network manager cannot read the audit trail; the DSL can
    page = client.get(f"/staff-logins/{cast.alice.pk}/").content.decode()
    assert "You cannot reset this login" in page
    client.post(f"/staff-logins/{cast.alice.pk}/reset-second-step/", {"reason": "lost phone"})
    client.post(f"/staff-logins/{cast.alice.pk}/password/", {"password": "a much longer passphrase"})
    cast.alice.refresh_from_db()
    assert TOTPDevice.objects.filter(user=cast.alice).exists()
    assert not cast.alice.check_password("a much longer passphrase")


def test_nobody_takes_over_a_login_that_has_a_role_at_another_school(cast: Cast) -> None:
    Membership.objects.create(user=cast.tom, school=cast.b, role="headteacher")
    client = logged_in(cast.hana)
    client.post(f"/staff-logins/{cast.tom.pk}/password/", {"password": "a much longer passphrase"})
    cast.tom.refresh_from_db()
    assert not cast.tom.check_password("a much longer passphrase")


def test_a_password_set_by_a_manager_is_in_the_audit_trail_without_the_hash(cast: Cast) -> None:
    logged_in(cast.hana).post(
        f"/staff-logins/{cast.tom.pk}/password/", {"password": "a much longer passphrase"}
    )
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(cast.tom.pk)).last()
    assert entry is not None and entry.actor == cast.hana and entry.school == cast.a
    assert entry.after == {"password": "changed"} and "argon2" not in str(entry.before)
