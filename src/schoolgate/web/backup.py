"""`schoolgate backup` and `schoolgate restore`: the database, the evidence files and the published
policies in one archive, and back onto an empty machine.

The archive is a tar file (mode 0600: it holds every safeguarding record), written beside its final
name and renamed into place only once it is whole, so that a backup that fails leaves no archive that
looks good. Its members:

- `database/schoolgate.sqlite3`: SQLite's own online backup of the database (consistent while the
  web application runs), checked with `PRAGMA integrity_check`; or `database/schoolgate.pgdump`,
  PostgreSQL's `pg_dump --format=custom`. Both keep every field exactly as stored, so the audit
  trail's hash chain verifies after a restore (`restore` runs `audit verify` to show it);
- `evidence/<aa>/<sha256>`: every file of the online safety log, each checked against the SHA-256
  it is kept by;
- `policies/<name>`: the published policy snapshots the gateways read;
- `manifest.json`, last: the format version, Schoolgate's version, the database engine and its
  migrations, and the SHA-256 and size of every other member.

Safeguarding records that cannot be restored are not kept: if an evidence file is missing, unreadable
or not the file it should be, or the database cannot be copied whole, the backup stops with what is
wrong and writes no archive. `restore` refuses an archive whose members do not match its manifest
(damaged or altered), one from another database engine or a newer Schoolgate, and a database that
already holds records unless told (`force`).

An archive is read as hostile until checked: every member must be a regular file (no links, devices
or sparse files) under a name a backup writes (`evidence/<aa>/<sha256>` holding exactly that SHA-256),
listed once in the manifest with its size and SHA-256; the whole archive is read and checked before
anything is written, and each member is checked again as it is written, so that an archive changed
between the two readings is still refused. The evidence files are restored first (new files, kept by
their hash, which harm nothing); the SQLite database is copied in by SQLite itself, in one transaction,
only after the copy from the archive passed its integrity check, so that a restore that fails leaves
the old database whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

import schoolgate
from schoolgate.files import atomic_file, sync_directory

FORMAT = "schoolgate-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
SQLITE_MEMBER = "database/schoolgate.sqlite3"
POSTGRESQL_MEMBER = "database/schoolgate.pgdump"
CHUNK = 1024 * 1024
_EVIDENCE_NAME = re.compile(r"evidence/([0-9a-f]{2})/([0-9a-f]{64})")
# Any file name SCHOOLGATE_POLICY may give (the member's name is never written to: the slug places it),
# but one name, not a path, and no control characters.
_POLICY_NAME = re.compile(r"policies/(?!\.)[^/\x00-\x1f\x7f]{1,255}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")  # a SlugField's letters, never a path
_MEMBER = {"sqlite": SQLITE_MEMBER, "postgresql": POSTGRESQL_MEMBER}


class BackupError(Exception):
    """The backup cannot be made whole; the message says what could not be read. No archive is left."""


class RestoreError(Exception):
    """The archive cannot be restored here; the message says why. Nothing was changed unless it says so."""


@dataclass
class BackupReport:
    path: Path
    engine: str
    evidence_files: int
    policies: list[str]
    size: int
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    engine: str
    created_at: str
    schoolgate_version: str
    evidence_files: int
    policies: list[Path]
    counts: dict[str, int]


# ---------------------------------------------------------------------------------------------------
# What is where


def engine() -> str:
    """'sqlite' or 'postgresql': the database this deployment runs on."""
    vendor = connections["default"].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups are made of SQLite or PostgreSQL databases, not {vendor}")
    return vendor


def _counts() -> dict[str, int]:
    """What the archive holds, in numbers a person checks after a restore."""
    names = {
        "schools": ("tenancy", "School"),
        "people": ("people", "Person"),
        "incidents": ("incidents", "Incident"),
        "policy versions": ("policy", "PolicyVersion"),
        "audit entries": ("audit", "AuditEntry"),
    }
    out = {}
    for label, (app, model) in names.items():
        with contextlib.suppress(LookupError):
            out[label] = apps.get_model(app, model)._default_manager.count()
    return out


def _has_records() -> bool:
    """Whether the database holds any of Schoolgate's records (a database that `migrate` made and
    nothing else wrote counts as empty: `web serve` migrates before it serves)."""
    tables = set(connections["default"].introspection.table_names())
    for model in apps.get_models():
        if not model.__module__.startswith("schoolgate.") or model._meta.db_table not in tables:
            continue
        if model._default_manager.exists():
            return True
    return False


def _migrations() -> dict[str, str]:
    """The last migration applied of each app: a backup from a newer Schoolgate is refused."""
    applied: dict[str, str] = {}
    for app, name in MigrationRecorder(connections["default"]).applied_migrations():
        applied[app] = max(applied.get(app, ""), name)
    return dict(sorted(applied.items()))


def _evidence() -> list[tuple[str, Path]]:
    """Every evidence file the records name: (SHA-256, where it is kept)."""
    from schoolgate.web.incidents.actions import evidence_path

    model = apps.get_model("incidents", "Evidence")
    digests = model._default_manager.exclude(sha256="").values_list("sha256", flat=True).distinct()
    found = sorted(digests)
    bad = [d for d in found if not _SHA256.fullmatch(d)]
    if bad:
        # Its archive name is its hash: a record that names none could not be restored.
        raise BackupError(
            f"{len(bad)} evidence record(s) of the online safety log name no SHA-256 ({_shown(bad[0])} "
            "first), so no backup was written"
        )
    return [(d, evidence_path(d)) for d in found]


def _shown(value: object, limit: int = 80) -> str:
    """Text from an archive's manifest as it may be printed: printable characters only (no terminal
    escapes), and not too long."""
    text = "".join(c for c in str(value) if c.isprintable())
    return text if len(text) <= limit else text[:limit] + "\u2026"


def _policy_targets() -> dict[str, tuple[Path, str | None]]:
    """Where the published policies are: archive name -> (path, the school's slug or None for the
    deployment's own `SCHOOLGATE_POLICY`)."""
    from schoolgate.web.policy.actions import snapshot_path

    base = Path(settings.POLICY_PATH)
    out: dict[str, tuple[Path, str | None]] = {"policies/" + base.name: (base, None)}
    for school in apps.get_model("tenancy", "School")._default_manager.order_by("pk"):
        path = snapshot_path(school)
        if path != base:
            out["policies/" + path.name] = (path, str(school.slug))
    return out


def _policy_path_for(slug: str | None) -> Path:
    """Where a restored snapshot goes on this machine: named as `snapshot_path` names it."""
    base = Path(settings.POLICY_PATH)
    if slug is None:
        return base
    return base.with_name(f"{base.stem}-{slug}{base.suffix or '.toml'}")


# ---------------------------------------------------------------------------------------------------
# Backing up


class _Writer:
    """Adds members to the tar, each hashed as it is written, and lists them for the manifest."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.members: dict[str, dict[str, Any]] = {}
        self.mtime = int(dt.datetime.now(dt.UTC).timestamp())

    def add(self, name: str, source: IO[bytes], size: int, expect_sha256: str | None = None) -> str:
        digest = hashlib.sha256()
        seen = 0

        class _Hashing(io.RawIOBase):
            def readinto(self, buffer: Any) -> int:
                nonlocal seen
                data = source.read(len(buffer))
                digest.update(data)
                seen += len(data)
                buffer[: len(data)] = data
                return len(data)

            def readable(self) -> bool:
                return True

        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, self.mtime
        try:
            self.tar.addfile(info, io.BufferedReader(_Hashing(), CHUNK))
        except OSError as exc:
            # tarfile reads exactly `size` bytes; a file that shrank under it is a short read.
            raise BackupError(f"{name}: could not be read whole ({exc})") from None
        if seen != size:
            raise BackupError(f"{name}: changed size while it was read ({size:,} bytes, then {seen:,})")
        sha = digest.hexdigest()
        if expect_sha256 is not None and sha != expect_sha256:
            raise BackupError(f"{name}: its content is not the file the record names (SHA-256 {sha})")
        self.members[name] = {"sha256": sha, "size": size}
        return sha

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add(name, io.BytesIO(data), len(data))


def _sqlite_copy(into: Path) -> None:
    """SQLite's online backup of the database into `into`, then checked whole."""
    source_path = Path(str(settings.DATABASES["default"]["NAME"]))
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path} (has `schoolgate web manage migrate` run?)")
    try:
        source = sqlite3.connect(f"{source_path.absolute().as_uri()}?mode=ro", uri=True, timeout=60)
        try:
            target = sqlite3.connect(into)
            try:
                source.backup(target)
                (result,) = target.execute("PRAGMA integrity_check").fetchone()
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the database {source_path} could not be copied: {exc}") from None
    if result != "ok":
        raise BackupError(f"the database {source_path} is damaged (integrity check: {result})")


