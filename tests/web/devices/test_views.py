"""The devices pages, each opened once and worked as the office and the network manager work them:
adding a device (a new network identity only for those who may make one), approving it, the BYOD
table, loans, and a guest login whose slip shows the password on the response that made it and never
again. Hostile input is a message on the page, never a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import bcrypt
import pytest
from django.utils import timezone

from schoolgate.web.devices import actions
from schoolgate.web.devices.choices import Approval, DeviceKind, NetworkAccess, OffSite
from schoolgate.web.devices.models import Device, GuestLogin
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import NetworkIdentity
from tests.web.devices.samples import make_device, visitor
from tests.web.factories import Cast, person
from tests.web.pages import logged_in, text
from tests.web.viewtests import StaffObjectPageTests, StaffPageTests

pytestmark = pytest.mark.django_db


class TestListPage(StaffPageTests):
    url_name = "devices:list"


class TestAddPage(StaffPageTests):
    url_name = "devices:add"


class TestLoansPage(StaffPageTests):
    url_name = "devices:loans"


class TestByodPage(StaffPageTests):
    url_name = "devices:byod"


class TestGuestsPage(StaffPageTests):
    url_name = "devices:guests"


class TestDevicePage(StaffObjectPageTests):
    url_name = "devices:device"


class TestEditPage(StaffObjectPageTests):
    url_name = "devices:edit"


class TestArchivePage(StaffObjectPageTests):
    url_name = "devices:archive"


class TestLendPage(StaffObjectPageTests):
    url_name = "devices:lend"


class TestReturnPage(StaffObjectPageTests):
    url_name = "devices:return"


class TestGuestNewPage(StaffObjectPageTests):
    url_name = "devices:guest-new"


class TestGuestPage(StaffObjectPageTests):
    url_name = "devices:guest"


def device_form(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": DeviceKind.SCHOOL_SINGLE,
        "device_type": "laptop",
        "label": "Laptop 12",
        "off_site": OffSite.AGENT,
    }
    data.update(fields)
    return data


def test_the_office_adds_a_staff_phone_and_slt_approves_it(cast: Cast) -> None:
    owner = person(cast.a, PersonKind.STAFF, first_name="Ravi", last_name="Patel")
    office = logged_in(cast.omar)
    page = office.get("/devices/add/")
    assert "someone who may change network identities" in text(page)
    assert "new_identity_value" not in page.content.decode()  # the office cannot make one here
    response = office.post(
        "/devices/add/",
        device_form(kind=DeviceKind.STAFF, device_type="phone", label="Ravi's phone", owner=owner.pk),
    )
    assert response.status_code == 302, text(response)[:2000]
    device = Device.objects.get(label="Ravi's phone")
    assert device.added_by == cast.omar
    page = office.get(f"/devices/{device.pk}/")
    assert "Waiting for approval (Senior leadership (SLT)); then internet only" in text(page)
    assert "Approve this device" not in text(page)
    assert office.post(f"/devices/{device.pk}/approve/").status_code == 403  # the office holds no approval
    slt = logged_in(cast.sami)
    assert "Approve this device" in text(slt.get(f"/devices/{device.pk}/"))
    waiting = text(slt.get("/devices/?state=waiting"))
    assert "Ravi's phone" in waiting
    assert slt.post(f"/devices/{device.pk}/approve/").status_code == 302
    device.refresh_from_db()
    assert device.approved_as == Approval.SLT and device.approved_by == cast.sami
    assert "No devices to show" in text(slt.get("/devices/?state=waiting"))
    assert "Internet only" in text(slt.get(f"/devices/{device.pk}/"))


def test_the_network_manager_records_a_new_address_with_the_device(cast: Cast) -> None:
    nm = logged_in(cast.nina)
    response = nm.post(
        "/devices/add/", device_form(new_identity_kind="device", new_identity_value=" 10.10.5.40 ")
    )
    assert response.status_code == 302, text(response)[:2000]
    device = Device.objects.get(label="Laptop 12")
    assert device.identity == NetworkIdentity.objects.get(school=cast.a, value="10.10.5.40")
    response = nm.post(
        "/devices/add/",
        device_form(label="Laptop 13", new_identity_kind="device", new_identity_value="10.10.5.999"),
    )
    assert response.status_code == 200 and "is not an IP address" in text(response)
    both = device_form(label="Laptop 14", identity=device.identity.pk, new_identity_kind="device",
                       new_identity_value="10.10.5.41")  # fmt: skip
    assert "not both" in text(nm.post("/devices/add/", both))
    assert Device.objects.count() == 1


def test_hostile_input_is_a_message_on_the_page(cast: Cast) -> None:
    theirs = person(cast.b, PersonKind.STAFF)
    their_identity = NetworkIdentity.objects.create(school=cast.b, kind="device", value="10.20.0.1")
    office = logged_in(cast.omar)
    for data in (
        device_form(label="x" * 5000),
        device_form(kind=DeviceKind.STAFF, owner=theirs.pk),
        device_form(identity=their_identity.pk),
        device_form(kind="root"),
        device_form(owner="1 OR 1=1"),
        device_form(label=""),
    ):
        response = office.post("/devices/add/", data)
        assert response.status_code == 200, data
        assert "error-message" in response.content.decode() or "There is a problem" in text(response), data
    assert not Device.objects.exists()
    for query in (
        "?q=" + "%00" * 3000,
        "?kind=../../etc",
        "?owner=99999999999999999999",
        "?state=<script>",
        "?page=-1",
    ):
        assert office.get("/devices/" + query).status_code == 200, query
    device = make_device(cast, cast.a)
    lend = office.post(f"/devices/{device.pk}/lend/", {"person": person(cast.a).pk, "out_on": "31/02/2026",
                                                         "due_back": "tomorrow"})  # fmt: skip
    assert lend.status_code == 200 and not device.loans.exists()


def test_the_byod_table_is_changed_by_the_network_manager_and_read_by_slt(cast: Cast) -> None:
    make_device(cast, cast.a, DeviceKind.PUPIL, owner=person(cast.a))
    nm = logged_in(cast.nina)
    page = nm.get("/devices/byod/")
    assert "Save the table" in text(page) and "1 on the register" in text(page)
    data = {}
    for kind, rule in actions.byod_table(cast.a).items():
        data.update({f"{kind}-access": rule.access, f"{kind}-approval": rule.approval})
        if rule.allowed and kind != DeviceKind.PUPIL:
            data[f"{kind}-allowed"] = "on"
    response = nm.post("/devices/byod/", data)
    assert response.status_code == 302
    assert not actions.byod_table(cast.a)[DeviceKind.PUPIL].allowed
    assert "Not allowed in school" in text(nm.get("/devices/"))
    hostile = nm.post("/devices/byod/", {**data, "pupil-allowed": "on", "pupil-access": "everything"})
    assert hostile.status_code == 200 and "error-message" in hostile.content.decode()
    assert not actions.byod_table(cast.a)[DeviceKind.PUPIL].allowed
    slt = logged_in(cast.sami)
    page = slt.get("/devices/byod/")
    assert page.status_code == 200 and "Save the table" not in text(page)
    assert slt.post("/devices/byod/", {**data, "pupil-allowed": "on"}).status_code == 403
    assert actions.byod_table(cast.a)[DeviceKind.PUPIL].access == NetworkAccess.NONE


def test_a_loan_of_a_device_not_filtered_off_site_is_flagged(cast: Cast) -> None:
    filtered = make_device(cast, cast.a, label="Laptop filtered", off_site=OffSite.VPN)
    unfiltered = make_device(cast, cast.a, label="Laptop unfiltered", off_site=OffSite.NOT_FILTERED)
    pupil = person(cast.a)
    office = logged_in(cast.omar)
    today = timezone.localdate()
    for device in (filtered, unfiltered):
        response = office.post(
            f"/devices/{device.pk}/lend/",
            {
                "person": pupil.pk,
                "out_on": today.isoformat(),
                "due_back": (today + dt.timedelta(days=3)).isoformat(),
            },
        )
        assert response.status_code == 302, text(response)[:2000]
    register = text(office.get("/devices/"))
    assert "1 device out on loan is recorded as not filtered off site" in register
    loans = text(office.get("/devices/loans/"))
    assert loans.index("Laptop unfiltered") < loans.index("Laptop filtered")
    loan = unfiltered.loans.get()
    assert office.post(f"/devices/loans/{loan.pk}/return/", {"on": today.isoformat()}).status_code == 302
    assert "not filtered off site" not in text(office.get("/devices/"))


def test_the_slip_shows_the_password_once(cast: Cast, password_file: Path) -> None:
    guest = visitor(cast.a, first_name="Helen", last_name="Marsh", organisation="Local library")
    office = logged_in(cast.omar)
    assert "Make a login" in text(office.get("/devices/guests/"))
    assert office.get(f"/devices/guests/new/{guest.pk}/").status_code == 200
    until = timezone.localtime(guest.expires_at).strftime("%Y-%m-%dT%H:%M")
    response = office.post(f"/devices/guests/new/{guest.pk}/", {"until": until})
    assert response.status_code == 200, text(response)[:2000]
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    password = page.split('<code id="password">')[1].split("</code>")[0]
    shown = text(response)
    assert "Northfield Primary" in shown and "Helen Marsh" in shown and "helen.marsh" in shown
    assert (
        "shown only this once" in shown and "How to connect" in shown and "Do not try to get round" in shown
    )
    hashed = dict(line.split(":", 1) for line in password_file.read_text().splitlines())["helen.marsh"]
    assert bcrypt.checkpw(password.encode(), hashed.encode())
    login = GuestLogin.objects.get(person=guest)
    again = office.get(f"/devices/guests/{login.pk}/")
    assert password not in again.content.decode() and "not kept" in text(again)
    assert password not in office.get("/devices/guests/").content.decode()
    assert office.post(f"/devices/guests/{login.pk}/end/").status_code == 302
    assert "helen.marsh" not in password_file.read_text()
    assert "This login has ended" in text(office.get(f"/devices/guests/{login.pk}/"))


def test_guest_logins_say_when_the_file_is_not_set_up(cast: Cast) -> None:
    guest = visitor(cast.a)
    office = logged_in(cast.omar)
    assert "not set up on this server" in text(office.get("/devices/guests/"))
    response = office.post(f"/devices/guests/new/{guest.pk}/", {"until": "2099-01-01T10:00"})
    assert response.status_code == 200 and "not set up" in text(response)
    assert not GuestLogin.objects.exists()


def test_a_guest_login_is_for_temporary_people_only(cast: Cast, password_file: Path) -> None:
    office = logged_in(cast.omar)
    assert office.get(f"/devices/guests/new/{person(cast.a, PersonKind.STAFF).pk}/").status_code == 404
    guest = visitor(cast.a)
    response = office.post(f"/devices/guests/new/{guest.pk}/", {"until": "next tuesday"})
    assert response.status_code == 200 and "Give a date and time" in text(response)
    response = office.post(f"/devices/guests/new/{guest.pk}/", {"until": "2199-01-01T10:00"})
    assert "or earlier" in text(response)
    assert not GuestLogin.objects.exists()


def test_a_persons_page_leads_to_their_devices(cast: Cast) -> None:
    owner = person(cast.a, PersonKind.STAFF, first_name="Ravi", last_name="Patel")
    make_device(cast, cast.a, DeviceKind.STAFF, owner=owner, label="Ravi's phone")
    make_device(cast, cast.a, label="Someone else's laptop")
    office = logged_in(cast.omar)
    page = text(office.get(f"/people/{owner.pk}/"))
    assert "Devices (1)" in page
    listed = text(office.get(f"/devices/?owner={owner.pk}"))
    assert "Ravi's phone" in listed and "Someone else's laptop" not in listed
    assert "Devices (" not in text(logged_in(cast.tom).get(f"/people/{owner.pk}/"))


def test_the_demo_seeds_a_handful_once(cast: Cast) -> None:
    from schoolgate.web.devices.demo import seed_demo
    from schoolgate.web.devices.models import Loan

    person(cast.a, PersonKind.STAFF, first_name="Ravi", last_name="Patel")
    person(cast.a)
    visitor(cast.a)
    seed_demo(cast.a, timezone.now())
    seed_demo(cast.a, timezone.now())
    assert Device.objects.filter(school=cast.a).count() == 5
    assert Loan.objects.filter(school=cast.a).out().count() == 1
    assert "1 device out on loan" in text(logged_in(cast.omar).get("/devices/"))


def _rows(cast: Cast, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        owner = person(cast.a, PersonKind.STAFF, first_name=f"Owner{i}", last_name="Staff")
        make_device(cast, cast.a, DeviceKind.STAFF, owner=owner)
        lent = make_device(cast, cast.a, off_site=OffSite.NOT_FILTERED)
        actions.do_lend(lent, owner, actor=cast.omar, out_on=today, due_back=today)
        login_for = visitor(cast.a)
        soon = timezone.now() + dt.timedelta(days=1)
        GuestLogin.objects.create(school=cast.a, person=login_for, username=f"guest{i}", made_by=cast.omar,
                                  made_at=timezone.now(), until=soon)  # fmt: skip


def test_the_lists_ask_the_same_number_of_queries_however_many_rows(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actions.byod_table(cast.a)  # seeded on first use: once
    office = logged_in(cast.omar)
    counts: dict[str, list[int]] = {}
    for n in (1, 20):
        _rows(cast, n)
        for url in ("/devices/", "/devices/loans/", "/devices/guests/", "/devices/byod/"):
            with CaptureQueriesContext(connection) as queries:
                assert office.get(url).status_code == 200
            counts.setdefault(url, []).append(len(queries))
    assert all(a == b for a, b in counts.values()), counts


def test_the_long_lists_keep_the_choice_and_escape_names(cast: Cast) -> None:
    owner = person(cast.a, PersonKind.STAFF, first_name="<b>Bold</b>", last_name="O'Hara & Co")
    device = make_device(cast, cast.a, DeviceKind.STAFF, owner=owner)
    page = logged_in(cast.omar).get(f"/devices/{device.pk}/change/").content.decode()
    assert (
        f'<option value="{owner.pk}" selected>O&#x27;Hara &amp; Co, &lt;b&gt;Bold&lt;/b&gt;</option>' in page
    )
    assert '<option value="" selected>None yet</option>' in page  # no identity chosen
    assert "<b>Bold</b>" not in page
