"""`schoolgate worker`: the monitoring's worker, a long-running process (or one round with --once). A
thin wrapper round the web application's management command `worker` (monitoring/worker.py), with
the web application's settings (the SCHOOLGATE_* variables), like `school create`."""

from __future__ import annotations

import argparse

from schoolgate.cli.common import CommandError, Commands
from schoolgate.cli.web import _web_settings
from schoolgate.web.monitoring.management.arguments import OPTIONS, add_worker_arguments

__all__ = ["register"]


def cmd_worker(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import setup

    with _web_settings():
        setup()
        from django.core.management import call_command
        from django.core.management.base import CommandError as ManagementError

        try:
            call_command("worker", **{name: getattr(args, name) for name in OPTIONS})
        except ManagementError as exc:
            raise CommandError(str(exc)) from None
    return 0


def register(commands: Commands) -> None:
    worker = commands.add_parser(
        "worker",
        help="read the activity spool into the database, raise and send alerts and weekly reports",
    )
    add_worker_arguments(worker)
    worker.set_defaults(handler=cmd_worker)
