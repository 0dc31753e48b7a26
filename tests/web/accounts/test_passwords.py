"""Passwords belong to their person: a new login is invited by e-mail or given a one-time password that
must be changed before any page opens; everyone changes their own password."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.models import User
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.demo import DEMO_PASSWORD, load_demo
from tests.web.cast import PASSWORD, Cast, another_session, code_for, logged_in
from tests.web.conftest import Mailbox
from tests.web.pages import PUBLIC, every_page

NEW = "my very own passphrase"


def _new_login(client: Client, email: str = "") -> str:
    return client.post(
        "/staff-logins/new/",
        {"username": "k.mensah", "display_name": "Kofi Mensah", "email": email, "roles": ["teacher"]},
    ).content.decode()


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
