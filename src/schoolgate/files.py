"""Files written whole or not at all: the one way Schoolgate replaces a file that others read.

A published policy, the compiled list index, the DNS zones, the proxy's password file and a reader's
saved place are all read by other processes while they are being replaced. `write_atomically` writes
the new content to a temporary file in the same directory (so that the rename cannot cross file
systems), flushes it to the disk, gives it its permissions, renames it over the old name and then
syncs the directory, so that after a crash or a power cut a reader finds the old file or the new one,
never part of one, and no temporary file is left behind by a failed write.

This module is the lowest layer of the package (below the policy file reader): everything that writes
such a file may import it; the engine, which does no I/O, may not.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_file", "sync_directory", "write_atomically"]


def write_atomically(
    path: Path,
    data: bytes | str,
    *,
    mode: int | None = 0o644,
    prepare: Callable[[Path], None] | None = None,
    make_parents: bool = True,
) -> None:
    """Replace `path` with `data` (text is written as UTF-8) so that a reader sees the old file or the
    new, never part of one, and the new file survives a crash once this returns.

    `mode` is the new file's permission bits (None keeps the temporary file's 0600); `prepare`, if
    given, is called with the temporary file's path before the rename, to set what `mode` cannot say
    (an owner, a group). Raises OSError as the file system does; nothing is left behind then."""
    with atomic_file(path, mode=mode, prepare=prepare, make_parents=make_parents) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def atomic_file(
    path: Path,
    *,
    mode: int | None = 0o644,
    prepare: Callable[[Path], None] | None = None,
    make_parents: bool = True,
) -> Iterator[BinaryIO]:
    """`write_atomically` for content written a piece at a time (an archive, an upload): the file to
    write to is open in the block, and becomes `path` only when the block ends without an exception;
    otherwise it is removed and `path` left as it was."""
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        if prepare is not None:
            prepare(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """Make a rename or a new name in `directory` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems refuse fsync on a directory
            os.fsync(fd)
    finally:
        os.close(fd)
