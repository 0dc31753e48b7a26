"""Every change the devices pages make, as `do_verb(obj, *, actor, ...)` functions (`core.actions`):
each checks the actor's capability at the record's school itself, refuses bad input with
ValidationError, runs in one transaction and is written to the audit trail.

- The BYOD table: `byod_table` (seeded from policy 002 on first use), `do_set_byod` (BYOD_CHANGE).
- Devices: `do_save_device`, `do_archive_device` (DEVICES_CHANGE); a new network identity for one goes
  through the people app's `do_save_identity`, which checks IDENTITIES_CHANGE; `do_approve_device`
  (BYOD_APPROVE_SLT or BYOD_APPROVE_NM, as the device's row asks; never the one who added the device
  or whose it is).
- Loans: `do_lend`, `do_return` (DEVICES_CHANGE).
- Guest logins: `do_give_guest_login`, `do_end_guest_login` (GUEST_LOGINS). The guest's USERNAME
  identity is made here under GUEST_LOGINS, not through the people app's action (which needs
  IDENTITIES_CHANGE, which the office does not hold): it is the login's own user name, made by it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.actions import REASON_MAX, Operator, acting, archive, require, save
from schoolgate.web.devices import guests
from schoolgate.web.devices.choices import PERSONAL, SCHOOL_OWNED, Approval, DeviceKind, NetworkAccess
from schoolgate.web.devices.models import ByodRule, Device, GuestLogin, Loan
from schoolgate.web.people import actions as people_actions
from schoolgate.web.people.choices import TEMPORARY_KINDS, IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

# The table as policy 002 sets it ("Mobile Technologies (including BYOD/BYOT)"): school devices allowed
# with full network access; pupils' own devices internet only; staff's and visitors' own devices
# internet only, "subject to approval from SLT / Network Manager" (SLT for staff's, the network
# manager for visitors'). The school changes it on the BYOD page.
POLICY_002: dict[DeviceKind, tuple[bool, NetworkAccess, Approval]] = {
    DeviceKind.SCHOOL_SINGLE: (True, NetworkAccess.FULL, Approval.NONE),
    DeviceKind.SCHOOL_SHARED: (True, NetworkAccess.FULL, Approval.NONE),
    DeviceKind.SCHEME: (True, NetworkAccess.FULL, Approval.NONE),
    DeviceKind.PUPIL: (True, NetworkAccess.INTERNET, Approval.NONE),
    DeviceKind.STAFF: (True, NetworkAccess.INTERNET, Approval.SLT),
    DeviceKind.VISITOR: (True, NetworkAccess.INTERNET, Approval.NETWORK_MANAGER),
}
SEEDER = "Schoolgate: the BYOD table of policy 002, the school's starting point"

# Whose a personal device may be, by the kind of person.
OWNER_KINDS: dict[DeviceKind, frozenset[str]] = {
    DeviceKind.SCHEME: frozenset({PersonKind.PUPIL}),
    DeviceKind.PUPIL: frozenset({PersonKind.PUPIL}),
    DeviceKind.STAFF: frozenset({PersonKind.STAFF, PersonKind.SUPPLY}),
    DeviceKind.VISITOR: frozenset(
        {PersonKind.VISITOR, PersonKind.COMMUNITY, PersonKind.SUPPLY, PersonKind.GOVERNOR, PersonKind.PARENT}
    ),
}
APPROVER = {Approval.SLT: Capability.BYOD_APPROVE_SLT, Approval.NETWORK_MANAGER: Capability.BYOD_APPROVE_NM}
LOAN_DAYS_MAX = 400  # a loan longer than a school year and a bit is a typing mistake


# ---------------------------------------------------------------------------------------------------
# The BYOD table


def byod_table(school: School) -> dict[DeviceKind, ByodRule]:
    """The school's table, one row per kind of device, in the policy's order; rows missing (a new
    school) are made with policy 002's values."""
    rows = {DeviceKind(r.kind): r for r in ByodRule.objects.filter(school=school)}
    missing = [kind for kind in DeviceKind if kind not in rows]
    if missing:
        with transaction.atomic(), acting(SEEDER):
            for kind in missing:
                allowed, access, approval = POLICY_002[kind]
                rows[kind], _ = ByodRule.objects.get_or_create(
                    school=school,
                    kind=kind,
                    defaults={"allowed": allowed, "access": access, "approval": approval},
                )
    return {kind: rows[kind] for kind in DeviceKind}