def _pg_program(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian's postgresql-client package has it)")
    return str(candidates[0])


def _passfile_line(password: str) -> str:
    """A `.pgpass` line that gives `password` for any server, database and user (the environment says
    which): `:` and `\\` escaped as the file's format asks."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


def _pg_env(work: Path) -> dict[str, str]:
    """The environment for pg_dump and pg_restore. The password goes in a passfile (mode 0600, in the
    private directory `work`), never in PGPASSWORD or the command line, where other processes of the
    machine may read a program's environment or arguments."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        value = str(db.get(key) or "")
        if value:
            env[name] = value
        else:
            env.pop(name, None)
    password = str(db.get("PASSWORD") or "")
    if password:
        if "\n" in password or "\r" in password:
            raise BackupError(
                "the database password has a line break in it, which PostgreSQL's passfile cannot hold"
            )
        passfile = work / "pgpass"
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(_passfile_line(password))
        env["PGPASSFILE"] = str(passfile)
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _pg_dump(into: Path) -> None:
    done = subprocess.run(
        [_pg_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(into)],
        env=_pg_env(into.parent), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip() or done.returncode}")


def backup(path: Path, progress: Callable[[str], None] | None = None) -> BackupReport:
    """Write the archive to `path` (replacing a file there only once the new one is whole)."""
    say = progress or (lambda _: None)
    kind = engine()
    path = path.absolute()
    if path.is_dir():
        raise BackupError(f"{path} is a directory: give the archive's file name")
    if not path.parent.is_dir():
        raise BackupError(f"there is no directory {path.parent}")
    warnings: list[str] = []
    # The database copy is made beside the archive (a directory as private as it), not in a shared /tmp.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as work:
        say(f"copying the {kind} database")
        dump = Path(work) / "database"
        if kind == "sqlite":
            _sqlite_copy(dump)
        else:
            _pg_dump(dump)
        counts, migrations = _counts(), _migrations()
        evidence = _evidence()
        missing = [f"{p} (evidence {d[:12]}…)" for d, p in evidence if not p.is_file()]
        if missing:
            raise BackupError(
                f"{len(missing)} evidence file{'s' if len(missing) != 1 else ''} of the online safety log "
                f"cannot be found, so no backup was written: {', '.join(missing[:10])}"
                + (" and more" if len(missing) > 10 else "")
            )
        policies = _policy_targets()
        # Written whole or not at all, private from its creation, renamed into place once synced.
        with (
            atomic_file(path, mode=0o600, make_parents=False) as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            out = _Writer(tar)
            member = SQLITE_MEMBER if kind == "sqlite" else POSTGRESQL_MEMBER
            with dump.open("rb") as f:
                out.add(member, f, dump.stat().st_size)
            say(f"{len(evidence):,} evidence files")
            for digest, where in evidence:
                try:
                    with where.open("rb") as f:
                        out.add(f"evidence/{digest[:2]}/{digest}", f, os.fstat(f.fileno()).st_size, digest)
                except OSError as exc:
                    raise BackupError(f"the evidence file {where} cannot be read: {exc.strerror}") from None
            written: list[dict[str, Any]] = []
            for member_name, (where, slug) in policies.items():
                try:
                    data = where.read_bytes()
                except FileNotFoundError:
                    continue  # not published yet (or not under this name)
                except OSError as exc:
                    raise BackupError(
                        f"the published policy {where} cannot be read: {exc.strerror}"
                    ) from None
                out.add_bytes(member_name, data)
                written.append({"member": member_name, "school": slug})
            published = apps.get_model("policy", "PolicyVersion")._default_manager.values("school").distinct()
            if published.exists() and not written:
                warnings.append(
                    "policies have been published but no snapshot file was found at "
                    f"{settings.POLICY_PATH} or beside it: publish again after restoring"
                )
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "schoolgate_version": schoolgate.__version__,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "database": {"engine": kind, "member": member, "migrations": migrations},
                "evidence_files": len(evidence),
                "policies": written,
                "counts": counts,
                "members": out.members,
            }
            out.add_bytes(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
        sync_directory(path.parent)
    return BackupReport(
        path, kind, len(evidence), [p["member"] for p in written], path.stat().st_size, counts, warnings
    )


# ---------------------------------------------------------------------------------------------------
# Restoring


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:")
    except FileNotFoundError:
        raise RestoreError(f"there is no file {archive}") from None
    except (tarfile.TarError, OSError) as exc:
        raise RestoreError(f"{archive} is not a Schoolgate backup (not a tar archive: {exc})") from None


def read_manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    """The archive's manifest, checked for shape; raises RestoreError for anything else."""
    damaged = f"{archive} is damaged or is not a Schoolgate backup"
    try:
        info = tar.getmember(MANIFEST)
    except KeyError:
        raise RestoreError(f"{damaged}: it has no {MANIFEST}") from None
    except (tarfile.TarError, OSError) as exc:
        raise RestoreError(f"{damaged} ({exc})") from None
    if not info.isfile() or info.size > MANIFEST_MAX_BYTES:
        raise RestoreError(f"{damaged}: its {MANIFEST} is not a manifest")
    handle = tar.extractfile(info)
    assert handle is not None  # a regular file
    try:
        manifest = json.loads(handle.read())
    except (ValueError, OSError, tarfile.TarError):
        raise RestoreError(f"{damaged}: its {MANIFEST} cannot be read") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreError(f"{damaged}: its {MANIFEST} is not a Schoolgate manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise RestoreError(
            f"{archive} is a backup of format {version!r}; this Schoolgate ({schoolgate.__version__}) "
            f"restores format {FORMAT_VERSION}: restore it with the Schoolgate that made it"
        )
    members, database = manifest.get("members"), manifest.get("database")
    if (
        not isinstance(members, dict)
        or not isinstance(database, dict)
        or database.get("engine") not in _MEMBER
        or database.get("member") not in _MEMBER.values()
        or database["member"] not in members
        or not isinstance(database.get("migrations"), dict)
        or not isinstance(manifest.get("policies"), list)
        or not all(
            isinstance(m, dict)
            and isinstance(m.get("sha256"), str)
            and type(m.get("size")) is int
            and m["size"] >= 0
            for m in members.values()
        )
    ):
        raise RestoreError(f"{damaged}: its {MANIFEST} is incomplete")
    for name, member in members.items():
        evidence = _EVIDENCE_NAME.fullmatch(name)
        if not (
            name == database["member"]
            or (evidence is not None and evidence[1] == evidence[2][:2] and evidence[2] == member["sha256"])
            or _POLICY_NAME.fullmatch(name)
        ):
            raise RestoreError(f"{damaged}: its {MANIFEST} lists {name!r}, which is not a backup's member")
    targets: set[str | None] = set()
    for entry in manifest["policies"]:
        if not isinstance(entry, dict) or entry.get("member") not in members:
            raise RestoreError(f"{damaged}: its {MANIFEST} names a policy that is not in it")
        if not str(entry["member"]).startswith("policies/"):
            raise RestoreError(f"{damaged}: its {MANIFEST} names {entry['member']!r} as a policy")
        slug = entry.get("school")
        if slug is not None and (not isinstance(slug, str) or not _SLUG.fullmatch(slug)):
            raise RestoreError(f"{damaged}: its {MANIFEST} names a school {slug!r} that is not a slug")
        if slug in targets:
            raise RestoreError(f"{damaged}: its {MANIFEST} names the policy of {slug or 'the school'} twice")
        targets.add(slug)
    return manifest


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return not name.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def _hash_member(handle: IO[bytes], out: IO[bytes] | None = None) -> tuple[str, int]:
    """The SHA-256 and size of a member as read (and copied to `out`, if given)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


def verify_archive(archive: Path) -> dict[str, Any]:
    """Read the whole archive and check every member against the manifest (SHA-256 and size), and
    that nothing is in it that the manifest does not list. Returns the manifest; raises RestoreError."""
    with _open(archive) as tar:
        manifest = read_manifest(tar, archive)
        listed: dict[str, dict[str, Any]] = manifest["members"]
        seen: set[str] = set()
        try:
            for info in tar:
                if info.name == MANIFEST:
                    continue
                # Only regular files: a link, a device, a directory or a sparse file (a few bytes
                # that read as terabytes of zeros) is never in a backup.
                if not info.isfile() or info.issparse() or not _safe_name(info.name) or info.name in seen:
                    raise RestoreError(
                        f"{archive} is damaged or altered: it holds {info.name!r}, not a backup's member"
                    )
                if info.name not in listed:
                    raise RestoreError(
                        f"{archive} is damaged or altered: {info.name!r} is not in its manifest"
                    )
                seen.add(info.name)
                want = listed[info.name]
                if info.size != want["size"]:
                    raise RestoreError(
                        f"{archive} is damaged: {info.name} is not the size its manifest gives; "
                        "nothing was restored"
                    )
                handle = tar.extractfile(info)
                assert handle is not None
                sha, size = _hash_member(handle)
                if sha != want["sha256"] or size != want["size"]:
                    raise RestoreError(
                        f"{archive} is damaged: {info.name} does not match its checksum in the manifest; "
                        "nothing was restored"
                    )
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise RestoreError(f"{archive} is damaged (cut short?): {exc}; nothing was restored") from None
        lost = sorted(set(listed) - seen)
        if lost:
            raise RestoreError(f"{archive} is damaged: {len(lost)} member(s) are missing, {lost[0]} first")
    return manifest


class _Member:
    """One member of the archive being restored, with what the manifest says it holds."""

    def __init__(self, tar: tarfile.TarFile, archive: Path, manifest: dict[str, Any], name: str) -> None:
        self.tar, self.archive, self.name = tar, archive, name
        self.want: dict[str, Any] = manifest["members"][name]

    def copy_to(self, out: IO[bytes]) -> None:
        """Copy the member to `out`, checking it against the manifest again: the archive was read
        whole before, but may have been changed since."""
        try:
            info = self.tar.getmember(self.name)
            handle = self.tar.extractfile(info) if info.isfile() and not info.issparse() else None
            if handle is None:
                raise RestoreError(f"{self.archive} changed while it was restored: {self.name} is not a file")
            with handle:
                sha, size = _hash_member(handle, out)
        except (KeyError, tarfile.TarError, EOFError) as exc:
            raise RestoreError(f"{self.archive} changed while it was restored ({exc})") from None
        if sha != self.want["sha256"] or size != self.want["size"]:
            raise RestoreError(
                f"{self.archive} changed while it was restored: {self.name} no longer matches its checksum"
            )


def _write_file(target: Path, member: _Member, mode: int) -> None:
    """Write a restored file whole or not at all (streamed: evidence files may be large): a temporary
    file beside it, made 0600, renamed into place only once the member checked whole."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_file(target, mode=mode, make_parents=False) as out:
        member.copy_to(out)
    sync_directory(target.parent)


def _restore_sqlite(member: _Member) -> None:
    """Copy the archive's database into the live one. The copy is written beside it and checked
    (`PRAGMA integrity_check`) first; then SQLite's backup copies it in, in one transaction of the
    live database, under its own locks and journal: a crash or an error leaves the old database as it
    was, and a web process that has it open sees the old records or the new, never a mixture (and
    never the old database's write-ahead log applied to the new one)."""
    target = Path(str(settings.DATABASES["default"]["NAME"]))
    connections.close_all()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".restore")
    copy = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            member.copy_to(out)
        try:
            source = sqlite3.connect(f"{copy.absolute().as_uri()}?mode=ro", uri=True)
            try:
                (result,) = source.execute("PRAGMA integrity_check").fetchone()
                if result != "ok":
                    raise RestoreError(
                        f"{member.archive}: its database fails SQLite's integrity check ({result}); "
                        "the database here was not changed"
                    )
                with contextlib.suppress(FileExistsError):  # made private from the start
                    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                live = sqlite3.connect(target, timeout=60)
                try:
                    source.backup(live)
                finally:
                    live.close()
            finally:
                source.close()
        except sqlite3.Error as exc:
            raise RestoreError(
                f"{member.archive}: its database could not be copied in ({exc}); the database here was "
                "not changed"
            ) from None
    finally:
        copy.unlink(missing_ok=True)


# The tables of the database's own schema, dropped in the restore's transaction before the dump's are
# made. `pg_restore --clean` cannot do it: for a partitioned table (the monitoring's activity, by day)
# it drops each partition's copy of the table's constraints first, which PostgreSQL refuses.
_DROP_TABLES = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.relname);
    END LOOP;
