"""Every change to logins and roles goes through these, from the pages and the commands alike."""

from __future__ import annotations

import secrets

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import record
from schoolgate.web.tenancy.models import School

WORDS = (
    "apple", "river", "maple", "harbour", "lantern", "meadow", "copper", "willow", "falcon", "pebble",
    "orchard", "summit", "thistle", "beacon", "cobalt", "juniper", "quartz", "saffron", "tundra", "violet",
)  # fmt: skip


def temporary_password() -> str:
    """Four words and a number: easy to read out, long enough, changed at the first login."""
    return "-".join(secrets.choice(WORDS) for _ in range(4)) + f"-{secrets.randbelow(90) + 10}"


def do_create_login(
    school: School, *, username: str, display_name: str, email: str, roles: list[Role], password: str
) -> User:
    with transaction.atomic():
        user = User(username=username, display_name=display_name, email=email)
        user.set_password(password)
        user.save()
        for role in roles:
            Membership.objects.create(user=user, school=school, role=role)
    return user


def do_set_roles(user: User, school: School, roles: list[Role]) -> None:
    """The user's roles at `school` become exactly `roles` (roles at other schools are left alone)."""
    with transaction.atomic():
        have = {Role(m.role): m for m in Membership.objects.filter(user=user, school=school)}
        for role, membership in have.items():
            if role not in roles:
                membership.delete()
        for role in roles:
            if role not in have:
                Membership.objects.create(user=user, school=school, role=role)
    user._capabilities = None


def do_reset_second_step(user: User, school: School | None, reason: str) -> int:
    """Forget the user's authenticator app: they set up a new one at their next login."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        record(
            AuditAction.UPDATE,
            obj=user,
            school=school,
            reason=f"second step reset: {reason}",
            before={"authenticator": "set up"},
            after={"authenticator": "to set up at the next login"},
        )
    return int(removed)


def do_set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
