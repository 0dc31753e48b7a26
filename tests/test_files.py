"""schoolgate/files.py: a file replaced whole or not at all — temporary file beside it, synced, renamed,
the directory synced; nothing left behind when a write fails."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from schoolgate import files
from schoolgate.files import write_atomically


def test_the_new_content_replaces_the_old_and_text_is_written_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("old\n", encoding="utf-8")
    write_atomically(path, 'name = "Ysgol Gymraeg — ✓"\n')
    assert path.read_bytes() == 'name = "Ysgol Gymraeg — ✓"\n'.encode()
    write_atomically(path, b"\x00\x01bytes")
    assert path.read_bytes() == b"\x00\x01bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.toml"]


def test_the_temporary_file_is_beside_the_target_synced_then_renamed_and_the_directory_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "zones" / "ks2.rpz"
    events: list[tuple[str, Any]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", stat.S_ISDIR(os.fstat(fd).st_mode)))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(("replace", (Path(src).parent, Path(src).read_text(), Path(dst))))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomically(path, "zone\n")  # the directory is made too
    assert events == [
        ("fsync", False),  # the file's data, before the rename
        ("replace", (path.parent, "zone\n", path)),  # from the same directory, whole
        ("fsync", True),  # then the directory, so that the rename survives a power cut
    ]


@pytest.mark.parametrize(("mode", "expected"), [(0o644, 0o644), (0o640, 0o640), (None, 0o600)])
def test_the_mode_is_set_before_the_rename(tmp_path: Path, mode: int | None, expected: int) -> None:
    path = tmp_path / "passwords"
    seen: list[int] = []
    write_atomically(path, "x", mode=mode, prepare=lambda temporary: seen.append(temporary.stat().st_mode))
    assert stat.S_IMODE(seen[0]) == expected  # already so when `prepare` runs, before anyone can read it
    assert stat.S_IMODE(path.stat().st_mode) == expected


def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lists.sgidx"
    path.write_bytes(b"old index")

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, b"new index")
    assert path.read_bytes() == b"old index"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lists.sgidx"]


def test_a_write_interrupted_half_way_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("running\n")

    def crash(fd: int) -> None:  # the process dies after the data, before it is synced and renamed
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, "x" * 1_000_000)
    assert path.read_text() == "running\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.toml"]


def test_a_failing_prepare_step_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "passwords"

    def refuse(temporary: Path) -> None:
        raise PermissionError(1, "Operation not permitted")

    with pytest.raises(PermissionError):
        write_atomically(path, "user:hash\n", prepare=refuse)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_directory_is_an_error_when_it_must_not_be_made(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "nowhere" / "squid.conf", "x", make_parents=False)
    assert list(tmp_path.iterdir()) == []


def test_a_reader_sees_the_old_file_or_the_new_never_part_of_one(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    old, new = b"a" * 300_000, b"b" * 300_000
    path.write_bytes(old)
    with path.open("rb") as reader:  # opened before: keeps the old file whole, to its end
        write_atomically(path, new)
        assert reader.read() == old
    assert path.read_bytes() == new


def test_the_directory_sync_tolerates_a_directory_that_cannot_be_opened(tmp_path: Path) -> None:
    files.sync_directory(tmp_path / "missing")  # nothing to sync, and no error


def test_content_written_a_piece_at_a_time_appears_only_when_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "backup.tar"
    path.write_bytes(b"yesterday's backup")
    with files.atomic_file(path, mode=0o600) as handle:
        for n in range(3):
            handle.write(b"piece %d\n" % n)
            assert path.read_bytes() == b"yesterday's backup"  # not yet
    assert path.read_bytes() == b"piece 0\npiece 1\npiece 2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.tar"]


def test_an_error_in_the_block_leaves_the_old_file_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "backup.tar"
    path.write_bytes(b"yesterday's backup")
    with pytest.raises(ValueError, match="the database went away"), files.atomic_file(path) as handle:
        handle.write(b"half an archive")
        raise ValueError("the database went away")
    assert path.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.tar"]
