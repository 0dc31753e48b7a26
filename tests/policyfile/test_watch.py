"""policyfile/watch.py: a change to the policy or its index is noticed the same way by every reader —
an atomic rename (even at the same size and time), an edit in place, a removal — and a touch or a write
of the same bytes is not a change. Real files throughout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schoolgate.files import write_atomically
from schoolgate.policyfile import watch
from schoolgate.policyfile.watch import FileWatcher


def settled(*paths: Path) -> FileWatcher:
    watcher = FileWatcher(*paths)
    assert watcher.changed()  # nothing settled yet
    watcher.settle(watcher.look())
    assert not watcher.changed()
    return watcher


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text('schema_version = 1\n[groups.default]\ndefault = "block"\n')
    return path


def test_an_atomic_rename_of_new_content_is_a_change_even_at_the_same_size_and_time(policy: Path) -> None:
    watcher = settled(policy)
    before = policy.stat()
    write_atomically(policy, policy.read_text().replace("block", "BLOCK"))
    os.utime(policy, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same size and time, a new inode
    assert policy.stat().st_size == before.st_size
    assert watcher.changed()


def test_an_edit_in_place_is_a_change(policy: Path) -> None:
    watcher = settled(policy)
    with policy.open("a") as handle:
        handle.write("# a comment\n")
    assert watcher.changed()


def test_a_touch_or_the_same_bytes_written_again_is_not_a_change(policy: Path) -> None:
    watcher = settled(policy)
    os.utime(policy, ns=(1, 1))
    assert not watcher.changed()
    write_atomically(policy, policy.read_bytes())  # a publish of the same policy: a new inode
    assert not watcher.changed()
    assert not watcher.changed()


def test_a_file_that_is_touched_is_not_read_again_at_every_look(
    policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = settled(policy)
    os.utime(policy, ns=(5, 5))
    assert not watcher.changed()  # read once, to see that the bytes are the same
    reads: list[Path] = []
    real = watch._digest
    monkeypatch.setattr(watch, "_digest", lambda path, size: reads.append(path) or real(path, size))
    assert not watcher.changed()
    assert reads == []


def test_a_removed_file_is_a_change_and_so_is_its_return(policy: Path) -> None:
    watcher = settled(policy)
    text = policy.read_text()
    policy.unlink()
    assert watcher.changed()
    watcher.settle(watcher.look())  # a reader that failed to load it does not retry until it changes
    assert not watcher.changed()
    policy.write_text(text)
    assert watcher.changed()


def test_either_file_changing_is_a_change(policy: Path, tmp_path: Path) -> None:
    index = tmp_path / "lists.sgidx"
    index.write_bytes(b"index one")
    watcher = settled(policy, index)
    write_atomically(index, b"index two")
    assert watcher.changed()
    watcher.settle(watcher.look())
    assert not watcher.changed()


def test_a_change_made_while_a_reader_loads_is_noticed_at_the_next_look(policy: Path) -> None:
    watcher = FileWatcher(policy)
    states = watcher.look()  # taken before loading
    write_atomically(policy, "schema_version = 1\n")  # published meanwhile
    watcher.settle(states)  # settled on what was looked at, not on what is there now
    assert watcher.changed()


def test_a_large_file_is_compared_by_identity_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "HASH_LIMIT", 10)
    index = tmp_path / "lists.sgidx"
    index.write_bytes(b"a large compiled index")
    watcher = settled(index)
    assert watcher.look()[0].digest is None  # never read whole just to look
    write_atomically(index, index.read_bytes())  # `lists compile` always renames a new file in
    assert watcher.changed()


def test_a_missing_file_stays_unchanged_while_it_is_missing(tmp_path: Path) -> None:
    watcher = settled(tmp_path / "not-yet.toml")
    assert not watcher.changed()


def test_a_change_in_place_within_the_same_tick_at_the_same_size_is_noticed(policy: Path) -> None:
    """Same inode, size and modification time: the identity cannot tell, so a file changed this
    recently is hashed again until its time is safely past."""
    watcher = settled(policy)
    before = policy.stat()
    with policy.open("r+b") as handle:  # in place: the same inode
        handle.write(b"SCHEMA")
    os.utime(policy, ns=(before.st_atime_ns, before.st_mtime_ns))  # within the same clock tick
    after = policy.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
    assert watcher.changed()


def test_a_racy_state_is_hashed_again_until_its_time_is_past(
    policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = settled(policy)
    assert watcher.look()[0].racy  # just written
    reads: list[Path] = []
    real = watch._digest
    monkeypatch.setattr(watch, "_digest", lambda path, size: reads.append(path) or real(path, size))
    assert not watcher.changed() and reads == [policy]  # racy: read again
    old = policy.stat().st_mtime_ns - 10 * watch.RACY_NS
    os.utime(policy, ns=(old, old))
    assert not watcher.changed()  # read once more, and no longer racy
    reads.clear()
    assert not watcher.changed() and not watcher.changed()
    assert reads == []
