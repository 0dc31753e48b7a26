"""The device register's choices: whose a device is (the BYOD table's columns), what it is, the network
access the table allows, who must approve, and what the school says about filtering off site."""

from __future__ import annotations

from django.db import models


class DeviceKind(models.TextChoices):
    """Whose the device is: one row of the BYOD table (policy 002, "Mobile Technologies")."""

    SCHOOL_SINGLE = "school-single", "School owned, for one user"
    SCHOOL_SHARED = "school-shared", "School owned, shared (a trolley, a suite)"
    SCHEME = "scheme", "Authorised device (bought through a school scheme)"
    PUPIL = "pupil", "Pupil owned"
    STAFF = "staff", "Staff owned"
    VISITOR = "visitor", "Visitor owned"


SCHOOL_OWNED = frozenset({DeviceKind.SCHOOL_SINGLE, DeviceKind.SCHOOL_SHARED})
# Devices that belong to someone, who must be named.
PERSONAL = frozenset({DeviceKind.SCHEME, DeviceKind.PUPIL, DeviceKind.STAFF, DeviceKind.VISITOR})


class DeviceType(models.TextChoices):
    LAPTOP = "laptop", "Laptop"
    TABLET = "tablet", "Tablet"
    DESKTOP = "desktop", "Desktop computer"
    CHROMEBOOK = "chromebook", "Chromebook"
    PHONE = "phone", "Phone"
    TROLLEY = "trolley", "Trolley of devices"
    SUITE = "suite", "Computer suite"
    OTHER = "other", "Other"


class NetworkAccess(models.TextChoices):
    FULL = "full", "Full network access"
    INTERNET = "internet", "Internet only"
    NONE = "none", "No network access"


class Approval(models.TextChoices):
    """Who must approve a device of a row before it may use the network."""

    NONE = "none", "None needed"
    SLT = "slt", "Senior leadership (SLT)"
    NETWORK_MANAGER = "nm", "Network manager"


class OffSite(models.TextChoices):
    """What the school records about a device's filtering when it is away from school. Schoolgate
    filters at the school's proxy: it records what the school says, it does not filter off site."""

    NOT_RECORDED = "", "Not recorded"
    AGENT = "agent", "Filtered by the school's filtering agent on the device"
    VPN = "vpn", "Filtered through the school VPN"
    OTHER = "other", "Filtered another way (say how in the note)"
    NOT_FILTERED = "not-filtered", "Not filtered off site"


# A loan of a device recorded so is shown as needing attention (the DfE standards ask that devices
# taken home are filtered too).
UNFILTERED = frozenset({OffSite.NOT_RECORDED, OffSite.NOT_FILTERED})
