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
