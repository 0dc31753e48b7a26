"""Records and uploads for the people tests."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from schoolgate.web.people.choices import IdentityKind, KeyStage, PersonKind, Relationship
from schoolgate.web.people.models import ClassGroup, GuardianLink, NetworkIdentity, Person, YearGroup
from schoolgate.web.tenancy.models import School

DATA = Path(__file__).resolve().parents[1] / "data"


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
):
    return NetworkIdentity.objects.create(school=school, kind=kind, value=value, **fields)


def csv_file(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    raw = content if content is not None else (DATA / name).read_bytes()
    return SimpleUploadedFile(name, raw, content_type="text/csv")


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
