"""Passwords belong to their person: a new login is invited by e-mail or given a one-time password that
must be changed before any page opens; everyone changes their own password."""

from __future__ import annotations

import base64
import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.models import LoginFailure, Membership, User
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.demo import DEMO_PASSWORD, load_demo
from tests.web.conftest import Mailbox
from tests.web.factories import PASSWORD, Cast
from tests.web.pages import another_session, code_for, logged_in
from tests.web.sitemap import PUBLIC, every_page

NEW = "my very own passphrase"


def _new_login(client: Client, email: str = "", roles: tuple[str, ...] = ("teacher",)) -> str:
    return client.post(
        "/staff-logins/new/",
        {"username": "k.mensah", "display_name": "Kofi Mensah", "email": email, "roles": list(roles)},
    ).content.decode()


def _one_time(page: str) -> str:
    found = re.search(r'data-testid="one-time-password">([^<]+)<', page)
    assert found is not None, page
    return found.group(1)


def _first_login(password: str) -> Client:
    """k.mensah's first login: the password, then an authenticator app set up."""
    client = Client()
    response = client.post("/login/", {"username": "k.mensah", "password": password})
    assert response["Location"].endswith("/login/set-up/")
    client.get("/login/set-up/")
    device = TOTPDevice.objects.get(user__username="k.mensah")
    assert client.post("/login/set-up/", {"code": code_for(device)}).status_code == 302
    return client


def test_a_one_time_password_must_be_changed_before_any_page_opens(cast: Cast) -> None:
    page = _new_login(logged_in(cast.hana))
    found = re.search(r'data-testid="one-time-password">([^<]+)<', page)
    assert found is not None and "must choose their own" in page
    one_time = found.group(1)
    assert User.objects.get(username="k.mensah").must_change_password

    client = _first_login(one_time)
    pages = [p for p in every_page() if p.name not in PUBLIC | {"accounts:my-password"}]
    wrong = []
    for entry in pages:
        url = entry.url(cast, cast.a)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code != 302 or response["Location"] != "/my-password/":
                wrong.append(f"{method.upper()} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert client.get("/my-password/").status_code == 200
    assert client.post("/logout/").status_code == 302  # logging out is always possible

    client = Client()  # the next login, still with the one-time password: the same again
    client.post("/login/", {"username": "k.mensah", "password": one_time})
    TOTPDevice.objects.filter(user__username="k.mensah").update(last_t=-1)  # as in cast.another_session
    device = TOTPDevice.objects.get(user__username="k.mensah")
    assert client.post("/login/code/", {"code": code_for(device)})["Location"] == "/"
    assert client.get("/")["Location"] == "/my-password/"
    wrong_current = {"current": "not it", "password1": NEW, "password2": NEW}
    assert "not your current password" in client.post("/my-password/", wrong_current).content.decode()
    mismatch = {"current": one_time, "password1": NEW, "password2": NEW + "!"}
    assert "do not match" in client.post("/my-password/", mismatch).content.decode()
    same = {"current": one_time, "password1": one_time, "password2": one_time}
    assert "different from the one-time" in client.post("/my-password/", same).content.decode()
    response = client.post("/my-password/", {"current": one_time, "password1": NEW, "password2": NEW})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200 and client.get("/people/").status_code == 200
    user = User.objects.get(username="k.mensah")
    assert not user.must_change_password and user.check_password(NEW)
    assert Client().post("/login/", {"username": "k.mensah", "password": one_time}).status_code == 200


def test_a_new_login_with_an_address_is_invited_by_email_and_no_password_is_shown(
    cast: Cast, smtp: Mailbox
) -> None:
    page = _new_login(logged_in(cast.hana), "kofi@northfield.example")
    assert 'data-testid="one-time-password"' not in page
    assert "invitation was e-mailed to kofi@northfield.example" in page
    user = User.objects.get(username="k.mensah")
    assert not user.has_usable_password() and not user.must_change_password
    path = urlsplit(smtp.link("kofi@northfield.example")).path
    assert path not in page
    client = Client()
    assert client.post(path, {"password1": NEW, "password2": NEW})["Location"].endswith("/login/set-up/")
    client.get("/login/set-up/")
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/login/set-up/", {"code": code_for(device)})["Location"] == "/"
    assert client.get("/").status_code == 200


def test_without_email_a_new_login_with_an_address_gets_a_one_time_password(cast: Cast) -> None:
    page = _new_login(logged_in(cast.hana), "kofi@northfield.example")
    assert 'data-testid="one-time-password"' in page and "e-mailed" not in page


def test_everyone_changes_their_own_password_and_their_other_sessions_end(cast: Cast) -> None:
    elsewhere = logged_in(cast.greta)
    client = another_session(cast.greta)  # a governor: the fewest rights of all
    home = client.get("/").content.decode()
    assert 'href="/my-password/"' in home and "Change my password" in home
    assert client.get("/my-password/").status_code == 200
    weak = {"current": PASSWORD, "password1": "password", "password2": "password"}
    assert "too common" in client.post("/my-password/", weak).content.decode()
    response = client.post("/my-password/", {"current": PASSWORD, "password1": NEW, "password2": NEW})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session carries on
    assert elsewhere.get("/")["Location"].startswith("/login/")  # the others end
    cast.greta.refresh_from_db()
    assert cast.greta.check_password(NEW)
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(cast.greta.pk)).last()
    assert entry is not None and entry.actor == cast.greta and "changed their own password" in entry.reason
    assert "argon2" not in str(entry.before) + str(entry.after)


