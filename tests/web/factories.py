"""The web tests' one home for making things: the standing cast (two schools, and a user for every role
at the first) and the records of the people pages. App-specific makers that go through an app's actions
(an incident reported, a sanctions table) sit beside that app's tests and use these.

Northfield Primary: alice (DSL), dara (deputy DSL), olu (online safety coordinator), nina (network
manager), hana (headteacher), sami (SLT), tom (teacher), greta (governor), cleo
(chair of governors), and nora, who has no role.
Southgate Academy: zack (DSL). Everyone's password is PASSWORD.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.people.choices import IdentityKind, KeyStage, PersonKind, Relationship
from schoolgate.web.people.models import ClassGroup, GuardianLink, NetworkIdentity, Person, YearGroup
from schoolgate.web.tenancy.models import School, Trust

PASSWORD = "correct horse battery staple"
DATA = Path(__file__).resolve().parent / "data"  # MIS exports and other files the tests read

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
    "gina": Role.ONLINE_SAFETY_GOVERNOR,
    "omar": Role.OFFICE,
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


# -- records of the people pages ----------------------------------------------------------------


def year(school: School, name: str = "Year 5", stage: KeyStage = KeyStage.KS2, order: int = 5) -> YearGroup:
    return YearGroup.objects.get_or_create(
        school=school, name=name, defaults={"key_stage": stage, "order": order}
    )[0]


def group(school: School, name: str = "5B", year_group: YearGroup | None = None) -> ClassGroup:
    return ClassGroup.objects.get_or_create(school=school, name=name, defaults={"year_group": year_group})[0]


def person(school: School, kind: PersonKind = PersonKind.PUPIL, **fields: Any) -> Person:
    fields.setdefault("first_name", "Amelia")
    fields.setdefault("last_name", "Hughes")
    if kind in (PersonKind.VISITOR, PersonKind.SUPPLY, PersonKind.COMMUNITY):
        fields.setdefault("expires_at", timezone.now() + dt.timedelta(days=7))
    return Person.objects.create(school=school, kind=kind, **fields)


def link(child: Person, guardian: Person, **fields: Any) -> GuardianLink:
    fields.setdefault("relationship", Relationship.MOTHER)
    return GuardianLink.objects.create(school=child.school, child=child, guardian=guardian, **fields)


def identity(
    school: School, value: str = "a.hughes", kind: IdentityKind = IdentityKind.USERNAME, **fields: Any
) -> NetworkIdentity:
    return NetworkIdentity.objects.create(school=school, kind=kind, value=value, **fields)


def csv_file(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    raw = content if content is not None else (DATA / name).read_bytes()
    return SimpleUploadedFile(name, raw, content_type="text/csv")
