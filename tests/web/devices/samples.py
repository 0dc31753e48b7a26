"""Sample objects for the permission matrix (tests/web/sitemap.py): url name -> arguments. Each call
makes a fresh record of `school`, since some pages change the one they are given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count
from typing import Any

from django.utils import timezone

from schoolgate.web.devices.choices import DeviceKind, DeviceType
from schoolgate.web.devices.models import Device, GuestLogin, Loan
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast

_numbers = count(1)


def _adder(cast: Cast, school: Any) -> Any:
    return cast.users["nina"] if school == cast.a else cast.users["zack"]


def make_device(
    cast: Cast, school: Any, kind: DeviceKind = DeviceKind.SCHOOL_SINGLE, **fields: Any
) -> Device:
    fields.setdefault("device_type", DeviceType.LAPTOP)
    fields.setdefault("label", f"Sample laptop {next(_numbers)}")
    return Device.objects.create(
        school=school, kind=kind, added_by=_adder(cast, school), added_at=timezone.now(), **fields
    )


def visitor(school: Any, **fields: Any) -> Person:
    fields.setdefault("first_name", "Vera")
    fields.setdefault("last_name", f"Visitor{next(_numbers)}")
    fields.setdefault("expires_at", timezone.now() + dt.timedelta(days=2))
    return Person.objects.create(school=school, kind=PersonKind.VISITOR, **fields)


def _device(cast: Cast, school: Any) -> dict[str, Any]:
    return {"pk": make_device(cast, school).pk}


def _staff_phone(cast: Cast, school: Any) -> dict[str, Any]:
    """A member of staff's own phone: waits for SLT approval under policy 002's table."""
    owner = Person.objects.create(school=school, kind=PersonKind.STAFF, first_name="Pat", last_name="Owner")
    device = make_device(cast, school, DeviceKind.STAFF, device_type=DeviceType.PHONE, owner=owner)
    return {"pk": device.pk}


def _loan(cast: Cast, school: Any) -> dict[str, Any]:
    device = make_device(cast, school)
    pupil = Person.objects.create(
        school=school, kind=PersonKind.PUPIL, first_name="Lee", last_name="Borrower"
    )
    today = timezone.localdate()
    loan = Loan.objects.create(
        school=school,
        device=device,
        person=pupil,
        out_on=today,
        due_back=today + dt.timedelta(days=7),
        lent_by=_adder(cast, school),
    )
    return {"pk": loan.pk}


def _visitor(cast: Cast, school: Any) -> dict[str, Any]:
    return {"pk": visitor(school).pk}


def _login(cast: Cast, school: Any) -> dict[str, Any]:
    """A guest login as recorded (its password file line is not needed to show or end it)."""
    person = visitor(school)
    assert person.expires_at is not None
    login = GuestLogin.objects.create(
        school=school,
        person=person,
        username=f"vera.visitor{next(_numbers)}",
        made_by=_adder(cast, school),
        made_at=timezone.now(),
        until=person.expires_at,
    )
    return {"pk": login.pk}


DEVICES_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "devices:device": _device,
    "devices:edit": _device,
    "devices:archive": _device,
    "devices:lend": _device,
    "devices:approve": _staff_phone,
    "devices:return": _loan,
    "devices:guest-new": _visitor,
    "devices:guest": _login,
    "devices:guest-end": _login,
}