@dataclass(frozen=True)
class Row:
    """One row as the school sets it."""

    allowed: bool
    access: NetworkAccess
    approval: Approval


def do_set_byod(school: School, rows: dict[DeviceKind, Row], *, actor: User | Operator) -> int:
    """Change the table's rows given; how many changed. A kind not allowed in school has no network
    access, and needs no approval."""
    require(actor, Capability.BYOD_CHANGE, school)
    table = byod_table(school)
    changed = 0
    with transaction.atomic(), acting(actor, "the BYOD table changed"):
        for kind, row in rows.items():
            rule = table[DeviceKind(kind)]
            access = row.access if row.allowed else NetworkAccess.NONE
            approval = row.approval if row.allowed else Approval.NONE
            if (rule.allowed, rule.access, rule.approval) == (row.allowed, access, approval):
                continue
            rule.allowed, rule.access, rule.approval = row.allowed, access, approval
            rule.save()
            changed += 1
    return changed


# ---------------------------------------------------------------------------------------------------
# Devices


def _check_device(device: Device) -> None:
    errors: dict[str, str] = {}
    kind = DeviceKind(device.kind)
    owner: Person | None = device.owner
    for name in ("owner", "class_group", "identity"):
        related = getattr(device, name)
        if related is not None and related.school_id != device.school_id:
            errors[name] = "That belongs to another school"
    if kind in PERSONAL:
        if owner is None:
            errors["owner"] = "Say whose device it is"
        elif owner.kind not in OWNER_KINDS[kind]:
            errors["owner"] = (
                f"{owner.full_name} is {owner.get_kind_display().lower()}: choose whose it is again"
            )
        if device.class_group_id:
            errors["class_group"] = "A personal device belongs to a person, not a class"
    if kind == DeviceKind.SCHOOL_SHARED and owner is not None:
        errors["owner"] = "A shared device has no single user: leave it empty, or choose a class"
    if owner is not None and owner.archived_at is not None:
        errors.setdefault("owner", f"{owner.full_name}'s record is archived")
    # An address range stands for many devices: a trolley or a suite, never one device.
    if (
        device.identity is not None
        and device.identity.kind == IdentityKind.NETWORK
        and kind != DeviceKind.SCHOOL_SHARED
    ):
        errors["identity"] = (
            "An address range is for a shared trolley or suite: choose an address or a user name"
        )
    if errors:
        raise ValidationError(errors)


def do_save_device(
    device: Device, *, actor: User | Operator, new_identity: NetworkIdentity | None = None
) -> Device:
    """Add or change a device. `new_identity` (unsaved) is made through the people app's action, which
    checks IDENTITIES_CHANGE, and linked. A change of whose it is, of its owner or of its network
    identity undoes an approval: the row's approver decides again."""
    require(actor, Capability.DEVICES_CHANGE, device.school_id)
    if device.archived_at is not None:
        raise ValidationError("The device is archived: bring it back first")
    with transaction.atomic(), acting(actor):
        if new_identity is not None:
            if isinstance(actor, Operator):
                save(new_identity, actor=actor)
            else:
                new_identity.full_clean()
                people_actions.do_save_identity(new_identity, actor=actor)
            device.identity = new_identity
        _check_device(device)
        if device.pk is None:
            device.added_by_id = None if isinstance(actor, Operator) else actor.pk
            device.added_at = timezone.now()
        else:
            before = Device.objects.get(pk=device.pk)
            # Whose it is, its owner and the identity that ties it to the filter are what was
            # approved: a change to any of them (say, the identity swapped for another address
            # after the approval) waits for the approver again.
            if (before.kind, before.owner_id, before.identity_id) != (
                device.kind,
                device.owner_id,
                device.identity_id,
            ):
                device.approved_as, device.approved_by, device.approved_at = Approval.NONE, None, None
        device.save()
    return device


