"""The devices actions: the BYOD table (seeded from policy 002, changed only by those who may) and its
effect on each device's access; approval by the capability the row names, never by the one who added
the device or whose it is; devices and loans checked against the school, the owner and the dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from schoolgate.web.core.actions import Operator
from schoolgate.web.devices import actions
from schoolgate.web.devices.choices import Approval, DeviceKind, DeviceType, NetworkAccess
from schoolgate.web.devices.models import ByodRule, Device
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity
from tests.web.devices.samples import make_device, visitor
from tests.web.factories import Cast, person

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


def staff(cast: Cast, **fields: object) -> object:
    return person(cast.a, PersonKind.STAFF, first_name="Sam", last_name="Staff", **fields)


def new_device(cast: Cast, kind: DeviceKind = DeviceKind.SCHOOL_SINGLE, **fields: object) -> Device:
    fields.setdefault("device_type", DeviceType.LAPTOP)
    fields.setdefault("label", "Laptop 12")
    return Device(school=cast.a, kind=kind, **fields)


# ---------------------------------------------------------------------------------------------------
# The table


def test_a_new_school_gets_policy_002s_table_once(cast: Cast) -> None:
    table = actions.byod_table(cast.a)
    assert list(table) == list(DeviceKind)
    rows = {k: (r.allowed, r.access, r.approval) for k, r in table.items()}
    assert rows == {k: (a, n.value, p.value) for k, (a, n, p) in actions.POLICY_002.items()}
    actions.byod_table(cast.a)
    assert ByodRule.objects.filter(school=cast.a).count() == len(DeviceKind)
    assert not ByodRule.objects.filter(school=cast.b).exists()


@pytest.mark.parametrize(
    ("row", "approved_as", "state", "access"),
    [
        (actions.Row(True, NetworkAccess.FULL, Approval.NONE), Approval.NONE, "allowed", NetworkAccess.FULL),
        (
            actions.Row(True, NetworkAccess.INTERNET, Approval.NONE),
            Approval.NONE,
            "allowed",
            NetworkAccess.INTERNET,
        ),
        (
            actions.Row(True, NetworkAccess.INTERNET, Approval.SLT),
            Approval.NONE,
            "waiting",
            NetworkAccess.NONE,
        ),
        (
            actions.Row(True, NetworkAccess.INTERNET, Approval.SLT),
            Approval.SLT,
            "allowed",
            NetworkAccess.INTERNET,
        ),
        # approved by SLT, then the table asks for the network manager: it waits again
        (
            actions.Row(True, NetworkAccess.FULL, Approval.NETWORK_MANAGER),
            Approval.SLT,
            "waiting",
            NetworkAccess.NONE,
        ),
        (actions.Row(False, NetworkAccess.FULL, Approval.NONE), Approval.NONE, "refused", NetworkAccess.NONE),
        (actions.Row(False, NetworkAccess.FULL, Approval.SLT), Approval.SLT, "refused", NetworkAccess.NONE),
    ],
)
def test_a_devices_access_follows_its_row(
    cast: Cast, row: actions.Row, approved_as: Approval, state: str, access: NetworkAccess
) -> None:
    actions.do_set_byod(cast.a, {DeviceKind.STAFF: row}, actor=cast.hana)
    device = make_device(cast, cast.a, DeviceKind.STAFF, owner=staff(cast), approved_as=approved_as)
    got = device.access_under(actions.byod_table(cast.a)[DeviceKind.STAFF])
    assert (got.state, got.access) == (state, access), got


def test_a_kind_not_allowed_keeps_no_access_and_no_approval(cast: Cast) -> None:
    changed = actions.do_set_byod(
        cast.a, {DeviceKind.PUPIL: actions.Row(False, NetworkAccess.FULL, Approval.SLT)}, actor=cast.nina
    )
    rule = actions.byod_table(cast.a)[DeviceKind.PUPIL]
    assert changed == 1 and (rule.allowed, rule.access, rule.approval) == (False, "none", "none")
    assert (
        actions.do_set_byod(
            cast.a, {DeviceKind.PUPIL: actions.Row(False, NetworkAccess.NONE, Approval.NONE)}, actor=cast.nina
        )
        == 0
    )


@pytest.mark.parametrize("name", ["sami", "omar", "alice", "tom", "gina", "zack"])
def test_only_the_network_manager_and_head_change_the_table(cast: Cast, name: str) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_set_byod(
            cast.a,
            {DeviceKind.PUPIL: actions.Row(False, NetworkAccess.NONE, Approval.NONE)},
            actor=cast.users[name],
        )
    assert actions.byod_table(cast.a)[DeviceKind.PUPIL].allowed


# ---------------------------------------------------------------------------------------------------
# Approval


@pytest.mark.parametrize(
    ("kind", "approver", "refused"),
    [
        (DeviceKind.STAFF, "sami", ["nina", "omar", "alice", "tom", "zack"]),  # SLT's row
        (DeviceKind.STAFF, "hana", []),
        (DeviceKind.VISITOR, "nina", ["sami", "hana", "omar", "zack"]),  # the network manager's row
    ],
)
def test_approval_needs_the_capability_the_row_names(
    cast: Cast, kind: DeviceKind, approver: str, refused: list[str]
) -> None:
    owner = staff(cast) if kind == DeviceKind.STAFF else visitor(cast.a)
    device = actions.do_save_device(new_device(cast, kind, owner=owner), actor=cast.omar)
    rule = actions.byod_table(cast.a)[kind]
    assert device.access_under(rule).state == "waiting"
    for name in refused:
        with pytest.raises(PermissionDenied):
            actions.do_approve_device(device, actor=cast.users[name])
    actions.do_approve_device(device, actor=cast.users[approver])
    device.refresh_from_db()
    assert device.access_under(rule).state == "allowed" and device.approved_by == cast.users[approver]
    with pytest.raises(ValidationError, match="approved already"):
        actions.do_approve_device(device, actor=cast.users[approver])


def test_the_one_who_added_a_device_never_approves_it(cast: Cast) -> None:
    device = actions.do_save_device(
        new_device(cast, DeviceKind.VISITOR, owner=visitor(cast.a)), actor=cast.nina
    )
    with pytest.raises(PermissionDenied, match="someone else"):
        actions.do_approve_device(device, actor=cast.nina)
    device.refresh_from_db()
    assert device.approved_by is None


def test_nobody_approves_their_own_device(cast: Cast) -> None:
    mine = staff(cast, user=cast.sami)
    device = actions.do_save_device(new_device(cast, DeviceKind.STAFF, owner=mine), actor=cast.omar)
    with pytest.raises(PermissionDenied, match="your own"):
        actions.do_approve_device(device, actor=cast.sami)


def test_a_device_needing_no_approval_is_not_approved(cast: Cast) -> None:
    device = actions.do_save_device(new_device(cast), actor=cast.omar)
    with pytest.raises(ValidationError, match="no approval"):
        actions.do_approve_device(device, actor=cast.hana)


def test_a_change_of_owner_undoes_the_approval(cast: Cast) -> None:
    device = actions.do_save_device(new_device(cast, DeviceKind.STAFF, owner=staff(cast)), actor=cast.omar)
    actions.do_approve_device(device, actor=cast.sami)
    device.refresh_from_db()
    device.label = "Renamed"
    actions.do_save_device(device, actor=cast.omar)
    assert Device.objects.get(pk=device.pk).approved_as == Approval.SLT  # a new name keeps it
    device.owner = person(cast.a, PersonKind.STAFF, first_name="Other", last_name="Owner")
    actions.do_save_device(device, actor=cast.omar)
    device.refresh_from_db()
    assert (device.approved_as, device.approved_by) == (Approval.NONE, None)


def test_a_change_of_network_identity_undoes_the_approval(cast: Cast) -> None:
    """The identity is what ties the device to the filter: an approved device whose address is then
    swapped for another (by someone who may not approve) must not keep the approval."""
    first = NetworkIdentity.objects.create(school=cast.a, kind=IdentityKind.DEVICE, value="10.0.0.5")
    other = NetworkIdentity.objects.create(school=cast.a, kind=IdentityKind.DEVICE, value="10.0.0.6")
    device = actions.do_save_device(
        new_device(cast, DeviceKind.STAFF, owner=staff(cast), identity=first), actor=cast.omar
    )
    actions.do_approve_device(device, actor=cast.sami)
    device.refresh_from_db()
    device.identity = other
    actions.do_save_device(device, actor=cast.omar)
    device.refresh_from_db()
    assert (device.approved_as, device.approved_by) == (Approval.NONE, None)


# ---------------------------------------------------------------------------------------------------
# Devices


@pytest.mark.parametrize("name", ["sami", "hana", "tom", "alice", "zack"])
def test_only_the_network_manager_and_office_add_devices(cast: Cast, name: str) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_save_device(new_device(cast), actor=cast.users[name])
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("kind", "owner_kind", "field"),
    [
        (DeviceKind.PUPIL, None, "owner"),
        (DeviceKind.PUPIL, PersonKind.STAFF, "owner"),
        (DeviceKind.STAFF, PersonKind.PUPIL, "owner"),
        (DeviceKind.VISITOR, PersonKind.PUPIL, "owner"),
        (DeviceKind.SCHOOL_SHARED, PersonKind.STAFF, "owner"),
    ],
)
def test_whose_a_device_is_must_fit_its_owner(
    cast: Cast, kind: DeviceKind, owner_kind: PersonKind | None, field: str
) -> None:
    owner = person(cast.a, owner_kind) if owner_kind else None
    with pytest.raises(ValidationError) as caught:
        actions.do_save_device(new_device(cast, kind, owner=owner), actor=cast.omar)
    assert field in caught.value.message_dict


def test_another_schools_records_are_refused(cast: Cast) -> None:
    theirs = person(cast.b, PersonKind.STAFF)
    with pytest.raises(ValidationError) as caught:
        actions.do_save_device(new_device(cast, DeviceKind.STAFF, owner=theirs), actor=cast.omar)
    assert "another school" in str(caught.value)
    their_device = make_device(cast, cast.b)
    with pytest.raises(PermissionDenied):
        actions.do_save_device(their_device, actor=cast.omar)
    with pytest.raises(PermissionDenied):
        actions.do_archive_device(their_device, actor=cast.omar, reason="mine now")
    with pytest.raises(PermissionDenied):
        actions.do_lend(their_device, person(cast.a), actor=cast.omar, out_on=TODAY, due_back=TODAY)


def test_a_new_identity_goes_through_the_people_apps_check(cast: Cast) -> None:
    identity = NetworkIdentity(school=cast.a, kind=IdentityKind.DEVICE, value="10.10.5.99")
    with pytest.raises(PermissionDenied):  # the office may add devices, not network identities
        actions.do_save_device(new_device(cast), actor=cast.omar, new_identity=identity)
    assert not Device.objects.exists() and not NetworkIdentity.objects.exists()
    device = actions.do_save_device(new_device(cast), actor=cast.nina, new_identity=identity)
    assert device.identity is not None and device.identity.value == "10.10.5.99"
    bad = NetworkIdentity(school=cast.a, kind=IdentityKind.DEVICE, value="not an address")
    with pytest.raises(ValidationError):
        actions.do_save_device(new_device(cast, label="Laptop 13"), actor=cast.nina, new_identity=bad)


def test_an_address_range_is_only_for_a_shared_trolley(cast: Cast) -> None:
    tablets = NetworkIdentity.objects.create(school=cast.a, kind=IdentityKind.NETWORK, value="10.10.1.0/24")
    with pytest.raises(ValidationError):
        actions.do_save_device(new_device(cast, identity=tablets), actor=cast.omar)
    actions.do_save_device(new_device(cast, DeviceKind.SCHOOL_SHARED, identity=tablets), actor=cast.omar)


# ---------------------------------------------------------------------------------------------------
# Loans


def test_a_loan_goes_out_once_and_comes_back(cast: Cast) -> None:
    device = actions.do_save_device(new_device(cast), actor=cast.omar)
    pupil = person(cast.a)
    loan = actions.do_lend(
        device, pupil, actor=cast.omar, out_on=TODAY, due_back=TODAY + dt.timedelta(days=7)
    )
    assert loan.overdue(TODAY + dt.timedelta(days=8)) and not loan.overdue(TODAY)
    with pytest.raises(ValidationError, match="out on loan"):
        actions.do_lend(device, pupil, actor=cast.omar, out_on=TODAY, due_back=TODAY)
    with pytest.raises(ValidationError, match="out on loan"):
        actions.do_archive_device(device, actor=cast.omar, reason="sold")
    with pytest.raises(ValidationError):
        actions.do_return(loan, actor=cast.omar, on=TODAY - dt.timedelta(days=1))
    actions.do_return(loan, actor=cast.omar, on=TODAY + dt.timedelta(days=3))
    with pytest.raises(ValidationError, match="back already"):
        actions.do_return(loan, actor=cast.omar, on=TODAY)
    actions.do_lend(device, pupil, actor=cast.omar, out_on=TODAY, due_back=TODAY)


@pytest.mark.parametrize(
    ("kind", "out", "due", "message"),
    [
        (DeviceKind.SCHOOL_SINGLE, TODAY, TODAY - dt.timedelta(days=1), "before it goes out"),
        (DeviceKind.SCHOOL_SINGLE, TODAY, TODAY + dt.timedelta(days=actions.LOAN_DAYS_MAX + 1), "at most"),
        (DeviceKind.STAFF, TODAY, TODAY, "school's own"),
    ],
)
def test_a_loan_refuses_what_cannot_be(
    cast: Cast, kind: DeviceKind, out: dt.date, due: dt.date, message: str
) -> None:
    device = make_device(cast, cast.a, kind, owner=staff(cast) if kind == DeviceKind.STAFF else None)
    with pytest.raises(ValidationError, match=message):
        actions.do_lend(device, person(cast.a), actor=cast.omar, out_on=out, due_back=due)


def test_a_loan_is_for_someone_still_at_the_school(cast: Cast) -> None:
    device = make_device(cast, cast.a)
    gone = visitor(cast.a, expires_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="no longer"):
        actions.do_lend(device, gone, actor=cast.omar, out_on=TODAY, due_back=TODAY)
    with pytest.raises(ValidationError, match="another school"):
        actions.do_lend(device, person(cast.b), actor=cast.omar, out_on=TODAY, due_back=TODAY)


def test_the_operator_may_act_for_the_demo(cast: Cast) -> None:
    device = actions.do_save_device(new_device(cast), actor=Operator("test"))
    assert device.added_by is None
