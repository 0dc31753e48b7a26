"""Acceptances at the proxy in the spool: written whole, one file per user and version, read back
strictly, and capped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from schoolgate.activity.agreements import (
    MAX_BYTES,
    AcceptanceRecord,
    accepted_name,
    is_accepted,
    parse_acceptance,
    read_acceptances,
    record_acceptance,
)

T = 1_796_121_125.5


def test_a_record_is_read_back_and_marks_the_user_as_accepted(tmp_path: Path) -> None:
    directory = tmp_path / "agreements"
    record = AcceptanceRecord(T, "KS2-Amelia", "ks2", 3, 2026, "10.0.0.7", "Mozilla/5.0")
    path = record_acceptance(directory, record)
    assert path.name == accepted_name("ks2-amelia", "ks2", 3, 2026)
    assert is_accepted(directory, "ks2-AMELIA", "ks2", 3, 2026)
    assert not is_accepted(directory, "ks2-amelia", "ks2", 4, 2026)
    assert not is_accepted(directory, "ks2-amelia", "ks2", 3, 2027)
    assert list(read_acceptances(directory)) == [(path, record)]
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert [n for n in os.listdir(directory) if n.startswith(".")] == []  # no temporary left


def test_accepting_again_writes_the_same_file_so_the_directory_cannot_grow(tmp_path: Path) -> None:
    directory = tmp_path / "agreements"
    for n in range(20):
        record_acceptance(directory, AcceptanceRecord(T + n, "ks2-amelia", "ks2", 3, 2026))
    assert len(os.listdir(directory)) == 1


def test_hostile_text_is_cut_and_cleaned(tmp_path: Path) -> None:
    record = AcceptanceRecord(T, "a\x00b\ud800", "ks2", 1, 2026, "1" * 500, "é" * 10_000)
    path = record_acceptance(tmp_path, record)
    assert path.stat().st_size <= MAX_BYTES
    [(_, back)] = list(read_acceptances(tmp_path))
    assert back.who == "a\ufffdb?" and len(back.user_agent) == 512 and len(back.ip) == 64


@pytest.mark.parametrize(
    "record",
    [
        AcceptanceRecord(T, "", "ks2", 1, 2026),
        AcceptanceRecord(T, "x", "ks2", 0, 2026),
        AcceptanceRecord(T, "x", "ks2", 1, 1999),
    ],
)
def test_a_record_that_is_not_one_is_not_written(tmp_path: Path, record: AcceptanceRecord) -> None:
    with pytest.raises(ValueError):
        record_acceptance(tmp_path, record)
    assert os.listdir(tmp_path) == []


GOOD = {
    "v": 1,
    "t": T,
    "kind": "agreement-accepted",
    "who": "x",
    "audience": "ks2",
    "version": 1,
    "year": 2026,
}


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"kind": "review-request"},
        {"t": "now"},
        {"t": True},
        {"version": "1"},
        {"version": 0},
        {"year": 1},
        {"who": ""},
        {"who": "x" * 257},
        {"audience": None},
        {"ip": 7},
    ],
)
def test_a_file_that_is_not_an_acceptance_is_refused(change: dict[str, object]) -> None:
    parse_acceptance(json.dumps(GOOD).encode())
    with pytest.raises(ValueError):
        parse_acceptance(json.dumps({**GOOD, **change}).encode())


def test_reading_skips_what_is_not_an_acceptance_and_never_follows_a_link(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_bytes(b" " * (MAX_BYTES + 1))
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "other.txt").write_text("{}")
    (tmp_path / ".half.json.tmp").write_text("{")
    secret = tmp_path.parent / "secret.json"
    secret.write_text(json.dumps(GOOD))
    (tmp_path / "link.json").symlink_to(secret)
    skipped: list[str] = []
    assert list(read_acceptances(tmp_path, lambda p, why: skipped.append(p.name))) == []
    assert sorted(skipped) == ["bad.json", "big.json", "link.json"]
    assert list(read_acceptances(tmp_path / "missing")) == []


@pytest.mark.timeout(60)
def test_a_fifo_or_a_directory_is_skipped_never_waited_on(tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer: one left in the directory would stop the worker."""
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "folder.json").mkdir()
    skipped: list[str] = []
    assert list(read_acceptances(tmp_path, lambda p, why: skipped.append(p.name))) == []
    assert sorted(skipped) == ["folder.json", "pipe.json"]
