"""The standing cast of the web tests: two schools, and a user for every role at the first.

Northfield Primary: alice (DSL), dara (deputy DSL), olu (online safety coordinator), nina (network
manager), hana (headteacher), sami (SLT), tom (teacher), greta (governor), cleo
(chair of governors), and nora, who has no role.
Southgate Academy: zack (DSL). Everyone's password is PASSWORD.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.hashers import make_password
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.tenancy.models import School, Trust

PASSWORD = "correct horse battery staple"

ROLES_AT_A: dict[str, Role | None] = {
    "alice": Role.DSL,
    "dara": Role.DEPUTY_DSL,
    "olu": Role.ONLINE_SAFETY_COORDINATOR,
    "nina": Role.NETWORK_MANAGER,
    "hana": Role.HEADTEACHER,
    "sami": Role.SLT,
    "tom": Role.TEACHER,
    "greta": Role.GOVERNOR,
    "cleo": Role.CHAIR_OF_GOVERNORS,
    "nora": None,
}


@cache
def password_hash() -> str:
    return make_password(PASSWORD)  # Argon2, as in production: made once, not per user


@dataclass
class Cast:
    trust: Trust
    a: School
    b: School
    users: dict[str, User]

    def __getattr__(self, name: str) -> User:
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name) from None


def make_user(username: str, school: School | None = None, role: Role | None = None) -> User:
    user = User.objects.create(
        username=username, password=password_hash(), display_name=username.capitalize() + " Example"
    )
    if school is not None and role is not None:
        Membership.objects.create(user=user, school=school, role=role)
    return user


def make_cast() -> Cast:
    trust = Trust.objects.create(name="Riverside Learning Trust")
    a = School.objects.create(name="Northfield Primary", slug="northfield", trust=trust)
    b = School.objects.create(name="Southgate Academy", slug="southgate", trust=trust)
    users = {name: make_user(name, a, role) for name, role in ROLES_AT_A.items()}
    users["zack"] = make_user("zack", b, Role.DSL)
    return Cast(trust, a, b, users)


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
