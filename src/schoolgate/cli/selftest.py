"""`schoolgate selftest [--school SLUG] [--json]`: run the filtering self-test now, through the school's
own proxy and resolver, and keep the run. A thin wrapper round the web application's management
command `selftest` (`schoolgate.web.selftest`), with the web application's settings, like `worker`.
Exit status 0 when every run passed, 1 when one did not, 2 for a mistake in what was asked."""

from __future__ import annotations

import argparse

from schoolgate.cli.common import CommandError, Commands
from schoolgate.cli.web import _web_settings

__all__ = ["register"]


def cmd_selftest(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import setup

    with _web_settings():
        setup()
        from django.core.management import call_command
        from django.core.management.base import CommandError as ManagementError

        options = {"json": args.json, **({"school": args.school} if args.school else {})}
        try:
            call_command("selftest", **options)
        except ManagementError as exc:
            raise CommandError(str(exc)) from None
        except SystemExit as exc:  # the command's "a run did not pass"
            return int(exc.code or 0)
    return 0


def register(commands: Commands) -> None:
    selftest = commands.add_parser(
        "selftest",
        help="run the filtering self-test now through the school's proxy and resolver (exit 1 if it fails)",
    )
    selftest.add_argument("--school", help="the school's short name (slug); default: every school set up")
    selftest.add_argument("--json", action="store_true", help="print each run's results as JSON")
    selftest.set_defaults(handler=cmd_selftest)
