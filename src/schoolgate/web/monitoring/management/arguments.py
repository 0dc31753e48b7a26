"""The arguments of `schoolgate worker` and of the management command it runs
(`schoolgate web manage worker`), declared once. Free of Django, so that the command line can declare
them before the web application's settings are read."""

from __future__ import annotations

import argparse

__all__ = ["BATCH_LINES", "OPTIONS", "add_worker_arguments", "pairs"]

BATCH_LINES = 5_000  # lines stored per transaction (ingest.py)


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once",
        action="store_true",
        help="one round (read the spool, send what is due), then stop: for cron",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds to wait when there was nothing to read (default: %(default)s)",
    )
    parser.add_argument(
        "--spool",
        action="append",
        default=[],
        metavar="DIR",
        help="a school's spool directory, with --school after it; repeatable (default: SCHOOLGATE_SPOOL, "
        "or SCHOOLGATE_SPOOL/<school> with several schools)",
    )
    parser.add_argument(
        "--school", action="append", default=[], metavar="SLUG", help="the school whose spool --spool is"
    )
    parser.add_argument(
        "--keep-spool",
        action="store_true",
        help="move spool files that are in the database into the spool's archive/ instead of deleting them",
    )
    parser.add_argument(
        "--batch", type=int, default=BATCH_LINES, help="lines stored per transaction (default: %(default)s)"
    )


# The options `add_worker_arguments` declares, by the names the management command is given them.
OPTIONS = ("once", "interval", "spool", "school", "keep_spool", "batch")


def pairs(spools: list[str], schools: list[str]) -> list[tuple[str, str]] | str:
    """The (directory, school slug) pairs of --spool and --school, or why they do not pair up."""
    if len(spools) != len(schools):
        return "give each --spool DIR with the --school SLUG whose spool it is"
    return list(zip(spools, schools, strict=True))
