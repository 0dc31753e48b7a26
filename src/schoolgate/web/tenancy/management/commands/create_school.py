"""`schoolgate web manage create_school NAME --urn URN [--timezone TZ] [--trust TRUST]
(--head NAME | --dsl NAME) [--email ADDR] [--username NAME] [--reason WHY]` (and `schoolgate school
create`, which runs this): the server's operator makes a school, its default filtering policy and its
first login. Running it again for the same URN changes nothing and says so."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.management.commands import _operator
from schoolgate.web.accounts.notices import told_words
from schoolgate.web.policy.actions import snapshot_path
from schoolgate.web.tenancy.arguments import add_create_arguments
from schoolgate.web.tenancy.setup import (
    FirstLogin,
    SchoolMade,
    do_create_school,
    locked_lists_missing,
)

NOT_MIGRATED = "the database is not set up (or not up to date): run `schoolgate web manage migrate` first"


def database_ready() -> None:
    """CommandError, in one line, unless the database exists and every migration has run."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise CommandError(f"{NOT_MIGRATED} ({exc})") from None
    if pending:
        raise CommandError(NOT_MIGRATED)


def refusal(exc: ValidationError | PermissionDenied) -> str:
    """The action's refusal in one line."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class Command(BaseCommand):
    help = (
        "Make a school with its default filtering policy and its first login (the headteacher or the "
        "DSL), as the server's operator. The login has a one-time password (or an e-mailed invitation, "
        "when e-mail is set up) and sets up an authenticator app at its first login. Running it again "
        "for the same URN changes nothing. Written to the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_create_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        database_ready()
        first = None
        if options["head"] is not None or options["dsl"] is not None:
            role = Role.HEADTEACHER if options["head"] is not None else Role.DSL
            first = FirstLogin(
                role, options["head"] or options["dsl"] or "", options["email"], options["username"]
            )
        elif options["email"] or options["username"]:
            raise CommandError("--email and --username are the first login's: give --head or --dsl too")
        try:
            made = do_create_school(
                name=options["name"],
                urn=options["urn"],
                timezone=options["timezone"],
                trust=options["trust"],
                first_login=first,
                actor=_operator.operator("create_school"),
                reason=options["reason"],
                site=str(options["site"] or settings.SITE_URL),
            )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(refusal(exc)) from None
        if made.created:
            self._created(made)
        else:
            self._existed(made)

    def _existed(self, made: SchoolMade) -> None:
        school = made.school
        self.stdout.write(
            f"{school.name} (URN {school.urn}, short name {school.slug}) exists already: nothing changed."
        )
        for difference in made.differences:
            self.stdout.write(f"  Note: {difference}.")
        if made.leaders:
            self.stdout.write("Its headteacher and DSL logins: " + "; ".join(made.leaders) + ".")
        self.stdout.write(
            "A login that needs a new password or authenticator app: "
            "schoolgate web manage reset_link USERNAME --reason WHY"
        )

    def _created(self, made: SchoolMade) -> None:
        school = made.school
        trust = ""
        if school.trust is not None:
            trust = f", in {school.trust.name}{' (a new trust)' if made.trust_created else ''}"
        self.stdout.write(
            f"Made {school.name} (URN {school.urn}, short name {school.slug}, {school.timezone}){trust}."
        )
        self.stdout.write(
            "Its default filtering policy (pupils, staff, visitors and unidentified users; the locked "
            "lists; safe search; the UKSIC categories; UK education and child-support sites) is ready to "
            "publish: Filtering policy, then Publish."
        )
        for line in locked_lists_missing(snapshot_path(school).parent):
            self.stdout.write(f"Warning: {line}.")
        created = made.login
        if created is None:
            self.stdout.write(
                "It has no login yet: give one with schoolgate web manage give_role USERNAME headteacher "
                f"--school {school.slug} --name 'FULL NAME' --reason WHY"
            )
            return
        user = created.user
        role = user.memberships.get(school=school).get_role_display()
        self.stdout.write(f"First login: {user.get_username()} ({user}), {role}.")
        if created.invited:
            self.stdout.write(f"An invitation to choose a password was e-mailed to {created.invited}.")
        else:
            if created.not_invited_because:
                self.stdout.write(f"No invitation could be sent. {created.not_invited_because}.")
            self.stdout.write(
                "One-time password, shown only now; give it to them in person: " + created.one_time_password
            )
            self.stdout.write(
                "At their first login they set up an authenticator app and choose their own password, "
                "before any page opens."
            )
        if created.told is not None:
            self.stdout.write(told_words(created.told))
