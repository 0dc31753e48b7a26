"""`schoolgate web manage give_role USER ROLE --school SLUG --reason WHY`: the server's operator gives
any role, the headteacher and the chair of governors included (no page gives those)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from schoolgate.web.accounts.actions import do_create_login, do_give_role
from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.grants import Operator
from schoolgate.web.accounts.management.commands import _operator
from schoolgate.web.accounts.models import User
from schoolgate.web.accounts.notices import told_words
from schoolgate.web.tenancy.models import School


class Command(BaseCommand):
    help = (
        "Give a login a role at a school, as the server's operator: any role, the headteacher and the chair "
        "of governors included. Written to the audit trail with the reason and who ran it; a safeguarding "
        "role is told to the school's DSL and chair of governors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        _operator.add_arguments(parser, role=True)
        parser.add_argument("--name", help="make the login if there is none: the person's full name")
        parser.add_argument("--email", default="", help="with --name: their own work e-mail address")

    def handle(self, *args: Any, **options: Any) -> None:
        role = _operator.role(options["role"])
        school = _operator.school(options["school"])
        operator = _operator.operator("give_role")
        reason = _operator.reason(options["reason"])
        try:
            if (
                options["name"]
                and not User.objects.filter(username__iexact=options["username"].strip()).exists()
            ):
                self._new_login(school, role, operator, reason, options)
                return
            user = _operator.login(options["username"])
            changed = do_give_role(user, school, role, actor=operator, reason=reason)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        if not changed.added:
            raise CommandError(f"{user.username} already has the role {role.label} at {school.name}")
        self.stdout.write(f"{user.username} is now {role.label} at {school.name}.")
        _operator.say_after(self.stdout, user, changed)

    def _new_login(
        self, school: School, role: Role, operator: Operator, reason: str, options: dict[str, Any]
    ) -> None:
        created = do_create_login(
            school,
            username=options["username"],
            display_name=options["name"],
            email=options["email"],
            roles=[role],
            actor=operator,
            reason=reason,
        )
        self.stdout.write(f"{created.user.username}: a new login, {role.label} at {school.name}.")
        if created.invited:
            self.stdout.write(f"An invitation to choose a password was e-mailed to {created.invited}.")
        else:
            if created.not_invited_because:
                self.stdout.write(f"No invitation could be sent. {created.not_invited_because}.")
            self.stdout.write(
                "One-time password, to give them in person (they choose their own at the first login): "
                + created.one_time_password
            )
        if created.told is not None:
            self.stdout.write(told_words(created.told))
