"""Roles, and what each role may do. Capabilities are checked in the querysets (`restrict`), so a
page that forgets to check still shows nothing it should not."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    DSL = "dsl", "Designated Safeguarding Lead"
    DEPUTY_DSL = "deputy-dsl", "Deputy DSL"
    ONLINE_SAFETY_COORDINATOR = "online-safety", "Online safety coordinator"
    NETWORK_MANAGER = "network-manager", "Network manager / IT support"
    HEADTEACHER = "headteacher", "Headteacher"
    SLT = "slt", "Senior leadership team"
    TEACHER = "teacher", "Teacher"
    GOVERNOR = "governor", "Governor"


class Capability(models.TextChoices):
    PEOPLE_VIEW = "people.view", "see pupils, staff and parents"
    PEOPLE_CHANGE = "people.change", "add and change people, import from the MIS"
    IDENTITIES_CHANGE = "identities.change", "change network identities (user names, devices, address ranges)"
    POLICY_VIEW = "policy.view", "see the filtering policy"
    POLICY_CHANGE = "policy.change", "edit and publish the filtering policy"
    URL_TEST = "policy.test", "test how the filter decides a URL"
    AUDIT_VIEW = "audit.view", "read the audit trail"
    ACCOUNTS_MANAGE = "accounts.manage", "give staff logins and roles"


_ALL_STAFF_VIEWS = {Capability.PEOPLE_VIEW, Capability.URL_TEST}
_SAFEGUARDING = _ALL_STAFF_VIEWS | {Capability.PEOPLE_CHANGE, Capability.POLICY_VIEW, Capability.AUDIT_VIEW}

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.DSL: frozenset(_SAFEGUARDING),
    Role.DEPUTY_DSL: frozenset(_SAFEGUARDING),
    Role.ONLINE_SAFETY_COORDINATOR: frozenset(_ALL_STAFF_VIEWS | {Capability.POLICY_VIEW}),
    Role.NETWORK_MANAGER: frozenset(
        _ALL_STAFF_VIEWS
        | {
            Capability.PEOPLE_CHANGE,
            Capability.IDENTITIES_CHANGE,
            Capability.POLICY_VIEW,
            Capability.POLICY_CHANGE,
            Capability.ACCOUNTS_MANAGE,
        }
    ),
    Role.HEADTEACHER: frozenset(_SAFEGUARDING | {Capability.ACCOUNTS_MANAGE}),
    Role.SLT: frozenset(_ALL_STAFF_VIEWS | {Capability.POLICY_VIEW}),
    Role.TEACHER: frozenset(_ALL_STAFF_VIEWS),
    Role.GOVERNOR: frozenset(),
}