def test_the_demo_logins_keep_their_known_password(db: None) -> None:
    load_demo(pupils=4, classes=2, staff=10)
    user = User.objects.get(username="d.kowalski")
    assert user.check_password(DEMO_PASSWORD) and not user.must_change_password


def test_no_safeguarding_role_for_a_login_whose_one_time_password_someone_else_knows(cast: Cast) -> None:
    """The network manager makes a teacher's login and is shown its one-time password: until its person
    has chosen their own, a DSL's role on it would be the network manager's."""
    one_time = _one_time(_new_login(logged_in(cast.nina)))
    kofi = User.objects.get(username="k.mensah")
    hana = logged_in(cast.hana)
    response = hana.post(f"/staff-logins/{kofi.pk}/", {"roles": ["teacher", "dsl"]})
    said = response.content.decode()
    assert response.status_code == 403
    assert "has not yet chosen their own password" in said and "reset link" in said
    assert not Membership.objects.filter(user=kofi, role="dsl").exists()
    with pytest.raises(CommandError, match="not yet chosen their own password"):
        call_command("give_role", "k.mensah", "chair-of-governors", school="northfield", reason="r")
    # Other roles may be given meanwhile; and once Kofi has chosen his own password, the DSL's too.
    assert hana.post(f"/staff-logins/{kofi.pk}/", {"roles": ["teacher", "slt"]}).status_code == 302
    client = _first_login(one_time)
    assert (
        client.post("/my-password/", {"current": one_time, "password1": NEW, "password2": NEW}).status_code
        == 302
    )
    assert hana.post(f"/staff-logins/{kofi.pk}/", {"roles": ["teacher", "slt", "dsl"]}).status_code == 302
    assert Membership.objects.filter(user=kofi, role="dsl").exists()


def test_a_login_made_with_a_safeguarding_role_by_its_giver_keeps_it(cast: Cast) -> None:
    page = _new_login(logged_in(cast.hana), roles=("teacher", "dsl"))
    assert _one_time(page)
    kofi = User.objects.get(username="k.mensah")
    assert kofi.must_change_password and Membership.objects.filter(user=kofi, role="dsl").exists()


def test_the_current_password_is_throttled_like_a_login(cast: Cast) -> None:
    """Someone at a computer left logged in must not try password after password at Change my password
    (the same password may open the person's other accounts)."""
    client = logged_in(cast.greta)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        wrong = {"current": "a guess of mine", "password1": NEW, "password2": NEW}
        assert "not your current password" in client.post("/my-password/", wrong).content.decode()
    response = client.post("/my-password/", {"current": PASSWORD, "password1": NEW, "password2": NEW})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    cast.greta.refresh_from_db()
    assert cast.greta.check_password(PASSWORD)
    assert LoginFailure.objects.filter(username="greta").count() == settings.LOGIN_FAILURE_LIMIT
    assert AuditEntry.objects.filter(action="login-failed", object_id=str(cast.greta.pk)).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_S + 1)):
        response = client.post("/my-password/", {"current": PASSWORD, "password1": NEW, "password2": NEW})
        assert response.status_code == 302
    cast.greta.refresh_from_db()
    assert cast.greta.check_password(NEW)


def _setup_key(client: Client, password: str) -> str:
    response = client.post("/login/", {"username": "k.mensah", "password": password})
    assert response["Location"].endswith("/login/set-up/")
    page = client.get("/login/set-up/").content.decode()
    return "".join(re.findall(r"[A-Z2-7]{4}", page.split("key", 1)[1]))[:32]


def test_an_authenticator_key_shown_to_one_session_is_never_anothers(cast: Cast) -> None:
    """Whoever made a login (and saw its one-time password) opens the set-up page first and leaves: the
    person is shown a key of their own, and the one seen before can never be confirmed."""
    one_time = _one_time(_new_login(logged_in(cast.nina)))
    seen = _setup_key(Client(), one_time)
    person = Client()
    own = _setup_key(person, one_time)
    assert len(seen) == len(own) == 32 and seen != own
    device = TOTPDevice.objects.get(user__username="k.mensah")  # the first session's key is gone
    assert base64.b32encode(device.bin_key).decode() == own
    assert person.post("/login/set-up/", {"code": code_for(device)}).status_code == 302
