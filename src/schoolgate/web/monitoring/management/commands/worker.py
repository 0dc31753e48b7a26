"""`schoolgate web manage worker [--once] [--interval S] [--spool DIR --school SLUG]... [--keep-spool]`
(and `schoolgate worker`, which runs this): the monitoring's worker (monitoring/worker.py)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schoolgate.web.monitoring.ingest import SpoolError, spools
from schoolgate.web.monitoring.management.arguments import add_worker_arguments, pairs
from schoolgate.web.monitoring.worker import Worker
from schoolgate.web.tenancy.management.commands.create_school import database_ready

INTERVAL_MAX = 3600.0  # seconds: an idle worker still tells of alerts and sends reports every round


class Command(BaseCommand):
    help = (
        "Read the gateways' activity spool into the database, raise and send alerts, send the weekly "
        "reports and apply retention, round after round until SIGTERM (or once, with --once). SIGHUP "
        "reads the schools and their spool directories again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_worker_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        given = pairs(options["spool"], options["school"])
        if isinstance(given, str):
            raise CommandError(given)
        if not 0 < options["interval"] <= INTERVAL_MAX:  # nan and inf too: an idle worker would never wake
            raise CommandError(
                f"--interval {options['interval']}: give a number of seconds above 0, up to {INTERVAL_MAX:g}"
            )
        if options["batch"] < 1:
            raise CommandError(f"--batch {options['batch']}: give a number of lines, 1 or more")
        database_ready()
        try:
            found = spools(given)
        except SpoolError as exc:
            raise CommandError(str(exc)) from None
        logging.getLogger("schoolgate.monitoring").setLevel(logging.INFO)
        worker = Worker(
            given,
            interval=options["interval"],
            keep_spool=options["keep_spool"],
            batch_lines=options["batch"],
            say=lambda text: self.stderr.write(f"schoolgate worker: {text}"),
        )
        if not options["once"]:
            # One round (cron, a check by hand) stops as any command does: its transaction rolls
            # back whole, and the next round reads the same lines again.
            worker.handle_signals()
            where = ", ".join(f"{s.school.slug}: {s.directory}" for s in found) or "no school yet"
            self.stderr.write(f"schoolgate worker: reading the spool ({where})")
        worker.run(once=options["once"])
