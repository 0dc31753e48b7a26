"""The web tests' one home for working the pages: a client logged in by the real login pages, a page's
text as a reader sees it, and an upload of MIS exports. (Every page of the application, for the
page-by-page tests, is in tests/web/sitemap.py.)"""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.models import User
from tests.web.factories import PASSWORD, csv_file


def device_for(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def logged_in(user: User) -> Client:
    """A client logged in with both factors, by the real login pages."""
    client = Client()
    device = device_for(user)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].endswith("/login/code/"), response
    response = client.post("/login/code/", {"code": code_for(device)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def another_session(user: User) -> Client:
    """A second session of a user already logged in (another computer). django-otp takes a code once
    only, and the first login took this 30 seconds' code: the device forgets it, as when the next 30
    seconds come, and the login goes through the real pages."""
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    return logged_in(user)


def upload(client: Client, **files: str | tuple[str, bytes]) -> Any:
    """Upload MIS exports (pupils=, staff=, parents=: a file of tests/web/data, or (name, bytes))."""
    data = {}
    for kind, given in files.items():
        data[kind] = csv_file(*given) if isinstance(given, tuple) else csv_file(given)
    return client.post("/people/import/", data)


def text(response: Any) -> str:
    """The page's text as a reader sees it: no tags, entities decoded, white space collapsed."""
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(page).split()).replace(" ,", ",").replace(" .", ".")
