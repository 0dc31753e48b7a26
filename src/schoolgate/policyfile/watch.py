"""Noticing that the policy file or the list index changed: one way, for every process that reads them.

The Squid helper, `rpz watch`, `dns-log` and the block page each keep a policy in memory and must load
it again when it is published anew, and only then. `FileWatcher` looks at each file's identity first
(device, inode, size, modification time: cheap, and an atomic rename — how `schoolgate` and the web
editor publish — always gives a new inode); only when that changed does it read the file and compare
a SHA-256 of its content with the last one seen. So:

- a new file renamed over the old one is noticed, even within the same clock tick and at the same size;
- a file edited in place is noticed (its size or modification time moves);
- a file touched, or written again with the same bytes, is not a change: nothing is reloaded;
- a file that disappears is a change (a reader then says what is wrong), and so is one that comes back.

Only files up to `HASH_LIMIT` bytes are hashed (a policy file is a few kilobytes): a compiled index of
hundreds of megabytes is compared by identity alone, which `lists compile` always changes (it renames
a new file into place), so that no gateway reads the whole index again just to look.

`look()` gives the state now; a reader takes it *before* loading and `settle()`s on it after, so that a
change made while it was loading is noticed at the next look.

Identity alone can be fooled in one case, which `RACY_NS` closes: a file changed in place (or a new
file renamed in on an inode the file system has just freed) within the same clock tick as the last
look, at the same size, keeps the same identity. So a state whose modification time was still within
`RACY_NS` of the clock when it was looked at is "racy" (as git calls it): its content is hashed again at
the next look, until a look finds its time safely in the past. A published policy is thus read again
for a second or two after each change, and never missed.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FileState", "FileWatcher"]

_CHUNK = 1 << 20
HASH_LIMIT = 4 << 20  # bytes: larger files are compared by identity only
# A file changed this recently may change again without its identity moving: coarse file system clocks
# (one tick of the kernel's, or two seconds on FAT) and a clock a little behind the file server's.
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class FileState:
    """What one file was when looked at: its identity, and the hash of its content (None: no file)."""

    identity: tuple[int, int, int, int] | None  # (device, inode, size, mtime in ns)
    digest: bytes | None  # None too for a file larger than HASH_LIMIT
    racy: bool = False  # changed too recently for its identity to vouch for its content

    def same_content(self, other: FileState) -> bool:
        """Whether the file holds what it held in `other` (a missing file is the same as a missing one):
        by the content's hash when both were hashed, else by identity."""
        if self.digest is not None and other.digest is not None:
            return self.digest == other.digest
        return self.identity == other.identity


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _digest(path: Path, size: int) -> bytes | None:
    if size > HASH_LIMIT:
        return None
    try:
        with path.open("rb") as handle:
            digest = hashlib.sha256()
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.digest()


class FileWatcher:
    """Watches some files (the policy and its index) for a change of content."""

    def __init__(self, *paths: Path) -> None:
        self.paths = tuple(paths)
        self._settled: tuple[FileState, ...] | None = None

    def look(self) -> tuple[FileState, ...]:
        """Each file's state now. A file whose identity is as last settled is not read again."""
        states = []
        for n, path in enumerate(self.paths):
            identity = _identity(path)
            known = self._settled[n] if self._settled is not None else None
            if known is not None and identity == known.identity and not known.racy:
                states.append(known)
            elif identity is None:
                states.append(FileState(None, None))
            else:
                digest = _digest(path, identity[2])
                racy = digest is not None and time.time_ns() - identity[3] < RACY_NS
                states.append(FileState(identity, digest, racy))
        return tuple(states)

    def settle(self, states: tuple[FileState, ...]) -> None:
        """Take `states` (from `look()`) as the files' state in force."""
        self._settled = states

    def changed(self) -> bool:
        """Whether any file's content differs from the state settled on (always, before the first)."""
        states = self.look()
        if self._settled is None:
            return True
        if not all(now.same_content(then) for now, then in zip(states, self._settled, strict=True)):
            return True
        if states != self._settled:
            # Touched, or written again with the same bytes: the same content, so no change; remember
            # the new identity so that the file is not read again at every look.
            self._settled = states
        return False

    def __repr__(self) -> str:
        return f"FileWatcher({', '.join(os.fspath(path) for path in self.paths)})"
