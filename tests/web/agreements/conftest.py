"""A small school for the agreements' tests: Reception (Key Stage 1 agreement) class RA, Year 5 (Key
Stage 2) class 5B, a pupil with no year group, staff in two teams and one in none, a parent; the
agreements for Key Stage 1, Key Stage 2 and staff in force since the start of the school year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from schoolgate.web.agreements.choices import Audience
from schoolgate.web.agreements.models import AgreementVersion
from schoolgate.web.agreements.texts import suggested
from schoolgate.web.core.schoolyear import first_day, school_year
from schoolgate.web.people.choices import KeyStage, PersonKind
from schoolgate.web.people.models import ClassGroup, Person
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast, group, link, person, year


def version(school: School, audience: Audience, number: int = 1, **fields: object) -> AgreementVersion:
    title, text = suggested(audience)
    fields.setdefault("in_force_from", first_day(school_year(timezone.localdate())))
    return AgreementVersion.objects.create(
        school=school, audience=audience, number=number, title=title, text=text, written_at=timezone.now(),
        **fields,
    )  # fmt: skip


@dataclass
class School1:
    ra: ClassGroup
    b5: ClassGroup
    ruby: Person  # Reception, RA
    leo: Person  # Reception, RA
    ava: Person  # Year 5, 5B
    nia: Person  # no year group
    teacher: Person  # team Teaching, with tom's login
    ta: Person  # team Support
    cook: Person  # no team
    mum: Person  # Ruby's mother
    ks1: AgreementVersion
    ks2: AgreementVersion
    staff: AgreementVersion


@pytest.fixture
def school(cast: Cast) -> School1:
    reception = year(cast.a, "Reception", KeyStage.EYFS, 0)
    y5 = year(cast.a, "Year 5", KeyStage.KS2, 5)
    ra, b5 = group(cast.a, "RA", reception), group(cast.a, "5B", y5)
    ruby = person(cast.a, first_name="Ruby", last_name="Adams", year_group=reception, class_group=ra)
    mum = person(cast.a, PersonKind.PARENT, first_name="Jo", last_name="Adams")
    link(ruby, mum)
    return School1(
        ra=ra,
        b5=b5,
        ruby=ruby,
        leo=person(cast.a, first_name="Leo", last_name="Baker", year_group=reception, class_group=ra),
        ava=person(cast.a, first_name="Ava", last_name="Clark", year_group=y5, class_group=b5),
        nia=person(cast.a, first_name="Nia", last_name="Drew"),
        teacher=person(
            cast.a, PersonKind.STAFF, first_name="Tom", last_name="Teach", team="Teaching", user=cast.tom
        ),
        ta=person(cast.a, PersonKind.STAFF, first_name="Tia", last_name="Support", team="Support"),
        cook=person(cast.a, PersonKind.STAFF, first_name="Cal", last_name="Cook"),
        mum=mum,
        ks1=version(cast.a, Audience.KS1),
        ks2=version(cast.a, Audience.KS2),
        staff=version(cast.a, Audience.STAFF),
    )


def today() -> dt.date:
    return timezone.localdate()
