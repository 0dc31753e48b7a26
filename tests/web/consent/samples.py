"""Sample objects for the permission matrix (tests/web/sitemap.py): url name -> arguments. A consent
page's address names a pupil of the school."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, Person
from tests.web.factories import Cast


def _pupil(cast: Cast, school: Any) -> dict[str, Any]:
    pupil = Person.objects.filter(school=school, kind=PersonKind.PUPIL, archived_at=None).first()
    if pupil is None:
        pupil = Person.objects.create(
            school=school, kind=PersonKind.PUPIL, first_name="Sample", last_name="Pupil"
        )
    return {"pk": pupil.pk}


def _class(cast: Cast, school: Any) -> dict[str, Any]:
    klass = ClassGroup.objects.filter(school=school).first() or ClassGroup.objects.create(
        school=school, name="Sample"
    )
    return {"pk": klass.pk}


CONSENT_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "consent:child": _pupil,
    "consent:record": _pupil,
    "consent:send": _pupil,
    "consent:send-class": _class,
}
