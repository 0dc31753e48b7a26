"""Review requests from the block page: one JSON line each, in a spool file of their own kind.

The block page server appends to `reviews-blockpage-<host>-<pid>-<start>.jsonl` in the spool
directory (the activity spool's directory; the ingester tells the files apart by their names,
`schema.parse_spool_name`). The fields are named in `schema.REVIEW_FIELDS`; every line carries the
format version, as the activity events do:

    {"v":1,"t":1795263400.5,"kind":"review-request","url":"http://bet365.com/","host":"bet365.com",
     "who":"ks2-amelia","at":1795263348,"reason":"rule","group":"ks2","category":"gambling","rule":4,
     "message":"We are learning about probability","name":"Amelia","ip":"10.0.0.7","user_agent":"..."}

A field that is not known (no category, no rule, no name given) is left out, as in the activity spool.

A pupil's report that a site should be blocked (the block page's reporting link) is a line of the same
file with `"kind":"site-report"` (`REPORT_KIND`): `url` and `host` are the site reported, `message` why;
`who`, `at` and `group` are there when the report was made from a signed block page (who was blocked
there, as signed), and no `reason`, `category` or `rule`. An ingester of an older Schoolgate leaves such
a line out (not a review request) rather than read it as one.
Every text field is cut to its length in `FIELD_LIMITS`, in characters and in UTF-8 bytes, ending
in "…" where it was cut, so no line is longer than `MAX_LINE_BYTES`; and a day's lines (UTC) take at
most `daily_bytes` in all, so that a flood of requests cannot fill the disk.

Every request is flushed and fsynced before the pupil is told it was sent, so a request the page
confirmed is never lost. A write that fails part of the way (a full disk, a file size limit) is taken
back, so the file holds whole lines only; `read_reviews` leaves out a line that is not a whole record
anyway (the last one, cut short by a crash), and a line of a format version this Schoolgate does not
know, which it says on stderr. `read_review_file` gives each request with its place in its file, for
the ingester.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from schoolgate.activity import schema
from schoolgate.activity.lines import Skipped, Skips, SpoolRecord, fits, open_regular, parse_line, whole_lines
from schoolgate.activity.schema import FORMAT_VERSION

__all__ = [
    "DAILY_BYTES",
    "FIELD_LIMITS",
    "KIND",
    "KINDS",
    "MAX_LINE_BYTES",
    "REPORT_KIND",
    "ReviewSpaceError",
    "ReviewWriter",
    "cut",
    "read_review_file",
    "read_reviews",
]

KIND = schema.REVIEW_KIND
REPORT_KIND = "site-report"  # "this site should be blocked", from the block page's reporting link
KINDS = frozenset({KIND, REPORT_KIND})
FILE_PREFIX = "reviews-blockpage-"
DAILY_BYTES = 16 * 1024 * 1024  # of review lines a day: some 30,000 requests of a usual length

# (characters, UTF-8 bytes) each text field may take; any other text field takes OTHER_FIELD.
FIELD_LIMITS: dict[str, tuple[int, int]] = {
    "url": (2048, 4096),  # the Squid helper cuts the address to 2,048 characters
    "host": (255, 1020),
    "who": (256, 1024),
    "reason": (64, 256),
    "group": (128, 512),
    "category": (128, 512),
    "message": (2000, 8000),  # the form's own limit, page.MAX_MESSAGE
    "name": (100, 400),  # page.MAX_NAME
    "ip": (64, 64),
    "user_agent": (512, 1024),
}
OTHER_FIELD = (256, 1024)
# A line can be no longer than this: every field at its limit, each byte escaped in JSON (at most 6
# bytes for one), the names, and room for `t`, `kind` and the numbers.
MAX_LINE_BYTES = 6 * sum(b for _, b in FIELD_LIMITS.values()) + 1024
ELLIPSIS = "…"


class ReviewSpaceError(Exception):
    """Today's review lines have taken `daily_bytes`: the request is not written. `first` is true for
    the day's first such request (to be logged once a day, not once a request)."""

    def __init__(self, message: str, first: bool) -> None:
        super().__init__(message)
        self.first = first


def cut(text: str, chars: int, max_bytes: int) -> str:
    """`text` if it has at most `chars` characters and `max_bytes` UTF-8 bytes, else as much of its
    start as fits with "…" after it."""
    if len(text) <= chars and len(text.encode("utf-8", "surrogatepass")) <= max_bytes:
        return text
    kept = text[: max(chars - 1, 0)]
    room = max_bytes - len(ELLIPSIS.encode("utf-8"))
    data = kept.encode("utf-8", "surrogatepass")
    if len(data) > room:
        kept = data[: max(room, 0)].decode("utf-8", "ignore")  # a character cut in two is dropped
    return kept + ELLIPSIS


