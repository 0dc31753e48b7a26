"""Logging in: password then a code; 2FA set up at the first login; throttling; sessions."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.models import LoginFailure, User
from tests.web.factories import PASSWORD, Cast
from tests.web.pages import code_for, device_for, logged_in


def test_the_first_login_sets_up_an_authenticator_app(cast: Cast) -> None:
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"].endswith("/login/set-up/")
    page = client.get("/login/set-up/").content.decode()
    assert "<svg" in page and 'data-testid="totp-key"' in page
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page)
    assert key is not None
    device = TOTPDevice.objects.get(user=cast.alice)
    assert not device.confirmed and key.group(1).replace(" ", "") in device.config_url
    assert client.post("/login/set-up/", {"code": "000000"}).status_code == 200  # wrong: stays
    page = client.post("/login/set-up/", {"code": code_for(device)}).content.decode()
    assert (
        "wrong codes in a row: wait 1 second and try again" in page
    )  # django-otp's growing pause after a wrong code
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2)):
        response = client.post("/login/set-up/", {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200


def test_a_password_alone_opens_nothing(cast: Cast) -> None:
    device_for(cast.alice)
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    for page in ("/", "/people/", "/audit/"):
        response = client.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_wrong_code_is_refused(cast: Cast) -> None:
    device = device_for(cast.tom)
    client = Client()
    client.post("/login/", {"username": "tom", "password": PASSWORD})
    response = client.post("/login/code/", {"code": "123456" if code_for(device) != "123456" else "654321"})
    assert response.status_code == 200 and "not right" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_wrong_password_says_so_without_saying_which_part(cast: Cast) -> None:
    response = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "user name or password is not right" in response.content.decode()
    response = Client().post("/login/", {"username": "nobody", "password": "wrong"})
    assert "user name or password is not right" in response.content.decode()


def test_too_many_failures_lock_the_user_name_out_from_that_address_for_a_while(cast: Cast) -> None:
    client = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    response = Client(REMOTE_ADDR="10.0.0.5").post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    with _later():
        response = Client(REMOTE_ADDR="10.0.0.5").post("/login/", {"username": "alice", "password": PASSWORD})
        assert response.status_code == 302


def _later() -> time_machine.travel:
    """The throttling window later."""
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_S + 1))


def test_too_many_failures_from_one_address_lock_it_out(cast: Cast) -> None:
    for i in range(settings.LOGIN_FAILURE_ADDRESS_LIMIT):
        Client(REMOTE_ADDR="10.0.0.9").post("/login/", {"username": f"a{i}", "password": "wrong"})
    response = Client(REMOTE_ADDR="10.0.0.9").post("/login/", {"username": "tom", "password": PASSWORD})
    assert response.status_code == 429
    assert LoginFailure.objects.filter(address="10.0.0.9").count() == settings.LOGIN_FAILURE_ADDRESS_LIMIT


def test_a_successful_login_forgets_the_user_names_failures(cast: Cast) -> None:
    Client().post("/login/", {"username": "tom", "password": "wrong"})
    logged_in(cast.tom)
    assert not LoginFailure.objects.filter(username="tom").exists()


def test_passwords_are_hashed_with_argon2(cast: Cast) -> None:
    user = User.objects.create_user("new.teacher", password="a long enough passphrase")
    assert user.password.startswith("argon2$")


def test_the_session_ends_after_thirty_idle_minutes(cast: Cast) -> None:
    client = logged_in(cast.alice)
    assert client.get("/").status_code == 200
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        response = client.get("/")
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_next_is_followed_only_within_the_site(cast: Cast) -> None:
    device = device_for(cast.alice)
    client = Client()
    client.post("/login/?next=/people/", {"username": "alice", "password": PASSWORD})
    assert client.post("/login/code/", {"code": code_for(device)})["Location"] == "/people/"
    device2 = device_for(cast.tom)
    client = Client()
    client.post("/login/?next=https://evil.example/", {"username": "tom", "password": PASSWORD})
    assert client.post("/login/code/", {"code": code_for(device2)})["Location"] == "/"


def test_the_set_up_step_is_throttled_like_the_code_step(cast: Cast) -> None:
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    client.get("/login/set-up/")
    device = TOTPDevice.objects.get(user=cast.alice)
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        wrong = "123456" if code_for(device) != "123456" else "654321"
        last = i == settings.LOGIN_FAILURE_LIMIT - 1
        assert client.post("/login/set-up/", {"code": wrong}).status_code == (429 if last else 200)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):  # django-otp's own pause is over
        response = client.post("/login/set-up/", {"code": code_for(device)})
        assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and client.get("/").status_code == 302
