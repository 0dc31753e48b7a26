"""The device register, loans of school devices, the school's BYOD table, and guest proxy logins.

Every record is kept (archived, never deleted) and audited. A device's network access is not stored:
it follows from its row of the BYOD table (`ByodRule`) and, where the row asks for one, an approval
given for that row's level (`Device.approved_as`), so a change to the table changes every device's
access at once, and a device approved under an older, laxer row waits again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from schoolgate.web.core.models import Archivable, ArchivableQuerySet, Kept
from schoolgate.web.devices.choices import Approval, DeviceKind, DeviceType, NetworkAccess, OffSite
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person
from schoolgate.web.tenancy.querysets import SchoolQuerySet


class ByodRule(Kept):
    """One row of the BYOD table of policy 002: whether devices of this kind are allowed in school,
    which network access they get, and whose approval each one needs first."""

    kind = models.CharField(max_length=20, choices=DeviceKind.choices)
    allowed = models.BooleanField("allowed in school", default=False)
    access = models.CharField(max_length=10, choices=NetworkAccess.choices, default=NetworkAccess.NONE)
    approval = models.CharField(
        "approval needed", max_length=10, choices=Approval.choices, default=Approval.NONE
    )

    objects = SchoolQuerySet["ByodRule"].as_manager()

    class Meta:
        ordering = ("school", "id")
        constraints = (models.UniqueConstraint(fields=("school", "kind"), name="byod_rule_once"),)
        verbose_name = "BYOD table row"

    def __str__(self) -> str:
        return self.get_kind_display()


@dataclass(frozen=True)
class Access:
    """What a device may do on the school's network, from its row of the table, in words."""

    state: str  # "allowed", "waiting" or "refused"
    access: NetworkAccess
    words: str
    waiting_for: Approval = Approval.NONE


class Device(Archivable, Kept):
    """A device on the register: school owned, or a personal device authorised to use the network;
    whose it is (a person, or a class for a shared one), and the network identity that ties it to the
    filter (its address, or the user name it logs in with)."""

    kind = models.CharField("whose it is", max_length=20, choices=DeviceKind.choices)
    device_type = models.CharField("what it is", max_length=20, choices=DeviceType.choices)
    label = models.CharField(
        max_length=100, help_text='What the school calls it: "Laptop 12", "KS2 iPad trolley"'
    )
    make_model = models.CharField("make and model", max_length=100, blank=True)
    asset_tag = models.CharField(max_length=50, blank=True)
    serial = models.CharField("serial number", max_length=100, blank=True)
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="devices",
        help_text="Who uses it, or whose it is",
    )  # fmt: skip
    class_group = models.ForeignKey(
        ClassGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="devices",
        verbose_name="class", help_text="For a shared device: the class it is kept for",
    )  # fmt: skip
    # An identity removed in the people pages leaves the device without one (it is a key, not a record).
    identity = models.ForeignKey(
        NetworkIdentity, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices",
        verbose_name="network identity",
    )  # fmt: skip
    off_site = models.CharField(
        "filtering off site", max_length=20, choices=OffSite.choices, blank=True, default=OffSite.NOT_RECORDED
    )
    off_site_note = models.CharField("how (off site)", max_length=200, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    added_by = models.ForeignKey(  # None: the server's operator (the demo, a command)
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()
    approved_as = models.CharField(max_length=10, choices=Approval.choices, default=Approval.NONE)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = ArchivableQuerySet["Device"].as_manager()

    class Meta:
        ordering = ("school", "label")
        indexes = (models.Index(fields=("school", "kind")),)

    def __str__(self) -> str:
        return self.label

    def access_under(self, rule: ByodRule | None) -> Access:
        """The device's access under its row of the table (None: the row is missing, so nothing)."""
        if rule is None or not rule.allowed:
            return Access("refused", NetworkAccess.NONE, "Not allowed in school (the BYOD table)")
        access = NetworkAccess(rule.access)
        needed = Approval(rule.approval)
        if needed not in (Approval.NONE, self.approved_as):
            return Access(
                "waiting",
                NetworkAccess.NONE,
                f"Waiting for approval ({needed.label}); then {access.label.lower()}",
                needed,
            )
        return Access("allowed", access, access.label)


class LoanQuerySet(SchoolQuerySet["Loan"]):
    def out(self) -> LoanQuerySet:
        """Loans not returned yet."""
        return self.filter(returned_on__isnull=True)


class Loan(Kept):
    """A school device taken home by someone: when it went, when it is due back, when it came back."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="loans")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="loans")
    out_on = models.DateField("lent on")
    due_back = models.DateField()
    returned_on = models.DateField(null=True, blank=True)
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = LoanQuerySet.as_manager()

    class Meta:
        ordering = ("school", "-out_on", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=("device",),
                condition=models.Q(returned_on__isnull=True),
                name="one_loan_out_per_device",
            ),
        )

    def __str__(self) -> str:
        return f"{self.device} lent to {self.person}"

    def overdue(self, today: dt.date) -> bool:
        return self.returned_on is None and self.due_back < today


class GuestLoginQuerySet(SchoolQuerySet["GuestLogin"]):
    def active(self) -> GuestLoginQuerySet:
        """Logins still in the proxy's password file (or to be taken out by the worker)."""
        return self.filter(removed_at__isnull=True)


class GuestLogin(Kept):
    """A temporary proxy login of a visitor, supply teacher or community user. The password is never
    stored: only its bcrypt hash, in the proxy's password file, and only until `until`."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="guest_logins")
    username = models.CharField("user name", max_length=64)
    identity = models.ForeignKey(
        NetworkIdentity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()
    until = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_why = models.CharField(max_length=100, blank=True)

    objects = GuestLoginQuerySet.as_manager()

    class Meta:
        ordering = ("school", "-made_at")
        indexes = (models.Index(fields=("removed_at", "until")),)
        constraints = (
            models.UniqueConstraint(
                fields=("person",),
                condition=models.Q(removed_at__isnull=True),
                name="one_guest_login_per_person",
            ),
        )

    def __str__(self) -> str:
        return f"{self.username} ({self.person})"