def do_approve_device(device: Device, *, actor: User) -> Device:
    """Approve a device whose row of the table asks for it, by a holder of the capability the row
    names; the one who added it, or whose it is, may not approve it."""
    rule = byod_table(device.school)[DeviceKind(device.kind)]
    needed = Approval(rule.approval)
    if needed == Approval.NONE:
        raise ValidationError("Devices of this kind need no approval")
    require(actor, APPROVER[needed], device.school_id)
    if device.archived_at is not None:
        raise ValidationError("The device is archived")
    if not rule.allowed:
        raise ValidationError("The BYOD table does not allow devices of this kind in school")
    if device.added_by_id == actor.pk:
        raise PermissionDenied("You added this device: someone else must approve it")
    if device.owner is not None and device.owner.user_id == actor.pk:
        raise PermissionDenied("This is your own device: someone else must approve it")
    if device.approved_as == needed:
        raise ValidationError("The device is approved already")
    device.approved_as, device.approved_by, device.approved_at = needed, actor, timezone.now()
    save(device, actor=actor, reason=f"approved ({needed.label})")
    return device


def do_archive_device(device: Device, *, actor: User | Operator, reason: str) -> Device:
    """Take a device off the register (sold, broken, left with its owner); kept, with why. A device
    out on loan comes back first."""
    require(actor, Capability.DEVICES_CHANGE, device.school_id)
    if device.archived_at is not None:
        raise ValidationError("The device is archived already")
    if device.loans.out().exists():
        raise ValidationError("The device is out on loan: record it returned first")
    archive(device, actor=actor, reason=reason)
    return device


# ---------------------------------------------------------------------------------------------------
# Loans


def do_lend(
    device: Device,
    person: Person,
    *,
    actor: User | Operator,
    out_on: dt.date,
    due_back: dt.date,
    note: str = "",
) -> Loan:
    """Record a school device taken home by `person`."""
    require(actor, Capability.DEVICES_CHANGE, device.school_id)
    if person.school_id != device.school_id:
        raise ValidationError({"person": "That person belongs to another school"})
    if DeviceKind(device.kind) not in SCHOOL_OWNED:
        raise ValidationError("Only the school's own devices are lent")
    if device.archived_at is not None:
        raise ValidationError("The device is archived")
    if person.archived_at is not None or (
        person.expires_at is not None and person.expires_at <= timezone.now()
    ):
        raise ValidationError({"person": f"{person.full_name} is no longer at the school"})
    if due_back < out_on:
        raise ValidationError({"due_back": "It cannot be due back before it goes out"})
    if (due_back - out_on).days > LOAN_DAYS_MAX:
        raise ValidationError({"due_back": f"A loan lasts at most {LOAN_DAYS_MAX} days: check the date"})
    loan = Loan(
        school_id=device.school_id,
        device=device,
        person=person,
        out_on=out_on,
        due_back=due_back,
        lent_by_id=None if isinstance(actor, Operator) else actor.pk,
        note=" ".join(note.split())[:REASON_MAX],
    )
    try:
        with transaction.atomic(), acting(actor, "lent"):
            if device.loans.out().exists():
                raise ValidationError(f"{device} is out on loan already: record it returned first")
            loan.save()
    except IntegrityError:  # the same device lent at the same moment on another computer
        raise ValidationError(f"{device} is out on loan already") from None
    return loan


def do_return(loan: Loan, *, actor: User | Operator, on: dt.date) -> Loan:
    """Record a lent device back in school."""
    require(actor, Capability.DEVICES_CHANGE, loan.school_id)
    if loan.returned_on is not None:
        raise ValidationError("It is back already")
    if on < loan.out_on:
        raise ValidationError({"on": "It cannot come back before it went out"})
    loan.returned_on = on
    save(loan, actor=actor, reason="returned")
    return loan