def _cut_fields(review: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in review.items():
        if value is None or value == "":
            continue
        if isinstance(value, str):
            chars, max_bytes = FIELD_LIMITS.get(name, OTHER_FIELD)
            clean = value.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
            # A NUL (a pupil can post one) is a character PostgreSQL's text cannot hold: left in, the
            # ingester could never store the line, nor any after it in the file.
            clean = clean.replace("\x00", "\ufffd")
            value = cut(clean, chars, max_bytes)
        out[name] = value
    return out


class ReviewWriter:
    """Appends review requests to this process's file; safe to call from several threads."""

    def __init__(
        self, directory: Path | str, daily_bytes: int = DAILY_BYTES, clock: Callable[[], float] = time.time
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / (
            f"{FILE_PREFIX}{schema.file_host(socket.gethostname())}-{os.getpid()}-{int(time.time())}.jsonl"
        )
        self.daily_bytes = daily_bytes
        self.clock = clock
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._end = 0  # the length of the whole lines written: what a failed write is taken back to
        self._day = -1
        self._today = 0  # bytes written on day _day
        self._full_day = -1  # the last day the daily limit was reached

    def record(self, review: dict[str, Any], kind: str = KIND) -> None:
        """Append one request (its fields; `v`, `t` and `kind` are added: a review request, or with
        `kind=REPORT_KIND` a report) and make it durable.

        Raises ReviewSpaceError when the day's lines would take more than `daily_bytes`, and OSError
        when the line cannot be written and made durable (then nothing of it stays in the file)."""
        if kind not in KINDS:
            raise ValueError(f"not a kind of line a review file holds: {kind!r}")
        now = self.clock()
        line = {"v": FORMAT_VERSION, "t": round(now, 3), "kind": kind, **_cut_fields(review)}
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        if len(data) > MAX_LINE_BYTES:  # not with the limits above; a line that would is not written
            raise ValueError(f"a review line of {len(data)} bytes is longer than {MAX_LINE_BYTES}")
        with self._lock:
            day = int(now // 86400)
            if day != self._day:
                self._day, self._today = day, 0
            if self._today + len(data) > self.daily_bytes:
                first, self._full_day = self._full_day != day, day
                raise ReviewSpaceError(
                    f"the review requests written today have reached the daily limit of "
                    f"{self.daily_bytes:,} bytes: more are refused until midnight (UTC)",
                    first,
                )
            if self._file is None:
                self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 (kept open)
                self._end = os.fstat(self._file.fileno()).st_size
                _fsync_directory(self.directory)  # the new file's name is durable too
            fd = self._file.fileno()
            try:
                size = os.fstat(fd).st_size
                if size > self._end:  # what an earlier failed write left, if taking it back failed then
                    os.ftruncate(fd, self._end)
                else:
                    self._end = size
                _write_all(fd, data)
                os.fsync(fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, self._end)  # no part of a line the pupil is told was not sent
                raise
            self._end += len(data)
            self._today += len(data)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data` (appending), or raise OSError: a short write (a disk or a file size limit
    filling up part of the way) is carried on until it succeeds or fails."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError("nothing could be written")
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_REVIEW_CHECKED = tuple(f for f in schema.REVIEW_FIELDS if f.key != schema.VERSION_KEY)


def read_review_file(
    path: Path | str, start: int = 0, *, skipped: Callable[[Skipped], None] | None = None
) -> Iterator[SpoolRecord]:
    """The review requests in one file from byte `start` on, each with its place in the file (without
    the format version, which is checked). A line that is not a whole request of a known version is
    left out and handed to `skipped`; without it, lines of a version this Schoolgate does not know are
    said on stderr, once per file."""
    path = Path(path)
    with Skips(path, "review requests ", skipped) as skip, open_regular(path) as file:
        file.seek(start)
        for offset, raw in whole_lines(file, MAX_LINE_BYTES):
            offset += start
            if raw is None:
                skip(offset, f"longer than {MAX_LINE_BYTES:,} bytes")
                continue
            record, why, version = parse_line(raw)
            if record is None:
                skip(offset, why, version)
                continue
            problem = (
                "not a review request" if record.get("kind") not in KINDS else fits(record, _REVIEW_CHECKED)
            )
            if problem is not None:
                skip(offset, problem)
                continue
            yield SpoolRecord(offset, offset + len(raw), record)


def read_reviews(path: Path | str) -> Iterator[dict[str, Any]]:
    """The review requests in one file, or in every block page review file of a spool directory
    (oldest file first). A line that is not a whole request of a known version is left out."""
    path = Path(path)
    files = sorted(path.glob(f"{FILE_PREFIX}*.jsonl"), key=_start_of) if path.is_dir() else [path]
    for file_path in files:
        for found in read_review_file(file_path):
            yield found.record


def _start_of(path: Path) -> tuple[int, str]:
    start = path.stem.rsplit("-", 1)[-1]
    return (int(start) if start.isdigit() else 0, path.name)
