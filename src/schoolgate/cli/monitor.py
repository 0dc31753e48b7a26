"""`schoolgate monitor term URL...` (the search term in a URL) and `schoolgate monitor scan TEXT...` (the
risk phrases in a text): how a network manager or a DSL checks what the monitoring would make of a URL
or a phrase, one JSON object a line.

    $ schoolgate monitor term 'https://www.google.com/search?q=how+to+revise'
    {"url": "https://www.google.com/search?q=how+to+revise", "engine": "google", "term": "how to revise"}
    $ schoolgate monitor scan 'how 2 k1ll myself' 'kill a process'
    {"text": "how 2 k1ll myself", "matches": [{"area": "suicide", "severity": "high", "phrase": ...}]}
    {"text": "kill a process", "matches": []}

"-" as an argument reads one URL or text a line from standard input (UTF-8; a byte that is not UTF-8
becomes U+FFFD), and each line gets its line of output, in order, as soon as it is read.

The JSON is ASCII (`ensure_ascii`): anything else is written as a \\u escape. That is the terminal-safe
choice: a text may hold right-to-left overrides or other invisible characters, which printed as they
are would reorder or hide what is on the screen; escaped, they are seen, and any JSON reader (`jq`,
Python) gives the text back exactly.

`scan` uses the library shipped with Schoolgate, or with `--school SLUG` that school's own (the shipped
one with the changes its DSL made on the risk phrases page, read from the web application's
database). `--audience` grades the matches as for a pupil of that key stage, staff or a guest
(without it, as written in the library, which is for a pupil).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from schoolgate.cli.common import CommandError, Commands
from schoolgate.monitoring.phrases import Audience, Library, shipped
from schoolgate.monitoring.terms import classify

__all__ = ["register"]


def _inputs(values: list[str]) -> Iterator[str]:
    """The arguments in order, "-" replaced by the lines of standard input (without their line ends)."""
    for value in values:
        if value != "-":
            yield value
            continue
        for line in sys.stdin.buffer:
            yield line.decode("utf-8", errors="replace").rstrip("\r\n")


def _say(record: dict[str, object]) -> None:
    print(json.dumps(record, ensure_ascii=True), flush=True)


def cmd_term(args: argparse.Namespace) -> int:
    for url in _inputs(args.url):
        search = classify(url)
        _say({"url": url, "engine": search.engine, "term": search.term})
    return 0


def _school_library(slug: str) -> Library:
    """The school's own library (the shipped one with its DSL's changes), read from the web
    application's database with its settings (the SCHOOLGATE_* variables), as `schoolgate school` does."""
    from schoolgate.cli.web import _web_settings
    from schoolgate.web.commands import setup

    with _web_settings():
        setup()
        from django.db import DatabaseError

        from schoolgate.web.monitoring.phrasebook import library_for
        from schoolgate.web.tenancy.models import School

        try:
            school = School.objects.filter(slug=slug).first()
            if school is None:
                raise CommandError(f"--school {slug!r}: no school has that short name")
            return library_for(school)
        except DatabaseError as exc:
            raise CommandError(f"--school {slug!r}: the web application's database: {exc}") from None


def cmd_scan(args: argparse.Namespace) -> int:
    library = shipped() if args.school is None else _school_library(args.school)
    audience = None if args.audience is None else Audience(args.audience)
    for text in _inputs(args.text):
        matches = [
            {
                "area": match.area.value,
                "severity": match.severity.value,
                "phrase": match.phrase,
                "matched": match.matched,
                "start": match.start,
                "end": match.end,
                "why": match.why,
            }
            for match in library.scan(text, audience)
        ]
        _say({"text": text, "matches": matches})
    return 0


def register(commands: Commands) -> None:
    monitor = commands.add_parser("monitor", help="the search term in a URL, the risk phrases in a text")
    monitor_commands = monitor.add_subparsers(dest="monitor_command", metavar="COMMAND", required=True)
    term = monitor_commands.add_parser(
        "term", help="the engine and search term of each URL, one JSON object a line"
    )
    term.add_argument(
        "url", nargs="+", metavar="URL", help='a URL, or "-" for one a line from standard input'
    )
    term.set_defaults(handler=cmd_term)
    scan = monitor_commands.add_parser(
        "scan", help="the risk phrases in each text (the shipped library), one JSON object a line"
    )
    scan.add_argument(
        "text", nargs="+", metavar="TEXT", help='a text, or "-" for one a line from standard input'
    )
    scan.add_argument(
        "--audience",
        choices=[audience.value for audience in Audience],
        help="grade the matches for this audience (default: as the library has them, for a pupil)",
    )
    scan.add_argument(
        "--school",
        metavar="SLUG",
        help="the school's own library (its short name): the shipped one with its DSL's changes, "
        "from the web application's database",
    )
    scan.set_defaults(handler=cmd_scan)
