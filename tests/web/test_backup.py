"""`schoolgate backup` and `schoolgate restore`, as an operator runs them: the demo school's records,
an evidence file of the online safety log and the published policy, backed up on one machine (a data
directory and its database) and restored onto an empty one, where `audit verify` passes and everything
is there. On SQLite, and on PostgreSQL when the run has one (tests/postgresql.py): the restore then
goes into a second, empty database of that server."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

SCHOOLGATE = [sys.executable, "-m", "schoolgate.cli"]
# A real PNG (1x1), as a member of staff would upload a screenshot.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
POSTGRESQL = os.environ.get("SCHOOLGATE_DATABASE", "sqlite").startswith("postgres")

ADD_EVIDENCE = """
import io, sys
from schoolgate.web.commands import setup
setup()
from schoolgate.web.accounts.models import User
from schoolgate.web.incidents.access import deals_with
from schoolgate.web.incidents.actions import do_add_evidence
from schoolgate.web.incidents.choices import EvidenceKind
from schoolgate.web.incidents.models import Incident
dsl = User.objects.get(username="s.ahmed")
incident = next(i for i in Incident.objects.order_by("pk") if not i.illegal and deals_with(dsl, i)
                and i.status != "archived")
evidence = do_add_evidence(incident, actor=dsl, kind=EvidenceKind.FILE,
                           upload=io.BytesIO(sys.stdin.buffer.read()),
                           filename="screenshot.png", description="what the pupil saw")
print(evidence.sha256)
"""

COUNT = """
from schoolgate.web.commands import setup
setup()
from schoolgate.web.incidents.models import Evidence
from schoolgate.web.people.models import Person
from schoolgate.web.policy.models import PolicyVersion
print(Person.objects.count(), Evidence.objects.exclude(sha256="").count(), PolicyVersion.objects.count())
"""


def _env(data: Path, database: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(
        SCHOOLGATE_DATA=str(data),
        SCHOOLGATE_HTTPS="0",
        SCHOOLGATE_SECRET_KEY="backup-tests-" + "k" * 50,
        SCHOOLGATE_POLICY=str(data / "policy.toml"),
    )
    if database is not None:
        env["SCHOOLGATE_DATABASE"] = database
    return env


def _run(env: dict[str, str], *argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCHOOLGATE, *argv], env=env, input=stdin.decode("latin-1") if stdin else None,
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip


def _python(env: dict[str, str], code: str, stdin: bytes = b"") -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, input=stdin, capture_output=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


def _new_database(tag: str) -> str | None:
    """None on SQLite (the data directory holds it); on PostgreSQL, a new empty database of the run's
    server, named for `tag`."""
    if not POSTGRESQL:
        return None
    import psycopg

    url = urlsplit(os.environ["SCHOOLGATE_DATABASE"])
    name = f"sg_{tag}_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(url._replace(path=f"/{name}"))


@dataclass
class Machine:
    data: Path
    env: dict[str, str]


def _machine(root: Path, tag: str) -> Machine:
    data = root / tag
    return Machine(data, _env(data, _new_database(tag)))


@dataclass
class Source:
    machine: Machine
    archive: Path
    evidence_sha256: str
    counts: str


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    root = tmp_path_factory.mktemp("backup")
    machine = _machine(root, "school")
    done = _run(machine.env, "web", "demo")
    assert done.returncode == 0, done.stdout + done.stderr
    sha = _python(machine.env, ADD_EVIDENCE, PNG)
    assert sha == hashlib.sha256(PNG).hexdigest()
    archive = root / "backups" / "schoolgate.tar"
    archive.parent.mkdir()
    done = _run(machine.env, "backup", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 evidence file," in done.stdout and "1 published policy" in done.stdout
    yield Source(machine, archive, sha, _python(machine.env, COUNT))


def test_the_archive_is_private_and_says_what_it_holds(source: Source) -> None:
    assert source.archive.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in source.archive.parent.iterdir()] == ["schoolgate.tar"]  # no temporary left
    with tarfile.open(source.archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        for name, member in manifest["members"].items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == member["sha256"]  # type: ignore[union-attr]
    assert names[-1] == "manifest.json"
    assert manifest["format"] == "schoolgate-backup" and manifest["format_version"] == 1
    assert manifest["database"]["engine"] == ("postgresql" if POSTGRESQL else "sqlite")
    assert f"evidence/{source.evidence_sha256[:2]}/{source.evidence_sha256}" in names
    assert "policies/policy.toml" in names
    assert manifest["counts"]["schools"] == 1 and manifest["counts"]["audit entries"] > 1000


def test_a_restore_into_an_empty_machine_brings_everything_back(source: Source, tmp_path: Path) -> None:
    new = _machine(tmp_path, "new")
    done = _run(new.env, "restore", str(source.archive))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit trail intact" in done.stdout
    verified = _run(new.env, "audit", "verify")
    assert verified.returncode == 0 and "audit trail intact" in verified.stdout, verified.stdout
    assert _python(new.env, COUNT) == source.counts
    stored = new.data / "evidence" / source.evidence_sha256[:2] / source.evidence_sha256
    assert stored.read_bytes() == PNG
    assert (new.data / "policy.toml").read_text() == (source.machine.data / "policy.toml").read_text()
    assert (new.data / "policy.toml").stat().st_mode & 0o777 == 0o644  # the gateways read it
    listed = _run(new.env, "restore", str(source.archive))
    assert listed.returncode == 2
    assert "already holds records" in listed.stderr and "--force" in listed.stderr
    forced = _run(new.env, "restore", "--force", "--quiet", str(source.archive))
    assert forced.returncode == 0, forced.stderr
    assert _python(new.env, COUNT) == source.counts


def _rewrite(archive: Path, out: Path, change: dict[str, bytes]) -> None:
    """A copy of `archive` with some members' content replaced (and the manifest left as it was)."""
    with tarfile.open(archive) as tar, tarfile.open(out, "w") as copy:
        for info in tar:
            data = tar.extractfile(info).read()  # type: ignore[union-attr]
            data = change.get(info.name, data)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))


