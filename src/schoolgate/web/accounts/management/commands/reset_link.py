"""`schoolgate web manage reset_link USER --reason WHY`: a one-time link for the server's operator to
hand over in person, for a login without an e-mail address (or a server without e-mail)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from schoolgate.web.accounts import links
from schoolgate.web.accounts.actions import do_make_link_by_hand
from schoolgate.web.accounts.management.commands import _operator


class Command(BaseCommand):
    help = (
        "Make a one-time link with which a login's person chooses a new password and sets up their "
        "authenticator app again; hand it over in person. Older links for the login stop working. "
        "Written to the audit trail with the reason and who ran it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        _operator.add_arguments(parser, role=False)
        parser.add_argument(
            "--site", default="", help="the application's public address, if SCHOOLGATE_URL is not set"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = _operator.login(options["username"])
        reason = _operator.reason(options["reason"])
        site = str(options["site"] or settings.SITE_URL).strip()
        if not site.startswith(("https://", "http://")):
            raise CommandError(
                "the link needs the application's public address: set SCHOOLGATE_URL or --site"
            )
        if not user.is_active:
            raise CommandError(f"the login {user.username} is switched off")
        try:
            address = do_make_link_by_hand(
                user, operator=_operator.operator("reset_link"), reason=reason, site=site
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        hours = int(links.LIFETIME.total_seconds() // 3600)
        self.stdout.write(f"One-time link for {user} ({user.username}), working once, for {hours} hours:")
        self.stdout.write(address)
        self.stdout.write("Give it to them in person; do not send it where anyone else can read it.")
