"""The demo school's devices: the BYOD table as policy 002 sets it, a handful of devices (a class
laptop, a trolley of tablets, a laptop lent home that is not filtered off site, a member of staff's
phone waiting for SLT approval, a visitor's laptop the network manager approved) and one loan."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from schoolgate.web.accounts.models import User
from schoolgate.web.core.actions import Operator
from schoolgate.web.devices import actions
from schoolgate.web.devices.choices import DeviceKind, DeviceType, OffSite
from schoolgate.web.devices.models import Device
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

DEMO = Operator("schoolgate web demo")


def _person(school: School, kind: PersonKind, **lookup: str) -> Person | None:
    return Person.objects.filter(school=school, kind=kind, **lookup).order_by("pk").first()


def _add(school: School, identity: NetworkIdentity | None = None, **fields: object) -> Device:
    device = Device(school=school, **fields)
    new = identity if identity is not None and identity.pk is None else None
    if identity is not None and identity.pk is not None:
        device.identity = identity
    return actions.do_save_device(device, actor=DEMO, new_identity=new)


def seed_demo(school: School, now: dt.datetime) -> None:
    """Seed the demo school's devices (once: nothing is added if it has any)."""
    actions.byod_table(school)
    if Device.objects.filter(school=school).exists():
        return
    teacher = _person(school, PersonKind.STAFF, user__username="r.patel") or _person(school, PersonKind.STAFF)
    pupil = _person(school, PersonKind.PUPIL)
    visitor = _person(school, PersonKind.VISITOR)
    ks1_class = ClassGroup.objects.filter(school=school).order_by("name").first()
    _add(
        school,
        NetworkIdentity(school=school, kind=IdentityKind.DEVICE, value="10.10.5.21", person=teacher),
        kind=DeviceKind.SCHOOL_SINGLE, device_type=DeviceType.LAPTOP, label="Laptop 01",
        make_model="Dell Latitude 3440", asset_tag="NF-0101", owner=teacher,
        off_site=OffSite.AGENT, off_site_note="the school's filtering agent, installed by IT",
    )  # fmt: skip
    tablets = NetworkIdentity.objects.filter(
        school=school, kind=IdentityKind.NETWORK, value="10.10.1.0/24"
    ).first()
    _add(
        school, tablets, kind=DeviceKind.SCHOOL_SHARED, device_type=DeviceType.TROLLEY,
        label="KS1 iPad trolley", make_model="Apple iPad, 16 of them", class_group=ks1_class,
        off_site=OffSite.NOT_FILTERED, notes="Stays in school",
    )  # fmt: skip
    spare = _add(
        school,
        NetworkIdentity(school=school, kind=IdentityKind.DEVICE, value="10.10.5.37"),
        kind=DeviceKind.SCHOOL_SINGLE, device_type=DeviceType.LAPTOP, label="Laptop 07",
        make_model="Dell Latitude 3440", asset_tag="NF-0107", off_site=OffSite.NOT_FILTERED,
    )  # fmt: skip
    if pupil is not None:
        today = now.date()
        actions.do_lend(
            spare,
            pupil,
            actor=DEMO,
            out_on=today - dt.timedelta(days=2),
            due_back=today + dt.timedelta(days=5),
            note="For homework while recovering at home",
        )
    if teacher is not None:
        _add(
            school, kind=DeviceKind.STAFF, device_type=DeviceType.PHONE, label=f"{teacher.full_name}'s phone",
            make_model="Samsung Galaxy A54", owner=teacher,
        )  # fmt: skip
    if visitor is not None:
        laptop = _add(
            school,
            kind=DeviceKind.VISITOR,
            device_type=DeviceType.LAPTOP,
            label=f"{visitor.full_name}'s laptop",
            make_model="Lenovo IdeaPad",
            owner=visitor,
        )
        manager = User.objects.filter(username="d.kowalski", memberships__school=school).first()
        if manager is not None:
            actions.do_approve_device(laptop, actor=manager)
