"""Every change to logins and roles goes through these, from the pages and the commands alike."""

from __future__ import annotations

import secrets

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import record
from schoolgate.web.tenancy.models import School

WORDS = (
    "apple", "river", "maple", "harbour", "lantern", "meadow", "copper", "willow", "falcon", "pebble",
    "orchard", "summit", "thistle", "beacon", "cobalt", "juniper", "quartz", "saffron", "tundra", "violet",
)  # fmt: skip


def why_not_take_over(actor: User, target: User, school: School) -> str | None:
    """Setting someone's password or resetting their second step lets whoever does it log in as them,
    so it is refused (with the reason) unless the actor manages logins at every school where the target
    has a role, and the target can do nothing at this school that the actor cannot."""
    if target == actor:
        return None
    elsewhere = [
        s
        for s in target.school_ids()
        if Capability.ACCOUNTS_MANAGE not in actor.capabilities_by_school().get(s, ())
    ]
    if elsewhere:
        return "They also have a role at another school: ask that school to do this"
    theirs = target.capabilities_by_school().get(school.pk, frozenset())
    mine = actor.capabilities_by_school().get(school.pk, frozenset())
    if not theirs <= mine:
        return (
            "Their roles can do things yours cannot (such as reading the audit trail): ask your headteacher"
        )
    return None


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


def do_reset_second_step(user: User, school: School, reason: str) -> int:
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


def do_set_password(user: User, school: School, password: str) -> None:
    """A new password, set by someone who manages logins (the hash is never written to the trail)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record(
            AuditAction.UPDATE,
            obj=user,
            school=school,
            reason="password set by a manager of logins",
            before={"password": "(not shown)"},
            after={"password": "changed"},
        )
