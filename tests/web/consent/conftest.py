"""A pupil of Northfield (cast.a) in class 5B with two parents on record (one with parental
responsibility and an e-mail address, one without responsibility), and a pupil of the other school."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from schoolgate.web.people.choices import PersonKind, Relationship
from schoolgate.web.people.models import ClassGroup, GuardianLink, Person
from tests.web.factories import Cast, group, person, year


@dataclass
class Family:
    child: Person
    mum: Person  # parental responsibility, e-mail address
    uncle: Person  # no parental responsibility
    klass: ClassGroup
    other_school_child: Person


def family_of(cast: Cast) -> Family:
    klass = group(cast.a, "5B", year(cast.a))
    child = person(
        cast.a, first_name="Amelia", last_name="Hughes", class_group=klass, year_group=klass.year_group
    )
    mum = person(
        cast.a, PersonKind.PARENT, first_name="Sarah", last_name="Hughes", email="sarah@home.example"
    )
    uncle = person(cast.a, PersonKind.PARENT, first_name="Dan", last_name="Hughes", email="dan@home.example")
    GuardianLink.objects.create(school=cast.a, child=child, guardian=mum, relationship=Relationship.MOTHER)
    GuardianLink.objects.create(
        school=cast.a, child=child, guardian=uncle, relationship=Relationship.OTHER,
        parental_responsibility=False, contact_order=2,
    )  # fmt: skip
    other = person(cast.b, first_name="Zoe", last_name="Khan")
    return Family(child, mum, uncle, klass, other)


@pytest.fixture
def family(cast: Cast) -> Family:
    return family_of(cast)
