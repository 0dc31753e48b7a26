"""What `schoolgate web ...` and `schoolgate audit ...` run: Django set up with Schoolgate's settings."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("schoolgate.web")


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolgate.web.settings")
    import django

    django.setup()


def manage(argv: Sequence[str]) -> int:
    """Django's management commands (`migrate`, `check --deploy`, `createsuperuser`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolgate.web.settings")
    from django.core.management import execute_from_command_line

    from schoolgate.web.secretkey import ensure_key, needs_key

    if needs_key(list(argv)):
        ensure_key()  # before Django reads the settings; `help` makes nothing

    execute_from_command_line(["schoolgate web manage", *argv])
    return 0


def _proxy_checked(app: WSGIApplication, proxy: str, https: bool) -> WSGIApplication:
    """Refuses, with a clear error, a request from the trusted proxy that does not say whose it is
    (X-Forwarded-For) or, with HTTPS on, how it came (X-Forwarded-Proto): without them every user
    would have the proxy's address (so one person's wrong passwords would lock the whole school out)
    or every page would redirect to itself. Runs after waitress has read the headers: the
    X-Forwarded-* headers left are the trusted proxy's, waitress having cleared everyone else's."""

    def checked(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        missing = []
        if environ.get("REMOTE_ADDR") == proxy and not environ.get("HTTP_X_FORWARDED_FOR"):
            missing.append("X-Forwarded-For")
        if https and environ.get("HTTP_X_FORWARDED_FOR") and not environ.get("HTTP_X_FORWARDED_PROTO"):
            missing.append("X-Forwarded-Proto")
        if not missing:
            return app(environ, start_response)
        said = " and ".join(missing)
        logger.warning(
            "the reverse proxy at %s did not send %s: set it in the proxy's configuration", proxy, said
        )
        body = (
            f"Schoolgate's reverse proxy did not send {said}, so this request was refused. "
            "The school's network manager can set it in the proxy's configuration (docs/web.md).\n"
        ).encode()
        start_response(
            "400 Bad Request",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    return checked


def serve(host: str, port: int, threads: int, migrate: bool, trusted_proxy: str | None = None) -> int:
    """Serve the application with waitress (a production WSGI server: no debug pages, static files
    from the package through WhiteNoise). Migrates the database first unless told not to.

    `trusted_proxy` (else SCHOOLGATE_TRUSTED_PROXY) is the address of the school's reverse proxy: from
    that peer only, waitress takes the client's address from X-Forwarded-For (its last entry, the one
    the proxy added) and the scheme from X-Forwarded-Proto; it clears those headers from everyone
    else's requests. With HTTPS on (SCHOOLGATE_HTTPS=1), a proxy is needed: waitress speaks plain
    HTTP, so without one no request could ever count as HTTPS. Bodies larger than any page takes are
    refused before they are read."""
    from schoolgate.web.secretkey import ensure_key

    ensure_key()  # sessions and e-mailed links are signed with it: made before the settings are read
    setup()
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from waitress.server import MultiSocketServer, create_server

    from schoolgate.web.core.security import max_body_bytes
    from schoolgate.web.settings import trusted_proxy as proxy_address

    proxy = (
        settings.TRUSTED_PROXY if trusted_proxy is None else proxy_address(trusted_proxy, "--trusted-proxy")
    )
    if settings.HTTPS and proxy is None:
        raise ImproperlyConfigured(
            "SCHOOLGATE_HTTPS is 1 (the default), so Schoolgate is reached through the school's HTTPS "
            "reverse proxy: give its address with --trusted-proxy or SCHOOLGATE_TRUSTED_PROXY "
            "(or set SCHOOLGATE_HTTPS=0 to serve plain HTTP on this machine only, as the demo does)"
        )
    from schoolgate.web.wsgi import application

    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    app: WSGIApplication = application
    proxied: dict[str, Any] = {}
    if proxy is not None:
        app = _proxy_checked(application, proxy, bool(settings.HTTPS))
        proxied = {
            "trusted_proxy": proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True,
        }
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="Schoolgate",
        max_request_body_size=max_body_bytes() + 1,  # waitress refuses a body of this size or more
        **proxied,
    )
    if isinstance(server, MultiSocketServer):  # a host name with several addresses
        listening = list(server.effective_listen)
    else:
        one: Any = server  # its effective address is not in waitress's type stubs
        listening = [(one.effective_host, one.effective_port)]
    for where, at in listening:
        shown = f"[{where}]" if ":" in str(where) else where
        print(f"Schoolgate web application: http://{shown}:{at}/  (Ctrl-C stops it)", flush=True)
    if proxy is not None:
        print(f"believing X-Forwarded-For and X-Forwarded-Proto from {proxy} only", flush=True)
    server.run()
    return 0


def demo(size: str) -> int:
    """Migrate, load the demo school (unless it is there already) and print its logins."""
    from schoolgate.web.secretkey import ensure_key

    ensure_key()  # sets the data directory up, as `web serve` would, before the database is made there
    setup()
    from django.core.management import call_command

    from schoolgate.web.demo import load_demo, load_demo_incidents, load_demo_policy, load_demo_records
    from schoolgate.web.people.models import Person
    from schoolgate.web.policy.actions import snapshot_path

    call_command("migrate", interactive=False, verbosity=0)
    if size == "realistic":
        loaded = load_demo(pupils=1500, classes=60, staff=150, secondary=True)
        version = load_demo_policy(loaded.school, extra_rules=28)
    else:
        loaded = load_demo()
        version = load_demo_policy(loaded.school)
    incidents = load_demo_incidents(loaded.school, count=120 if size == "realistic" else 24)
    if incidents:
        print(f"its online safety log: {incidents} incidents over this school year and the last")
    load_demo_records(loaded.school)
    people = Person.objects.filter(school=loaded.school).count()
    said = "loaded" if loaded.created else "already there"
    print(f"demo school {loaded.school.name!r}: {said} ({people:,} people)")
    if version is not None:
        print(f"its filtering policy: version {version.number} published to {snapshot_path(loaded.school)}")
    print("Logins (password, then at the first login set up an authenticator app: scan the QR code,")
    print("or type the key it shows into any TOTP app, for example `oathtool --totp -b KEY`):")
    for login in loaded.logins:
        print(f"  {login.username:<12} {login.password}   {login.role} ({login.name})")
    return 0


def demo_day(policy: str, index: str, slug: str = "northfield") -> int:
    """The demo school's last school day and the week before, through the real Squid helper and
    worker, and last week's monitoring report (`web.monitoring.demo_day`)."""
    from pathlib import Path

    from schoolgate.web.secretkey import ensure_key

    ensure_key()
    setup()
    from django.core.management.base import CommandError

    from schoolgate.web.monitoring.demo_day import load_demo_days
    from schoolgate.web.tenancy.management.commands.create_school import database_ready
    from schoolgate.web.tenancy.models import School

    try:
        database_ready()
    except CommandError as exc:
        print(f"schoolgate web demo-day: {exc}", file=sys.stderr)
        return 2
    school = School.objects.filter(slug=slug).first()
    if school is None:
        print(f"there is no school {slug!r}: run `schoolgate web demo` first", file=sys.stderr)
        return 2
    try:
        done = load_demo_days(school, policy=Path(policy), index=Path(index))
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"schoolgate web demo-day: {exc}", file=sys.stderr)
        return 1
    days = ", ".join(f"{d:%a %-d %b}" for d in done.days)
    if not done.loaded:
        print(f"its activity: already there (school days {days})")
        return 0
    print(
        f"its activity: {done.requests:,} requests on {days} through the Squid helper; the worker stored "
        f"{done.events:,} blocked, flagged or search events and raised {done.alerts} alerts"
    )
    if done.report is not None:
        print(f"last week's monitoring report: the week of {done.report.week_start:%-d %B %Y}")
    return 0


def audit_verify(quiet: bool) -> int:
    setup()
    from tqdm import tqdm

    from schoolgate.web.audit.models import AuditHead
    from schoolgate.web.audit.trail import verify

    head = AuditHead.objects.filter(pk=1).first()
    total = head.count if head is not None else 0
    with tqdm(total=total, unit=" entries", disable=quiet or total < 5000, file=sys.stderr) as bar:
        last = 0

        def progress(n: int) -> None:
            nonlocal last
            bar.update(n - last)
            last = n

        result = verify(progress)
        bar.update(result.count - last)
    if result.broken is None:
        print(f"audit trail intact: {result.count:,} entries, head {result.head_hash}")
        return 0
    print(
        f"audit trail BROKEN at entry {result.broken.entry_id}: {result.broken.problem}. "
        f"The {max(result.count - 1, 0):,} entries before it are intact (last good hash {result.head_hash}).",
    )
    return 1
