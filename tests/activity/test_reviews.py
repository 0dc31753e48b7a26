"""The block page's review requests as the activity package keeps them: each field cut to its limit, a
day's lines limited, whole lines only (from many threads, after a crash, after a write that failed
part of the way), read back by the reader the ingester uses."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from schoolgate.activity.reviews import (
    FIELD_LIMITS,
    MAX_LINE_BYTES,
    REPORT_KIND,
    ReviewSpaceError,
    ReviewWriter,
    cut,
    read_reviews,
)

NOW = 1796121125.0  # Tuesday 1 December 2026, 10:32:05 UTC


def test_many_threads_write_whole_lines(tmp_path: Path) -> None:
    writer = ReviewWriter(tmp_path)

    def write(n: int) -> None:
        for i in range(50):
            writer.record({"message": f"{n}-{i}-" + "x" * 1000})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    messages = [r["message"] for r in read_reviews(tmp_path)]
    assert len(messages) == 400
    assert len(set(messages)) == 400


def test_a_last_line_cut_short_is_left_out(tmp_path: Path) -> None:
    writer = ReviewWriter(tmp_path)
    writer.record({"message": "whole"})
    writer.close()
    with open(writer.path, "ab") as file:
        file.write(b'{"t":1,"kind":"review-request","mess')
    assert [r["message"] for r in read_reviews(writer.path)] == ["whole"]


@pytest.mark.parametrize(
    ("text", "chars", "max_bytes", "expected"),
    [
        ("hello", 5, 5, "hello"),
        ("hello!", 5, 100, "hell…"),
        ("ééééé", 5, 10, "ééééé"),
        ("éééééé", 100, 10, "ééé…"),  # 2 bytes each, and 3 for "…": three fit
        ("😀😀😀", 100, 8, "😀…"),  # a character is never cut in two
        ("x" * 100, 1, 100, "…"),
    ],
)
def test_cut_counts_characters_and_bytes(text: str, chars: int, max_bytes: int, expected: str) -> None:
    got = cut(text, chars, max_bytes)
    assert got == expected
    assert len(got) <= chars and len(got.encode()) <= max_bytes


def test_every_field_is_cut_and_a_line_has_a_most_length(tmp_path: Path) -> None:
    writer = ReviewWriter(tmp_path)
    huge = {name: "é\x00" * 40_000 for name in FIELD_LIMITS} | {"extra": "y" * 10_000, "rule": 4}
    writer.record(huge)
    writer.close()
    [review] = list(read_reviews(tmp_path))
    for name, (chars, max_bytes) in FIELD_LIMITS.items():
        assert len(review[name]) <= chars and len(review[name].encode()) <= max_bytes, name
        assert review[name].endswith("…")
    assert len(review["extra"]) == 256 and review["rule"] == 4
    assert writer.path.stat().st_size <= MAX_LINE_BYTES


def test_a_nul_is_written_as_a_replacement_character(tmp_path: Path) -> None:
    # A pupil's form may hold a NUL, which a PostgreSQL text column refuses: never written as one.
    writer = ReviewWriter(tmp_path)
    writer.record({"message": "let me in\x00please", "name": "\x00", "who": "amelia"})
    writer.close()
    [review] = list(read_reviews(tmp_path))
    assert review["message"] == "let me in\ufffdplease" and review["name"] == "\ufffd"
    assert b"\\u0000" not in writer.path.read_bytes()


def test_a_day_of_review_lines_has_a_limit(tmp_path: Path) -> None:
    now = [NOW]
    writer = ReviewWriter(tmp_path, daily_bytes=1000, clock=lambda: now[0])
    writer.record({"message": "x" * 300})
    writer.record({"message": "x" * 300})
    with pytest.raises(ReviewSpaceError) as caught:
        writer.record({"message": "x" * 300})
    assert caught.value.first and "daily limit of 1,000 bytes" in str(caught.value)
    with pytest.raises(ReviewSpaceError) as caught:
        writer.record({"message": "x" * 300})
    assert not caught.value.first  # said once a day
    writer.record({"message": "short"})  # what still fits is taken
    now[0] = (NOW // 86400 + 1) * 86400  # midnight (UTC): a new day
    writer.record({"message": "x" * 300})
    writer.close()
    assert len(list(read_reviews(tmp_path))) == 4


def test_a_line_that_is_not_a_whole_record_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "reviews-blockpage-x-1-1.jsonl"
    path.write_bytes(
        b'{"t":1,"kind":"review-request","message":"a"}\n{"t":2,"kind":"revi{"t":3,"kind":"review-request",'
        b'"message":"c"}\n[1,2]\n{"t":4,"kind":"review-request","message":"d"}\n'
    )
    assert [r["message"] for r in read_reviews(path)] == ["a", "d"]


def test_a_report_is_a_line_of_its_own_kind_in_the_same_file(tmp_path: Path) -> None:
    writer = ReviewWriter(tmp_path, clock=lambda: NOW)
    writer.record({"url": "http://games.example", "host": "games.example"}, REPORT_KIND)
    writer.record({"message": "a review"})
    with pytest.raises(ValueError, match="not a kind of line a review file holds"):
        writer.record({"message": "x"}, "event")
    writer.close()
    assert [(r["kind"], r.get("host")) for r in read_reviews(tmp_path)] == [
        ("site-report", "games.example"),
        ("review-request", None),
    ]
    # Another kind (a later version's) is left out, never read as a review.
    path = tmp_path / "reviews-blockpage-x-1-1.jsonl"
    path.write_bytes(b'{"t":1,"kind":"something-else","message":"a"}\n')
    assert list(read_reviews(path)) == []


WRITE_UNDER_A_SIZE_LIMIT = """
import json, os, resource, sys
from schoolgate.activity.reviews import ReviewWriter
os.mkdir(sys.argv[1] + "/measure")
measure = ReviewWriter(sys.argv[1] + "/measure", clock=lambda: 1796121125.5)
measure.record({"message": "0-" + "x" * 200})
line = measure.path.stat().st_size
limit = line * 5 // 2  # room for two lines and half of a third
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
writer = ReviewWriter(sys.argv[1], clock=lambda: 1796121125.5)
results = []
for n in range(6):
    try:
        writer.record({"message": f"{n}-" + "x" * 200})
        results.append("written")
    except OSError as exc:
        results.append(type(exc).__name__)
print(json.dumps({"results": results, "line": line}))
"""


def test_a_write_that_fails_part_of_the_way_is_taken_back(tmp_path: Path) -> None:
    """A file size limit (or a full disk) lets a write through part of the way: the part is taken
    back, so the file holds only the lines whose writer was told they were written."""
    done = subprocess.run(
        [sys.executable, "-c", WRITE_UNDER_A_SIZE_LIMIT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    told = json.loads(done.stdout)
    assert told["results"] == ["written", "written", "OSError", "OSError", "OSError", "OSError"]
    [path] = tmp_path.glob("reviews-blockpage-*.jsonl")
    assert path.stat().st_size == 2 * told["line"]  # not a byte of the half line
    assert [r["message"][0] for r in read_reviews(path)] == ["0", "1"]