def test_a_damaged_archive_is_refused_and_nothing_is_restored(source: Source, tmp_path: Path) -> None:
    with tarfile.open(source.archive) as tar:
        policy = tar.extractfile("policies/policy.toml").read()  # type: ignore[union-attr]
    damaged = tmp_path / "damaged.tar"
    _rewrite(source.archive, damaged, {"policies/policy.toml": policy.replace(b"block", b"allow", 1)})
    new = _machine(tmp_path, "new")
    done = _run(new.env, "restore", str(damaged))
    assert done.returncode == 2
    assert "damaged" in done.stderr and "checksum" in done.stderr and "Traceback" not in done.stderr
    assert not (new.data / "policy.toml").exists() and not (new.data / "evidence").exists()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(source.archive.read_bytes()[: source.archive.stat().st_size // 2])
    done = _run(new.env, "restore", str(cut))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "damaged" in done.stderr or "not a Schoolgate backup" in done.stderr
    not_tar = tmp_path / "notes.txt"
    not_tar.write_text("not an archive")
    done = _run(new.env, "restore", str(not_tar))
    assert done.returncode == 2 and "not a Schoolgate backup" in done.stderr


def test_a_backup_of_another_database_engine_is_refused(source: Source, tmp_path: Path) -> None:
    with tarfile.open(source.archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    manifest["database"]["engine"] = "sqlite" if POSTGRESQL else "postgresql"
    other = tmp_path / "other.tar"
    _rewrite(source.archive, other, {"manifest.json": json.dumps(manifest).encode()})
    new = _machine(tmp_path, "new")
    done = _run(new.env, "restore", str(other))
    assert done.returncode == 2 and "restore it onto the same kind of database" in done.stderr


def test_an_evidence_file_that_cannot_be_read_stops_the_backup(source: Source, tmp_path: Path) -> None:
    sha = source.evidence_sha256
    stored = source.machine.data / "evidence" / sha[:2] / sha
    moved = tmp_path / "moved-away"
    shutil.move(stored, moved)
    try:
        archive = tmp_path / "incomplete.tar"
        done = _run(source.machine.env, "backup", str(archive))
        assert done.returncode == 2
        assert "no backup was written" in done.stderr and "evidence" in done.stderr
        assert not archive.exists() and list(tmp_path.iterdir()) == [moved]
        stored.write_bytes(PNG[:-1] + b"\x00")  # there, but not the file the record names
        done = _run(source.machine.env, "backup", str(archive))
        assert done.returncode == 2 and "not the file the record names" in done.stderr
        assert not archive.exists()
    finally:
        shutil.move(moved, stored)


def test_a_wrong_path_is_one_clear_line(source: Source, tmp_path: Path) -> None:
    done = _run(source.machine.env, "backup", str(tmp_path / "no-such-directory" / "b.tar"))
    assert done.returncode == 2 and "there is no directory" in done.stderr and "Traceback" not in done.stderr
    done = _run(source.machine.env, "backup", str(tmp_path))
    assert done.returncode == 2 and "is a directory" in done.stderr
    done = _run(_machine(tmp_path, "new").env, "restore", str(tmp_path / "missing.tar"))
    assert done.returncode == 2 and "there is no file" in done.stderr and "Traceback" not in done.stderr


# -- a hostile archive ------------------------------------------------------------------------------


def _forge(
    archive: Path,
    out: Path,
    *,
    extra: tuple[tuple[tarfile.TarInfo, bytes], ...] = (),
    change: dict[str, bytes] | None = None,
    manifest_change: Any = None,
) -> None:
    """A copy of `archive` as someone who knows the format would forge it: members added or changed,
    and the manifest rewritten to list them with their true checksums (so only the rules of the format,
    not a checksum, can refuse it). `manifest_change` edits the manifest last."""
    change = change or {}
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        members = [(info, tar.extractfile(info).read()) for info in tar if info.name != "manifest.json"]  # type: ignore[union-attr]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as copy:
        for info, data in [*members, *extra]:
            data = change.get(info.name, data)
            if info.isfile():
                info.size = len(data)
                manifest["members"][info.name] = {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                }
                copy.addfile(info, io.BytesIO(data))
            else:
                manifest["members"][info.name] = {"sha256": hashlib.sha256(b"").hexdigest(), "size": 0}
                copy.addfile(info)
        if manifest_change is not None:
            manifest_change(manifest)
        text = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(text)
        copy.addfile(info, io.BytesIO(text))


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    return info, b""


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (_special("policies/policy.toml.link", tarfile.SYMTYPE, "/etc/passwd"), "a symbolic link"),
        (_special("policies/hard", tarfile.LNKTYPE, "database/schoolgate.sqlite3"), "a hard link"),
        (_special("policies/zero", tarfile.CHRTYPE), "a device"),
        (_special("policies/fifo", tarfile.FIFOTYPE), "a pipe"),
        (_special("evidence", tarfile.DIRTYPE), "a directory"),
        (_file("policies/../../escape.toml", b"x"), "a name that climbs out"),
        (_file("/etc/cron.d/schoolgate", b"x"), "an absolute name"),
        (_file("evidence/aa/" + "ab" * 32, b"not the file its name gives"), "evidence not its own hash"),
        (_file("evidence/00/" + hashlib.sha256(b"x").hexdigest(), b"x"), "evidence in the wrong folder"),
        (_file("settings/secret-key", b"x"), "a member no backup writes"),
    ],
)
def test_a_forged_member_is_refused_before_anything_is_written(
    source: Source, tmp_path: Path, extra: tuple[tarfile.TarInfo, bytes], why: str
) -> None:
    from schoolgate.web.backup import RestoreError, verify_archive

    forged = tmp_path / "forged.tar"
    _forge(source.archive, forged, extra=(extra,))
    with pytest.raises(RestoreError, match=r"damaged or altered|not a backup.s member"):
        verify_archive(forged)


def _point_database_at_evidence(manifest: dict[str, Any]) -> None:
    manifest["database"]["member"] = next(n for n in manifest["members"] if n.startswith("evidence/"))


def _school_slug(slug: str) -> Any:
    def change(manifest: dict[str, Any]) -> None:
        manifest["policies"] = [{"member": "policies/policy.toml", "school": slug}]

    return change


def _same_policy_twice(manifest: dict[str, Any]) -> None:
    manifest["policies"] = [{"member": "policies/policy.toml", "school": "a"}] * 2


def _size_not_a_number(manifest: dict[str, Any]) -> None:
    manifest["members"]["policies/policy.toml"]["size"] = True


@pytest.mark.parametrize(
    "lie",
    [
        _point_database_at_evidence,
        _school_slug("../../etc/schoolgate"),
        _school_slug("a\x00b"),
        _school_slug(".hidden"),
        _school_slug(""),
        _same_policy_twice,
        _size_not_a_number,
    ],
)
def test_a_manifest_that_lies_is_refused(source: Source, tmp_path: Path, lie: Any) -> None:
    from schoolgate.web.backup import RestoreError, verify_archive

    forged = tmp_path / "forged.tar"
    _forge(source.archive, forged, manifest_change=lie)
    with pytest.raises(RestoreError, match="manifest"):
        verify_archive(forged)


def test_an_archive_changed_after_it_was_checked_is_refused_as_it_is_written(
    source: Source, tmp_path: Path
) -> None:
    """The archive is read twice (checked whole, then written out): a member changed in between is
    refused by the second reading too."""
    from schoolgate.web.backup import RestoreError, _Member, verify_archive

    manifest = verify_archive(source.archive)
    changed = tmp_path / "changed.tar"
    _rewrite(source.archive, changed, {"policies/policy.toml": b"[groups]\n"})
    with tarfile.open(changed) as tar:
        member = _Member(tar, changed, manifest, "policies/policy.toml")
        with pytest.raises(RestoreError, match="changed while it was restored"):
            member.copy_to(io.BytesIO())


@pytest.mark.sqlite_only("the SQLite database file; PostgreSQL restores in one transaction")
def test_a_database_that_fails_its_check_leaves_the_old_one_whole(source: Source, tmp_path: Path) -> None:
    new = _machine(tmp_path, "new")
    done = _run(new.env, "restore", "--quiet", str(source.archive))
    assert done.returncode == 0, done.stderr
    with tarfile.open(source.archive) as tar:
        database = tar.extractfile("database/schoolgate.sqlite3").read()  # type: ignore[union-attr]
    # A SQLite file whose header is whole but whose pages are not: it opens, and fails its check.
    broken = database[:4096] + bytes(b ^ 0x5A for b in database[4096:8192]) + database[8192:]
    forged = tmp_path / "broken.tar"
    _forge(source.archive, forged, change={"database/schoolgate.sqlite3": broken})
    done = _run(new.env, "restore", "--force", str(forged))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "the database here was not changed" in done.stderr
    assert _python(new.env, COUNT) == source.counts
    assert _run(new.env, "audit", "verify").returncode == 0
    assert not [p for p in (new.data).iterdir() if p.name.endswith((".restore", ".tmp"))]
    database_file = next(new.data.glob("*.sqlite3"))
    assert database_file.stat().st_mode & 0o777 == 0o600


def test_the_postgresql_password_goes_in_a_private_passfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never in PGPASSWORD or the command line of pg_dump and pg_restore, which other processes of
    the machine may read: in a passfile only the user can read, its `:` and `\\` escaped."""
    from django.conf import settings

    from schoolgate.web.backup import _pg_env

    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    monkeypatch.setitem(settings.DATABASES["default"], "PASSWORD", "pa:ss\\word")
    env = _pg_env(tmp_path)
    assert "PGPASSWORD" not in env
    passfile = Path(env["PGPASSFILE"])
    assert passfile.parent == tmp_path and passfile.stat().st_mode & 0o777 == 0o600
    assert passfile.read_text() == "*:*:*:*:pa\\:ss\\\\word\n"
    assert not any("pa:ss" in value for key, value in env.items() if key != "PGPASSFILE")


@pytest.mark.sqlite_only("edits the SQLite database inside the archive")
def test_a_restored_audit_trail_that_does_not_verify_fails_the_restore(
    source: Source, tmp_path: Path
) -> None:
    import sqlite3

    with tarfile.open(source.archive) as tar:
        database = tar.extractfile("database/schoolgate.sqlite3").read()  # type: ignore[union-attr]
    edited = tmp_path / "edited.sqlite3"
    edited.write_bytes(database)
    with sqlite3.connect(edited) as conn:  # a record changed behind the audit trail's back
        conn.execute("UPDATE audit_auditentry SET reason = 'nothing happened' WHERE id = 5")
    conn.close()
    forged = tmp_path / "edited.tar"
    _forge(source.archive, forged, change={"database/schoolgate.sqlite3": edited.read_bytes()})
    done = _run(_machine(tmp_path, "new").env, "restore", str(forged))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "audit trail BROKEN at entry 5" in done.stdout
    assert "the restored audit trail does not verify" in done.stderr and "Traceback" not in done.stderr


def test_text_from_a_manifest_is_printed_without_terminal_escapes(source: Source, tmp_path: Path) -> None:
    def newer_with_escapes(manifest: dict[str, Any]) -> None:
        manifest["schoolgate_version"] = "\x1b]0;owned\x07\x1b[2J99.0"
        manifest["database"]["migrations"]["zz\x1b[31m"] = "9999_later"

    forged = tmp_path / "escapes.tar"
    _forge(source.archive, forged, manifest_change=newer_with_escapes)
    done = _run(_machine(tmp_path, "new").env, "restore", str(forged))
    assert done.returncode == 2 and "made by a newer Schoolgate (]0;owned[2J99.0;" in done.stderr
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr


def test_a_policy_file_of_any_plain_name_is_backed_up_and_restored(tmp_path: Path) -> None:
    """SCHOOLGATE_POLICY may name the file as the school likes: its archive name must restore."""
    from schoolgate.web.backup import _POLICY_NAME

    for name in ("policy.toml", "Hill Primary policy.toml", "policy-hill_primary.toml"):
        assert _POLICY_NAME.fullmatch(f"policies/{name}")
    for name in ("../policy.toml", ".hidden", "a/b.toml", "bell\x07.toml", ""):
        assert not _POLICY_NAME.fullmatch(f"policies/{name}")


def test_an_evidence_record_that_names_no_hash_stops_the_backup(source: Source, tmp_path: Path) -> None:
    """Its archive name would be its hash: a backup with it could never be restored, so none is made."""
    new = _machine(tmp_path, "new")
    assert _run(new.env, "restore", "--quiet", str(source.archive)).returncode == 0
    _python(
        new.env,
        "from schoolgate.web.commands import setup\nsetup()\n"
        "from schoolgate.web.incidents.models import Evidence\n"
        "Evidence.objects.exclude(sha256='').update(sha256='../../../etc/passwd')\n",
    )
    archive = tmp_path / "never.tar"
    done = _run(new.env, "backup", str(archive))
    assert done.returncode == 2 and "name no SHA-256" in done.stderr and "Traceback" not in done.stderr
    assert not archive.exists()
