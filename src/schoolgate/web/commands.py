"""What `schoolgate web ...` and `schoolgate audit ...` run: Django set up with Schoolgate's settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolgate.web.settings")
    import django

    django.setup()


def manage(argv: Sequence[str]) -> int:
    """Django's management commands (`migrate`, `check --deploy`, `createsuperuser`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolgate.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["schoolgate web manage", *argv])
    return 0


def serve(host: str, port: int, threads: int, migrate: bool) -> int:
    """Serve the application with waitress (a production WSGI server: no debug pages, static files
    from the package through WhiteNoise). Migrates the database first unless told not to."""
    setup()
    from django.core.management import call_command
    from waitress import serve as waitress_serve

    from schoolgate.web.wsgi import application

    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    print(f"Schoolgate web application: http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    waitress_serve(application, host=host, port=port, threads=threads, ident="Schoolgate", _quiet=True)
    return 0


def demo(size: str) -> int:
    """Migrate, load the demo school (unless it is there already) and print its logins."""
    setup()
    from django.core.management import call_command

    from schoolgate.web.demo import load_demo, load_demo_incidents, load_demo_policy
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
