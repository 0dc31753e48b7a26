"""Sample objects for the permission matrix (tests/web/sitemap.py): url name -> arguments. Each call
makes a fresh record of `school`."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from django.utils import timezone

from schoolgate.web.agreements.choices import Audience
from schoolgate.web.agreements.models import AgreementVersion
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, Person
from tests.web.factories import Cast

_numbers = count(1)


def _version(cast: Cast, school: Any) -> dict[str, Any]:
    made = AgreementVersion.objects.create(
        school=school,
        audience=Audience.VISITORS,
        number=1000 + next(_numbers),
        title="Sample agreement",
        text="I will use the internet only for my visit.",
        in_force_from=timezone.localdate(),
        written_at=timezone.now(),
    )
    return {"pk": made.pk}


def _class(cast: Cast, school: Any) -> dict[str, Any]:
    return {"pk": ClassGroup.objects.create(school=school, name=f"Agreements {next(_numbers)}").pk}


def _person(cast: Cast, school: Any) -> dict[str, Any]:
    made = Person.objects.create(school=school, kind=PersonKind.STAFF, first_name="Sam", last_name="Sample")
    return {"pk": made.pk}


AGREEMENTS_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "agreements:version": _version,
    "agreements:sign-sheet": _class,
    "agreements:person": _person,
}
