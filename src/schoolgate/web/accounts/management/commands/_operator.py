"""What the operator's commands share: who is running them (for the audit trail), and finding the
login, role and school they name, each mistake one clear line."""

from __future__ import annotations

import getpass
import socket

from django.core.management.base import CommandError, CommandParser, OutputWrapper

from schoolgate.web.accounts.actions import RolesChanged
from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.grants import Operator
from schoolgate.web.accounts.models import User
from schoolgate.web.accounts.notices import told_words
from schoolgate.web.tenancy.models import School


def operator(command: str) -> Operator:
    """The server's operator, as the audit trail names them: their account on this server, the server,
    and the command."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):
        who = "an unknown account"
    return Operator(f"{who}@{socket.gethostname()} (schoolgate web manage {command})")


def add_arguments(parser: CommandParser, *, role: bool) -> None:
    """The arguments the operator's commands share: the login, (the role and its school,) and why."""
    parser.add_argument("username", help="the login's user name")
    if role:
        parser.add_argument("role", help="dsl, deputy-dsl, headteacher, chair-of-governors, ...")
        parser.add_argument("--school", help="the school's short name (slug); needed with several schools")
    parser.add_argument("--reason", required=True, help="why, for the audit trail")


def reason(given: object) -> str:
    """The `--reason` given, which the audit trail needs: blank is a mistake."""
    text = str(given or "").strip()
    if not text:
        raise CommandError("say why with --reason")
    return text


def login(username: str) -> User:
    found = User.objects.filter(username__iexact=username.strip()).first()
    if found is None:
        raise CommandError(f"no login with the user name {username!r}")
    return found


def role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise CommandError(f"no role {value!r} (roles: {', '.join(Role.values)})") from None


def school(slug: str | None) -> School:
    if slug:
        found = School.objects.filter(slug=slug.strip().lower()).first()
        if found is None:
            raise CommandError(f"no school {slug!r} (schools: {', '.join(_slugs()) or 'none yet'})")
        return found
    schools = list(School.objects.order_by("slug")[:2])
    if len(schools) != 1:
        raise CommandError(f"name the school with --school ({', '.join(_slugs()) or 'none yet'})")
    return schools[0]


def _slugs() -> list[str]:
    return list(School.objects.order_by("slug").values_list("slug", flat=True)[:50])


def say_after(out: OutputWrapper, user: User, changed: RolesChanged) -> None:
    """What else the operator should know after a change to `user`'s roles."""
    if not user.is_active:
        out.write(
            f"The login {user.username} is switched off: its roles open nothing until it is switched on."
        )
    if changed.links_cancelled:
        out.write(
            "Their unused link to choose a password no longer works: make a new one if they still need it "
            f"(schoolgate web manage reset_link {user.username})."
        )
    if changed.told is not None:
        out.write(told_words(changed.told))
