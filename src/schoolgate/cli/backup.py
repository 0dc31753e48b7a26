"""`schoolgate backup FILE` and `schoolgate restore FILE [--force]`: the database, the evidence files
and the published policies in one archive, and back (schoolgate.web.backup says what is in it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schoolgate.cli.common import CommandError, Commands

__all__ = ["register"]


def _say(quiet: bool) -> object:
    def say(text: str) -> None:
        if not quiet:
            print(f"... {text}", file=sys.stderr, flush=True)

    return say


def cmd_backup(args: argparse.Namespace) -> int:
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from schoolgate.web.commands import setup

    try:
        setup()
        from schoolgate.web.backup import BackupError, backup

        report = backup(args.file, progress=_say(args.quiet))  # type: ignore[arg-type]
    except ImproperlyConfigured as exc:
        raise CommandError(f"the web application's settings: {exc}") from None
    except BackupError as exc:
        raise CommandError(f"no backup was written: {exc}") from None
    except DatabaseError as exc:
        raise CommandError(f"no backup was written: the database cannot be read ({exc})") from None
    except OSError as exc:
        raise CommandError(f"no backup was written: {args.file}: {exc.strerror or exc}") from None
    counts = ", ".join(f"{what}: {n:,}" for what, n in report.counts.items())
    print(
        f"backup written to {report.path} ({report.size:,} bytes, mode 600): the {report.engine} database "
        f"({counts}), {report.evidence_files:,} evidence file{'s' if report.evidence_files != 1 else ''}, "
        f"{len(report.policies)} published polic{'ies' if len(report.policies) != 1 else 'y'}"
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from schoolgate.web.commands import audit_verify, setup

    try:
        setup()
        from schoolgate.web.backup import RestoreError, restore

        report = restore(args.file, force=args.force, progress=_say(args.quiet))  # type: ignore[arg-type]
    except ImproperlyConfigured as exc:
        raise CommandError(f"the web application's settings: {exc}") from None
    except RestoreError as exc:
        raise CommandError(f"not restored: {exc}") from None
    except DatabaseError as exc:
        raise CommandError(f"the restore failed in the database: {exc}") from None
    except OSError as exc:
        raise CommandError(
            f"the restore failed: {exc.strerror or exc} ({exc.filename or args.file})"
        ) from None
    counts = ", ".join(f"{what}: {n:,}" for what, n in report.counts.items())
    print(
        f"restored the backup of {report.created_at} (Schoolgate {report.schoolgate_version}): the "
        f"{report.engine} database ({counts}), {report.evidence_files:,} evidence "
        f"file{'s' if report.evidence_files != 1 else ''}"
    )
    for path in report.policies:
        print(f"published policy: {path}")
    print("checking the audit trail:")
    status = audit_verify(quiet=True)
    if status != 0:
        print(
            "schoolgate: the restored audit trail does not verify: the backup's records were changed "
            "after they were written, or the backup is not the one you meant. Keep the archive, and "
            "do not put this machine in use until it is understood.",
            file=sys.stderr,
        )
    return status


def register(commands: Commands) -> None:
    backup = commands.add_parser(
        "backup", help="the database, the evidence files and the published policies in one archive"
    )
    backup.add_argument("file", type=Path, help="the archive to write (mode 600; replaced only once whole)")
    backup.add_argument("--quiet", action="store_true", help="say only what was written")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser(
        "restore", help="restore a backup onto this machine, then check the audit trail"
    )
    restore.add_argument("file", type=Path, help="the archive `schoolgate backup` wrote")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds records")
    restore.add_argument("--quiet", action="store_true", help="say only what was restored")
    restore.set_defaults(handler=cmd_restore)
