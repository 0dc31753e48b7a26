"""Review requests from the block page: one JSON line each, in a spool file of their own kind.

The block page server appends to `reviews-blockpage-<host>-<pid>-<start>.jsonl` in the spool
directory (the activity spool's directory; the ingester tells the files apart by their names):

    {"t":1795263400.5,"kind":"review-request","url":"http://bet365.com/","host":"bet365.com",
     "who":"ks2-amelia","at":1795263348,"reason":"rule","group":"ks2","category":"gambling","rule":4,
     "message":"We are learning about probability","name":"Amelia","ip":"10.0.0.7","user_agent":"..."}

A field that is not known (no category, no rule, no name given) is left out, as in the activity spool.
Every request is flushed and fsynced before the pupil is told it was sent, so a request the page
confirmed is never lost; `read_reviews` leaves out a last line cut short by a crash (a request that
was never confirmed).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["KIND", "ReviewWriter", "read_reviews"]

KIND = "review-request"
FILE_PREFIX = "reviews-blockpage-"


class ReviewWriter:
    """Appends review requests to this process's file; safe to call from several threads."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / (
            f"{FILE_PREFIX}{socket.gethostname()}-{os.getpid()}-{int(time.time())}.jsonl"
        )
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None

    def record(self, review: dict[str, Any]) -> None:
        """Append one request (its fields; `t` and `kind` are added) and make it durable."""
        line = {"t": round(time.time(), 3), "kind": KIND}
        line.update({k: v for k, v in review.items() if v is not None and v != ""})
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            if self._file is None:
                self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 (kept open)
                _fsync_directory(self.directory)  # the new file's name is durable too
            self._file.write(data)  # unbuffered: one write(2) per line
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_reviews(path: Path | str) -> Iterator[dict[str, Any]]:
    """The review requests in one file, or in every block page review file of a spool directory
    (oldest file first). A last line cut short is left out."""
    path = Path(path)
    files = sorted(path.glob(f"{FILE_PREFIX}*.jsonl"), key=_start_of) if path.is_dir() else [path]
    for file_path in files:
        with open(file_path, "rb") as file:
            for raw in file:
                if not raw.endswith(b"\n"):
                    break
                record = json.loads(raw)
                if record.get("kind") == KIND:
                    yield record


def _start_of(path: Path) -> tuple[int, str]:
    start = path.stem.rsplit("-", 1)[-1]
    return (int(start) if start.isdigit() else 0, path.name)
