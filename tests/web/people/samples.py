"""Objects for the people pages whose addresses need one, for the page-by-page tests of
tests/web/sitemap.py (its SAMPLES): `SAMPLES.update(tests.web.people.samples.SAMPLES)`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from schoolgate.web.people.choices import IdentityKind, ImportKind, KeyStage, PersonKind, Relationship
from schoolgate.web.people.models import (
    ClassGroup,
    GuardianLink,
    ImportBatch,
    ImportFile,
    NetworkIdentity,
    Person,
    YearGroup,
)
from tests.web.factories import Cast


def _pupil(cast: Cast, school: Any) -> Person:
    found = Person.objects.filter(school=school, kind=PersonKind.PUPIL).first()
    return found or Person.objects.create(
        school=school, kind=PersonKind.PUPIL, first_name="Sample", last_name="Pupil"
    )


def _person(cast: Cast, school: Any) -> dict[str, Any]:
    return {"pk": _pupil(cast, school).pk}


def _link(cast: Cast, school: Any) -> dict[str, Any]:
    found = GuardianLink.objects.filter(school=school).first()
    if found is None:
        parent = Person.objects.create(
            school=school, kind=PersonKind.PARENT, first_name="Sample", last_name="Parent"
        )
        found = GuardianLink.objects.create(
            school=school, child=_pupil(cast, school), guardian=parent, relationship=Relationship.MOTHER
        )
    return {"pk": found.pk}


def _identity(cast: Cast, school: Any) -> dict[str, Any]:
    found = NetworkIdentity.objects.filter(school=school).first()
    found = found or NetworkIdentity.objects.create(
        school=school, kind=IdentityKind.NETWORK, value="10.99.0.0/24", label="Sample range"
    )
    return {"pk": found.pk}


def _year(cast: Cast, school: Any) -> dict[str, Any]:
    found = YearGroup.objects.filter(school=school).first()
    found = found or YearGroup.objects.create(school=school, name="Year 3", key_stage=KeyStage.KS2, order=3)
    return {"pk": found.pk}


def _class(cast: Cast, school: Any) -> dict[str, Any]:
    found = ClassGroup.objects.filter(school=school).first()
    return {"pk": (found or ClassGroup.objects.create(school=school, name="3S")).pk}


SAMPLE_CSV = (
    b"UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group\r\n"
    b"S123456789012,Sample,Sam,01/09/2016,Year 5,5S\r\n"
)


def _batch(cast: Cast, school: Any) -> dict[str, Any]:
    found = ImportBatch.objects.filter(school=school).first()
    if found is None:
        uploader = cast.alice if school == cast.a else cast.zack
        found = ImportBatch.objects.create(school=school, uploaded_by=uploader)
        ImportFile.objects.create(
            school=school,
            batch=found,
            kind=ImportKind.PUPILS,
            filename="sample.csv",
            content=SAMPLE_CSV.decode(),
            sha256=hashlib.sha256(SAMPLE_CSV).hexdigest(),
            size=len(SAMPLE_CSV),
        )
    return {"pk": found.pk}


SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "people:detail": _person,
    "people:edit": _person,
    "people:archive": _person,
    "people:restore": _person,
    "people:link-add": _person,
    "people:link-edit": _link,
    "people:link-remove": _link,
    "people:identity-edit": _identity,
    "people:identity-remove": _identity,
    "people:year-edit": _year,
    "people:class-edit": _class,
    "people:import-preview": _batch,
    "people:import-confirm": _batch,
}