# ---------------------------------------------------------------------------------------------------
# Guest logins


def do_give_guest_login(
    person: Person, *, actor: User, until: dt.datetime | None = None
) -> tuple[GuestLogin, str]:
    """Give a visitor, supply teacher or community user a proxy login until `until` (at most, and by
    default, the end of their access): a user name made from their name, a password of words written
    (bcrypt) to the proxy's password file, and a USERNAME network identity so that the policy places
    them. Returns the login and the password, which is shown once and never stored."""
    require(actor, Capability.GUEST_LOGINS, person.school_id)
    now = timezone.now()
    if person.kind not in TEMPORARY_KINDS:
        raise ValidationError("Only visitors, supply staff and community users get a guest login")
    if person.archived_at is not None or person.expires_at is None or person.expires_at <= now:
        raise ValidationError(f"{person.full_name}'s access has ended: change its end date first")
    until = until or person.expires_at
    if until <= now:
        raise ValidationError({"until": "Choose a time still to come"})
    if until > person.expires_at:
        ends = timezone.localtime(person.expires_at)
        raise ValidationError(
            {"until": f"{person.full_name}'s access ends {ends:%d/%m/%Y %H:%M}: choose that or earlier"}
        )
    path = guests.password_file()
    if path is None:
        raise ValidationError("The proxy's password file is not set up on this server: no login was made")
    password = guests.make_password()
    written: str | None = None  # the user name once its line is in the file
    try:
        with guests.edit_lock(path):
            try:
                with transaction.atomic(), acting(actor, "guest login given"):
                    if GuestLogin.objects.select_for_update().filter(person=person).active().exists():
                        raise ValidationError(f"{person.full_name} has a login already: end it first")
                    in_file = guests.users_in(path)
                    username = guests.username_for(
                        person.first_name,
                        person.last_name,
                        lambda name: guests.username_taken(name, in_file),
                    )
                    identity = NetworkIdentity.objects.create(
                        school_id=person.school_id,
                        kind=IdentityKind.USERNAME,
                        value=username,
                        person=person,
                        label=f"Guest proxy login of {person.full_name}"[:200],
                    )
                    login = GuestLogin.objects.create(
                        school_id=person.school_id,
                        person=person,
                        username=username,
                        identity=identity,
                        made_by=actor,
                        made_at=now,
                        until=until,
                    )
                    guests.add_user(path, username, password)  # last: a failure undoes the records
                    written = username
            except BaseException:
                # The records were not kept (the commit failed after the line was written): a line
                # with no login record would never be taken out on time, so it goes now.
                if written is not None:
                    with contextlib.suppress(guests.GuestFileError):
                        guests.drop_user(path, written)
                raise
    except guests.GuestFileError as exc:
        raise ValidationError(f"The login could not be made: {exc}") from None
    except IntegrityError:  # another computer gave them a login at the same moment
        raise ValidationError(f"{person.full_name} has a login already") from None
    return login, password


def do_end_guest_login(login: GuestLogin, *, actor: User) -> GuestLogin:
    """End a guest login now: out of the password file, recorded as ended by `actor`."""
    require(actor, Capability.GUEST_LOGINS, login.school_id)
    if login.removed_at is not None:
        raise ValidationError("The login has ended already")
    path = guests.password_file()
    if path is None:
        raise ValidationError("The proxy's password file is not set up on this server")
    try:
        with guests.edit_lock(path), transaction.atomic(), acting(actor, "guest login ended early"):
            login.removed_at = timezone.now()
            login.removed_by = actor
            login.removed_why = "ended early"
            login.save()
            guests.drop_user(path, login.username)
    except guests.GuestFileError as exc:
        raise ValidationError(f"The login could not be ended: {exc}") from None
    return login
