"""The activity spool: one JSON line per decision, in files handed over (renamed) when full or closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action, AlertLevel
from schoolgate.gateways.spool import SpoolWriter, event_head, format_event

BLOCKED = Decision(
    Action.BLOCK,
    Reason.RULE,
    "ks2",
    identity="user alice",
    category="gambling",
    uksic="gambling",
    source="ut1/gambling",
    entry="bet365.com",
    rule=4,
    rule_name="pupils may not gamble",
    alert=AlertLevel.MEDIUM,
    host="bet365.com",
)
ALLOWED = Decision(
    Action.ALLOW, Reason.GROUP_DEFAULT, "staff", identity="address 10.0.2.5", host="example.org"
)


def event(n: int = 0, url: str = "http://example.org/", decision: Decision = ALLOWED) -> str:
    head = event_head(1_800_000_000.25 + n, "squid")
    return format_event(head, url, "alice", "10.0.0.1", "pc1", "GET", decision)


def test_an_event_carries_what_the_dfe_standard_asks_for() -> None:
    line = format_event(
        event_head(1_800_000_000.1234, "squid"),
        "https://bet365.com/x?q=1",
        "alice",
        "10.0.0.1",
        "pc1.lan",
        "GET",
        BLOCKED,
    )
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert json.loads(line) == {
        "t": 1_800_000_000.123,
        "gw": "squid",
        "user": "alice",
        "ip": "10.0.0.1",
        "device": "pc1.lan",
        "method": "GET",
        "url": "https://bet365.com/x?q=1",
        "host": "bet365.com",
        "verdict": "block",
        "reason": "rule",
        "group": "ks2",
        "category": "gambling",
        "source": "ut1/gambling",
        "entry": "bet365.com",
        "rule": 4,
        "alert": "medium",
    }


def test_unknown_fields_and_no_alert_are_left_out() -> None:
    decision = Decision(Action.BLOCK, Reason.UNPARSABLE, "default")
    assert json.loads(format_event(event_head(1.0, "squid"), "", None, None, None, None, decision)) == {
        "t": 1.0,
        "gw": "squid",
        "url": "",
        "verdict": "block",
        "reason": "unparsable-request",
        "group": "default",
    }


def test_the_same_outcome_for_another_person_names_that_person() -> None:
    """The part of an event an outcome fixes is made once; what differs per request still differs."""
    head = event_head(1.0, "squid")
    first = json.loads(format_event(head, "http://a.example/", "alice", "10.0.0.1", None, "GET", BLOCKED))
    other = BLOCKED._replace(identity="user bob", entry="www.bet365.com", host="www.bet365.com")
    second = json.loads(format_event(head, "http://b.example/", "bob", "10.0.0.2", "pc9", None, other))
    assert (first["user"], first["ip"], first["url"], first["entry"]) == (
        "alice",
        "10.0.0.1",
        "http://a.example/",
        "bet365.com",
    )
    assert "device" not in first
    assert (second["user"], second["ip"], second["device"], second["url"], second["entry"]) == (
        "bob",
        "10.0.0.2",
        "pc9",
        "http://b.example/",
        "www.bet365.com",
    )
    assert ("method" not in second, second["host"]) == (True, "www.bet365.com")
    varying = {"user", "ip", "device", "method", "url", "entry", "host"}
    assert {k: v for k, v in first.items() if k not in varying} == {
        k: v for k, v in second.items() if k not in varying
    }


@pytest.mark.parametrize(
    "text",
    [
        'say "hi"',
        "back\\slash\\",
        "\\u0041 is not A",
        "new\nline\r\ttab",
        "\x00\x01\x1f\x7f",
        "école 学校 🏫",
        "\u2028\u2029\ufeff",
        "\udcff\udcfe",  # bytes that were not UTF-8, kept as lone surrogates (surrogateescape)
        "\ud800 lone high, \udfff lone low",
        '"}, "verdict": "allow',
    ],
)
def test_any_string_round_trips_through_one_valid_json_line(text: str) -> None:
    head = event_head(1.0, text)
    line = format_event(head, text, text, text, text, text, BLOCKED._replace(group=text, entry=text))
    assert line.isascii()  # so the file is valid UTF-8 whatever the request held
    assert line.count("\n") == 1
    assert line.endswith("\n")
    record = json.loads(line)
    assert (record["url"], record["user"], record["ip"], record["device"], record["method"]) == (text,) * 5
    assert (record["gw"], record["group"], record["entry"], record["verdict"]) == (text, text, text, "block")


def spool_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


def test_a_writer_appends_and_flushes_to_a_part_file(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "spool", "squid")
    assert writer.path is not None
    assert writer.path.parent == tmp_path / "spool"
    assert writer.path.name.startswith("events-")
    assert writer.path.name.endswith("-00001.jsonl.part")
    writer.write([event(1), event(2)])
    writer.write([event(3)])
    # flushed: another process (the ingester) can read every written event before the writer closes
    assert writer.path.read_text(encoding="utf-8") == event(1) + event(2) + event(3)
    writer.close()


def test_closing_hands_the_file_over_as_jsonl(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid")
    part = writer.path
    assert part is not None
    writer.write([event(1)])
    writer.close()
    assert spool_files(tmp_path) == [part.with_name(part.name.removesuffix(".part"))]
    assert spool_files(tmp_path)[0].read_text(encoding="utf-8") == event(1)
    writer.close()  # closing twice is harmless
    assert len(spool_files(tmp_path)) == 1


def test_closing_an_empty_writer_leaves_no_file(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid")
    writer.close()
    assert spool_files(tmp_path) == []


def test_files_rotate_by_size_and_every_line_stays_whole(tmp_path: Path) -> None:
    size = len(event(0, url="http://example.org/0"))
    writer = SpoolWriter(tmp_path, "squid", max_bytes=3 * size)  # a file is full after three events
    for n in range(10):
        writer.write([event(n, url=f"http://example.org/{n}")])
    assert writer.path is not None
    assert writer.path.name.endswith("-00004.jsonl.part")
    writer.close()

    files = spool_files(tmp_path)
    assert [f.name[-11:] for f in files] == ["00001.jsonl", "00002.jsonl", "00003.jsonl", "00004.jsonl"]
    assert all(f.name.startswith(files[0].name[:-11]) for f in files)  # one stem, a sequence number
    urls = []
    for file in files:
        lines = file.read_text(encoding="utf-8").splitlines()
        assert len(lines) == (3 if file is not files[-1] else 1)
        urls += [json.loads(line)["url"] for line in lines]
    assert urls == [f"http://example.org/{n}" for n in range(10)]


def test_a_batch_is_never_split_across_files(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid", max_bytes=10)
    writer.write([event(n) for n in range(5)])
    writer.write([event(5)])
    writer.close()
    files = spool_files(tmp_path)
    assert [len(f.read_text(encoding="utf-8").splitlines()) for f in files] == [5, 1]


def test_a_full_file_is_handed_over_while_the_writer_goes_on(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid", max_bytes=1)
    writer.write([event(1)])
    done = [f for f in spool_files(tmp_path) if f.suffix == ".jsonl"]
    assert len(done) == 1
    assert json.loads(done[0].read_text(encoding="utf-8"))["t"] == 1_800_000_001.25
    assert writer.path is not None
    assert writer.path.exists()
    assert writer.path.name.endswith(".jsonl.part")
    writer.close()
    assert len(spool_files(tmp_path)) == 1  # the empty current file went away


def test_the_spool_directory_is_created(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "var" / "spool", "squid")
    writer.write([event()])
    writer.close()
    assert len(spool_files(tmp_path / "var" / "spool")) == 1


def test_two_writers_in_one_process_never_share_a_file(tmp_path: Path) -> None:
    # e.g. the Squid helper and the decision API run in one process, or a test runs the helper twice
    # within a second: each writer must own its file, or one hands over (renames) the other's file
    # while it is still being written, and the other then fails to close it.
    squid = SpoolWriter(tmp_path, "squid")
    api = SpoolWriter(tmp_path, "api")
    assert squid.path != api.path
    squid.write([event(1)])
    api.write([event(2)])
    squid.close()
    api.close()
    lines = sorted(
        line for f in spool_files(tmp_path) for line in f.read_text(encoding="utf-8").splitlines(True)
    )
    assert lines == [event(1), event(2)]
    assert all(f.suffix == ".jsonl" for f in spool_files(tmp_path))
