"""`schoolgate school create NAME --urn URN ...`: a new school, its default filtering policy and its first
login, as the server's operator. A thin wrapper round the web application's management command
`create_school` (`schoolgate.web.tenancy.setup.do_create_school`), with the web application's settings
(the SCHOOLGATE_* variables), like the `web` commands."""

from __future__ import annotations

import argparse

from schoolgate.cli.common import CommandError, Commands
from schoolgate.cli.web import _web_settings
from schoolgate.web.tenancy.arguments import OPTIONS, add_create_arguments

__all__ = ["register"]


def cmd_school_create(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import setup

    with _web_settings():
        setup()
        from django.core.management import call_command
        from django.core.management.base import CommandError as ManagementError

        options = {name: getattr(args, name) for name in OPTIONS if getattr(args, name) is not None}
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
    add_create_arguments(create)
    create.set_defaults(handler=cmd_school_create)
