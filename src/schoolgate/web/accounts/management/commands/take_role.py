"""`schoolgate web manage take_role USER ROLE --school SLUG --reason WHY`: the server's operator takes
any role away, the headteacher and the chair of governors included (no page takes those)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from schoolgate.web.accounts.actions import do_take_role
from schoolgate.web.accounts.management.commands import _operator


class Command(BaseCommand):
    help = (
        "Take a role at a school away from a login, as the server's operator: any role, the headteacher "
        "and the chair of governors included. Written to the audit trail with the reason and who ran it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        _operator.add_arguments(parser, role=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = _operator.login(options["username"])
        role = _operator.role(options["role"])
        school = _operator.school(options["school"])
        reason = _operator.reason(options["reason"])
        try:
            changed = do_take_role(user, school, role, actor=_operator.operator("take_role"), reason=reason)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        if not changed.removed:
            raise CommandError(f"{user.username} does not have the role {role.label} at {school.name}")
        self.stdout.write(f"{user.username} is no longer {role.label} at {school.name}.")
        _operator.say_after(self.stdout, user, changed)
