"""`schoolgate web serve|demo|demo-day|manage` and `schoolgate audit verify`: the web application (its
settings come from the SCHOOLGATE_* variables)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from schoolgate.cli.common import CommandError, Commands, add_index, add_policy

__all__ = ["register"]


@contextmanager
def _web_settings() -> Iterator[None]:
    """A mistake in the web application's SCHOOLGATE_* settings is one clear line, not a traceback."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        yield
    except ImproperlyConfigured as exc:
        raise CommandError(f"the web application's settings: {exc}") from None


def cmd_web_manage(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import manage

    with _web_settings():
        return manage(args.args)


WEB_THREADS_MAX = 64


def cmd_web_serve(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import serve

    host, _, port = str(args.listen).rpartition(":")
    if not port.isascii() or not port.isdigit() or len(port) > 5 or not 0 <= int(port) < 65536:
        raise CommandError(f"--listen {args.listen!r}: give ADDRESS:PORT, for example 127.0.0.1:8000")
    if not 1 <= args.threads <= WEB_THREADS_MAX:
        raise CommandError(f"--threads {args.threads}: give a number from 1 to {WEB_THREADS_MAX}")
    try:
        with _web_settings():
            host = host.strip("[]") or "127.0.0.1"
            return serve(host, int(port), args.threads, not args.no_migrate, args.trusted_proxy)
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from None


def cmd_web_demo(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import demo

    with _web_settings():
        return demo(args.size)


def cmd_web_demo_day(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import demo_day

    with _web_settings():
        return demo_day(str(args.policy), str(args.index))


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    from schoolgate.web.commands import audit_verify

    try:
        with _web_settings():
            return audit_verify(args.quiet)
    except DatabaseError as exc:
        raise CommandError(
            f"cannot read the audit trail: {exc} (has `schoolgate web manage migrate` run?)"
        ) from None


def register(commands: Commands) -> None:
    web = commands.add_parser("web", help="the web application (settings from SCHOOLGATE_* variables)")
    web_commands = web.add_subparsers(dest="web_command", metavar="COMMAND", required=True)
    serve = web_commands.add_parser("serve", help="migrate the database and serve the web application")
    serve.add_argument("--listen", default="127.0.0.1:8000", help="ADDRESS:PORT (default: %(default)s)")
    serve.add_argument("--threads", type=int, default=8, help="requests at once (default: %(default)s)")
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate the database first")
    serve.add_argument(
        "--trusted-proxy",
        metavar="ADDRESS",
        help="the school's reverse proxy: the one peer whose X-Forwarded-For and X-Forwarded-Proto are "
        "believed (default: $SCHOOLGATE_TRUSTED_PROXY, else none)",
    )
    serve.set_defaults(handler=cmd_web_serve)
    demo = web_commands.add_parser("demo", help="migrate and load the demo school; print its logins")
    demo.add_argument(
        "--size",
        choices=("demo", "realistic"),
        default="demo",
        help="demo: a primary of 420 pupils; realistic: 1,500 pupils, 150 staff, 60 classes",
    )
    demo.set_defaults(handler=cmd_web_demo)
    demo_day = web_commands.add_parser(
        "demo-day",
        help="the demo school's last school day and the week before through the Squid helper and the worker",
    )
    add_policy(demo_day, "the demo's published policy file")
    add_index(demo_day)
    demo_day.set_defaults(handler=cmd_web_demo_day)
    manage = web_commands.add_parser(
        "manage", help="Django's management commands: migrate, check --deploy, ...", add_help=False
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_web_manage, passes_options_on=True)

    audit = commands.add_parser("audit", help="the audit trail of every change to every record")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    verify = audit_commands.add_parser("verify", help="check the hash chain; name the first broken link")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(handler=cmd_audit_verify)
