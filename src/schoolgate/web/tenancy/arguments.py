"""The arguments of `schoolgate school create` and of the management command it runs
(`schoolgate web manage create_school`), declared once. Free of Django, so that the command line can
declare them before the web application's settings are read."""

from __future__ import annotations

import argparse

DEFAULT_TIMEZONE = "Europe/London"


def add_create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the school's name, as on Get Information about Schools")
    parser.add_argument("--urn", required=True, help="the school's Unique Reference Number (six digits)")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE, help="IANA time zone (default: %(default)s)")
    parser.add_argument("--trust", default="", help="the trust it belongs to: an existing one, or a new one")
    first = parser.add_mutually_exclusive_group()
    first.add_argument("--head", metavar="NAME", help="the first login: the headteacher's full name")
    first.add_argument("--dsl", metavar="NAME", help="the first login: the DSL's full name")
    parser.add_argument("--email", default="", help="the first login's own work e-mail address")
    parser.add_argument("--username", default="", help="the first login's user name (default: j.smith)")
    parser.add_argument("--reason", default="", help="why, for the audit trail (default: a new school)")
    parser.add_argument(
        "--site", default="", help="the application's public address, if SCHOOLGATE_URL is not set"
    )


# The options `add_create_arguments` declares, by the names the management command is given them.
OPTIONS = ("urn", "timezone", "trust", "head", "dsl", "email", "username", "reason", "site")
