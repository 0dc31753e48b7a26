"""`schoolgate school create NAME --urn URN ...`: a new school, its default filtering policy and its first
login, as the server's operator. A thin wrapper round the web application's management command
`create_school` (`schoolgate.web.tenancy.setup.do_create_school`), with the web application's settings
(the SCHOOLGATE_* variables), like the `web` commands."""

from __future__ import annotations

import argparse

from schoolgate.cli.common import CommandError, Commands
from schoolgate.cli.web import _web_settings

__all__ = ["register"]


def cmd_school_create(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import setup

    with _web_settings():
        setup()
        from django.core.management import call_command
        from django.core.management.base import CommandError as ManagementError

        options = {
            "urn": args.urn,
            "timezone": args.timezone,
            "trust": args.trust,
            "email": args.email,
            "username": args.username,
            "reason": args.reason,
            "site": args.site,
        }
        if args.head is not None:
            options["head"] = args.head
        if args.dsl is not None:
            options["dsl"] = args.dsl
        try:
            call_command("create_school", args.name, **options)
        except ManagementError as exc:
            raise CommandError(str(exc)) from None
    return 0


def register(commands: Commands) -> None:
    school = commands.add_parser("school", help="set up a school: its policy and its first login")
    school_commands = school.add_subparsers(dest="school_command", metavar="COMMAND", required=True)
    create = school_commands.add_parser(
        "create",
        help="make a school, its default filtering policy and its first login (changes nothing if the "
        "URN exists)",
    )
    create.add_argument("name", help="the school's name, as on Get Information about Schools")
    create.add_argument("--urn", required=True, help="the school's Unique Reference Number (six digits)")
    create.add_argument("--timezone", default="Europe/London", help="IANA time zone (default: %(default)s)")
    create.add_argument("--trust", default="", help="the trust it belongs to: an existing one, or a new one")
    first = create.add_mutually_exclusive_group()
    first.add_argument("--head", metavar="NAME", help="the first login: the headteacher's full name")
    first.add_argument("--dsl", metavar="NAME", help="the first login: the DSL's full name")
    create.add_argument("--email", default="", help="the first login's own work e-mail address")
    create.add_argument("--username", default="", help="the first login's user name (default: j.smith)")
    create.add_argument("--reason", default="", help="why, for the audit trail (default: a new school)")
    create.add_argument(
        "--site", default="", help="the application's public address, if SCHOOLGATE_URL is not set"
    )
    create.set_defaults(handler=cmd_school_create)