END $$;
"""


def _restore_postgresql(member: _Member, clean: bool) -> None:
    """The dump made SQL by pg_restore (whole, or nothing is changed), then run by psql in one
    transaction, after the tables here are dropped (`clean`): any error rolls all of it back."""
    connections.close_all()
    with tempfile.TemporaryDirectory(prefix="schoolgate-restore-") as work:
        dump = Path(work) / "database.pgdump"
        script = Path(work) / "database.sql"
        _write_file(dump, member, 0o600)
        env = _pg_env(Path(work))
        made = subprocess.run(
            [_pg_program("pg_restore"), "--no-owner", "--no-privileges", "--file", str(script), str(dump)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if made.returncode != 0:
            why = made.stderr.strip() or made.returncode
            raise RestoreError(f"pg_restore could not read the dump: {why}")
        database = str(settings.DATABASES["default"]["NAME"])
        command = [_pg_program("psql"), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                   "--single-transaction", "--dbname", database]  # fmt: skip
        if clean:
            command += ["--command", _DROP_TABLES]
        done = subprocess.run(
            [*command, "--file", str(script)], env=env, capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        why = done.stderr.strip() or done.returncode
        raise RestoreError(f"the restore failed, and was rolled back: {why}")


def _pg_has_tables() -> bool:
    return bool(connections["default"].introspection.table_names())


def restore(
    archive: Path, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> RestoreReport:
    """Check the archive whole, then restore the database, the evidence files and the published
    policies of it here. Migrates the restored database to this Schoolgate's migrations. The caller
    runs `audit verify` next (the command does)."""
    say = progress or (lambda _: None)
    say(f"checking {archive}")
    manifest = verify_archive(archive)
    database = manifest["database"]
    here = engine()
    if database["engine"] != here:
        raise RestoreError(
            f"{archive} is a backup of a {database['engine']} database and this Schoolgate is set up for "
            f"{here} (SCHOOLGATE_DATABASE): restore it onto the same kind of database"
        )
    if database["member"] != _MEMBER[here]:
        raise RestoreError(f"{archive} is damaged or altered: its manifest names no {here} database")
    known = _known_migrations()
    newer = sorted(
        f"{app}.{name}"
        for app, name in database["migrations"].items()
        if not isinstance(name, str) or name > known.get(app, "")
    )
    if newer:
        raise RestoreError(
            f"{archive} was made by a newer Schoolgate ({_shown(manifest.get('schoolgate_version'))}; "
            f"migrations {_shown(', '.join(newer[:3]), 200)}): install that version, or a later one, and "
            "restore again"
        )
    has_records = _has_records_safely()
    if has_records and not force:
        raise RestoreError(
            "this database already holds records: restoring would replace every one of them. Restore into an "
            "empty database, or give --force to replace it"
        )
    with _open(archive) as tar:

        def member(name: str) -> _Member:
            return _Member(tar, archive, manifest, name)

        # Evidence first: new files, each named by its own hash, so a restore that stops after them
        # has changed no record. Then the database, then the policies the gateways put in force.
        evidence = [n for n in manifest["members"] if n.startswith("evidence/")]
        say(f"restoring {len(evidence):,} evidence files")
        evidence_dir = Path(settings.EVIDENCE_DIR)
        evidence_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in evidence:
            _write_file(evidence_dir / name.removeprefix("evidence/"), member(name), 0o600)
        say(f"restoring the {here} database")
        if here == "sqlite":
            _restore_sqlite(member(database["member"]))
        else:
            _restore_postgresql(member(database["member"]), clean=has_records or _pg_has_tables())
        restored_policies = []
        for entry in manifest["policies"]:
            target = _policy_path_for(entry.get("school"))
            # 0644: the gateways run as other users (proxy, unbound).
            _write_file(target, member(entry["member"]), 0o644)
            restored_policies.append(target)
    from django.core.management import call_command

    say("bringing the database up to this Schoolgate's migrations")
    call_command("migrate", interactive=False, verbosity=0)
    return RestoreReport(
        here,
        _shown(manifest.get("created_at", "")),
        _shown(manifest.get("schoolgate_version", "")),
        len(evidence),
        restored_policies,
        _counts(),
    )


def _known_migrations() -> dict[str, str]:
    """The last migration of each app this Schoolgate has (from its migration files)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known: dict[str, str] = {}
    for app, name in loader.disk_migrations:
        known[app] = max(known.get(app, ""), name)
    return known


def _has_records_safely() -> bool:
    """`_has_records`, for a database that may not have been migrated at all (a new machine)."""
    from django.db import DatabaseError

    if engine() == "sqlite":
        path = Path(str(settings.DATABASES["default"]["NAME"]))
        if not path.exists():  # a new machine: not even the data directory yet
            path.parent.mkdir(parents=True, exist_ok=True)
            return False
    try:
        return _has_records()
    except DatabaseError:
        return True  # tables that cannot be read are not known to be empty
