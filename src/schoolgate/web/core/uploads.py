"""Storing an uploaded file by its SHA-256 (the online safety log's evidence, training certificates).

The file is copied in chunks into a temporary file beside the store, counted against its limit as it
comes, synced, and only then renamed into place under its digest: a reader never sees half a file, a
file too large never fills the disk, and nothing is left behind when it is refused. What the file is
comes from its first bytes (`sniff`), never from the name or the type the browser gave.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError

HEAD_BYTES = 16  # what `sniff` is shown of the file's beginning
CHUNK_BYTES = 1024 * 1024


def store(
    upload: IO[bytes],
    *,
    folder: Path,
    place: Callable[[str], Path],
    max_bytes: int,
    field: str,
    sniff: Callable[[bytes, bool], str | None],
    wrong_type: str,
) -> tuple[Path, str, int, str]:
    """Copy `upload` into the store: (where, its SHA-256, its size, its type). `place(sha)` is where a
    file of that digest is kept (under `folder`); `sniff(head, is_text)` names its type from its first
    bytes and whether the whole file is UTF-8 text without NUL, or None for a type the store does not
    keep. ValidationError on the form's `field` for a file too large, empty, or of a type not kept
    (`wrong_type` says which are)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    size = 0
    head = b""
    text = True
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationError({field: f"The file is larger than {max_bytes // (1024 * 1024)} MB"})
                if len(head) < HEAD_BYTES:
                    head = (head + chunk)[:HEAD_BYTES]
                if text and (b"\x00" in chunk or not _utf8(chunk)):
                    text = False
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ValidationError({field: "The file is empty"})
        content_type = sniff(head, text)
        if content_type is None:
            raise ValidationError({field: wrong_type})
        sha = digest.hexdigest()
        final = place(sha)
        final.parent.mkdir(exist_ok=True, mode=0o700)
        os.replace(tmp, final)
        tmp = ""
        return final, sha, size, content_type
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _utf8(chunk: bytes) -> bool:
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as e:  # a character cut at the chunk's end is still text
        return e.start >= len(chunk) - 3
    return True
