"""The self-test's changes: its settings, the test identities, and asking for a run. Each checks the
actor's permission itself and refuses bad input with ValidationError.

Those who run the self-test (`SELFTEST_RUN`) choose when it runs and what it checks. Where its probes
go (the proxy and the resolver) and as whom (the test identities, with their stored passwords) is the
network manager's alone (`POLICY_CHANGE` as well): these decide where the server sends the test
passwords, so whoever could change them could have the passwords sent to a host of their own. For the
same reason a stored password is forgotten when the proxy or its user name changes: it is typed again
for the new one, never sent somewhere it was not given for."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import record
from schoolgate.web.core.actions import Operator, acting, require
from schoolgate.web.selftest.choices import RunState, Trigger
from schoolgate.web.selftest.models import SelfTestRun, SelfTestSettings, TestIdentity
from schoolgate.web.selftest.probes import parse_endpoint
from schoolgate.web.tenancy.models import School

__all__ = [
    "do_delete_identity",
    "do_request_run",
    "do_save_gateways",
    "do_save_identity",
    "do_save_settings",
    "settings_for",
]


def settings_for(school: School) -> SelfTestSettings:
    """The school's self-test settings, or new (unsaved) ones with the defaults."""
    return SelfTestSettings.objects.filter(school=school).first() or SelfTestSettings(school=school)


def _check_endpoint(text: str, default_port: int, field: str) -> str:
    if not text.strip():
        return ""
    try:
        return str(parse_endpoint(text, default_port))
    except ValueError as error:
        raise ValidationError({field: str(error)}) from None


def _test_addresses(text: str) -> list[str]:
    """The locked lists' test addresses, one a line: an http:// or https:// address, or a host name."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry:
            continue
        parts = urlsplit(entry if "://" in entry else f"http://{entry}")
        try:
            parse_endpoint(parts.hostname or "", 80)
        except ValueError:
            parts = parts._replace(netloc="")
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in entry):
            raise ValidationError(
                {"locked_test_addresses": f"Line {number} is not a web address or host name: {entry[:80]!r}"}
            )
        out.append(entry)
    return out


def _stored(school_id: int) -> SelfTestSettings:
    """The school's settings as stored (new ones with the defaults), whatever a form did to its copy."""
    return SelfTestSettings.objects.filter(school_id=school_id).first() or SelfTestSettings(
        school_id=school_id
    )


def do_save_settings(chosen: SelfTestSettings, *, actor: User | Operator) -> SelfTestSettings:
    """Save when the self-test runs and what it checks (the daily hour, the curriculum list, the locked
    lists' test addresses). The proxy and the resolver stay as stored: `do_save_gateways` sets them."""
    require(actor, Capability.SELFTEST_RUN, chosen.school_id)
    if not 0 <= chosen.hour <= 23:
        raise ValidationError({"hour": "An hour of the day: 0 to 23"})
    row = _stored(chosen.school_id)
    row.daily, row.hour = chosen.daily, chosen.hour
    row.curriculum = chosen.curriculum.strip()
    row.locked_test_addresses = "\n".join(_test_addresses(chosen.locked_test_addresses))
    with transaction.atomic(), acting(actor, "self-test settings changed"):
        row.save()
    return row


def _require_gateways(actor: User | Operator, school: School | int) -> None:
    """Where the probes go and as whom: the network manager's (see the module's docstring)."""
    require(actor, Capability.SELFTEST_RUN, school)
    require(actor, Capability.POLICY_CHANGE, school)


def do_save_gateways(
    school: School, *, actor: User | Operator, proxy: str, resolver: str
) -> tuple[SelfTestSettings, int]:
    """Set the proxy and the resolver the self-test asks. When the proxy's host or port changes, every
    stored test password of the school is forgotten (they were given for the old proxy); returns the
    settings and how many passwords were forgotten."""
    _require_gateways(actor, school)
    row = _stored(school.pk)
    new_proxy = _check_endpoint(proxy, 3128, "proxy")
    new_resolver = _check_endpoint(resolver, 53, "resolver")
    forgotten = 0
    with transaction.atomic(), acting(actor, "self-test gateways changed"):
        if new_proxy != row.proxy:
            # Through save(), one identity at a time, so the audit trail says which lost its password
            # (the password itself is never in the trail).
            for identity in TestIdentity.objects.filter(school=school).exclude(password=""):
                identity.password = ""
                identity.save()
                forgotten += 1
        row.proxy, row.resolver = new_proxy, new_resolver
        row.save()
    return row, forgotten


def do_save_identity(identity: TestIdentity, *, actor: User | Operator, password: str = "") -> TestIdentity:
    """Save a group's test identity. An empty `password` keeps the one stored (it is never shown),
    unless the user name changed: a password is only ever sent with the user name it was given for."""
    _require_gateways(actor, identity.school_id)
    if identity.group.school_id != identity.school_id:
        raise ValidationError({"group": "That group is another school's"})
    identity.user_name = identity.user_name.strip()
    if not identity.user_name and not identity.address:
        raise ValidationError("Give a test user name, a test address, or both")
    if identity.pk is not None:
        before = TestIdentity.objects.filter(pk=identity.pk).values_list("user_name", "password").first()
        # The form's copy was loaded before the edit, but the password is the stored one either way.
        if before is not None:
            identity.password = before[1] if before[0] == identity.user_name else ""
    if password:
        identity.password = password
    if not identity.user_name:
        identity.password = ""
    taken = TestIdentity.objects.filter(school_id=identity.school_id, group=identity.group).exclude(
        pk=identity.pk
    )
    if taken.exists():
        raise ValidationError({"group": f'"{identity.group}" has a test identity already: change that one'})
    with transaction.atomic(), acting(actor, f"self-test identity of {identity.group}"):
        identity.save()
    return identity


def do_delete_identity(identity: TestIdentity, *, actor: User | Operator) -> None:
    _require_gateways(actor, identity.school_id)
    with transaction.atomic(), acting(actor, f"self-test identity of {identity.group} removed"):
        identity.delete()


def do_request_run(school: School, *, actor: User | Operator, trigger: Trigger = Trigger.PAGE) -> SelfTestRun:
    """Queue a run for the worker (or for `schoolgate selftest`, which then works it through). One run
    at a time per school: a second is refused while one waits or runs."""
    require(actor, Capability.SELFTEST_RUN, school)
    with transaction.atomic():
        if SelfTestRun.objects.filter(school=school, state__in=(RunState.QUEUED, RunState.RUNNING)).exists():
            raise ValidationError("A self-test is already waiting or running: its page shows how far it is")
        run = SelfTestRun.objects.create(
            school=school,
            trigger=trigger,
            requested_by=actor if isinstance(actor, User) else None,
            requested_at=timezone.now(),
        )
        with acting(actor, "self-test run asked for"):
            record(AuditAction.CREATE, obj=run, school=school, after={"trigger": str(trigger)})
    return run
