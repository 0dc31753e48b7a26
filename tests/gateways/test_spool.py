"""The activity spool: one JSON line per decision, in files handed over (renamed) when full or closed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action, AlertLevel
from schoolgate.gateways.spool import SpoolWriter, read_events

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


def event(n: int = 0, url: str = "http://example.org/") -> str:
    """A line for the writer's low-level `write` (what `record` hands it)."""
    return json.dumps({"t": 1_800_000_000.25 + n, "url": url}) + "\n"


class Line(NamedTuple):
    """What a gateway passes for each request: its parsed line."""

    url: str
    user: str | None = None
    client_ip: str | None = None
    device: str | None = None
    method: str | None = None


def recorded(tmp_path: Path, *batches: list[tuple[Line, Decision]]) -> list[dict[str, Any]]:
    """Record batches (at 1,800,000,000.1234 s, one second apart) and read the events back."""
    writer = SpoolWriter(tmp_path / "spool", "squid")
    for n, batch in enumerate(batches):
        writer.record(1_800_000_000.1234 + n, [line for line, _ in batch], [d for _, d in batch])
    writer.close()
    return [event for file in spool_files(tmp_path / "spool") for event in read_events(file)]


def test_an_event_carries_what_the_dfe_standard_asks_for(tmp_path: Path) -> None:
    line = Line("https://bet365.com/x?q=1", "alice", "10.0.0.1", "pc1.lan", "GET")
    assert recorded(tmp_path, [(line, BLOCKED)]) == [
        {
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
    ]


def test_unknown_fields_and_no_alert_are_left_out(tmp_path: Path) -> None:
    decision = Decision(Action.BLOCK, Reason.UNPARSABLE, "default")
    assert recorded(tmp_path, [(Line(""), decision)]) == [
        {
            "t": 1_800_000_000.123,
            "gw": "squid",
            "url": "",
            "verdict": "block",
            "reason": "unparsable-request",
            "group": "default",
        }
    ]


def test_an_outcome_is_written_once_per_file_and_each_event_names_it(tmp_path: Path) -> None:
    """What an outcome fixes is written once; what differs per request (who, what, entry) every time."""
    other = BLOCKED._replace(identity="user bob", entry="www.bet365.com", host="www.bet365.com")
    batch = [
        (Line("http://bet365.com/", "alice", "10.0.0.1", None, "GET"), BLOCKED),
        (Line("http://example.org/", "alice", "10.0.0.1"), ALLOWED),
        (Line("http://www.bet365.com/", "bob", "10.0.0.2", "pc9"), other),
    ]
    events = recorded(tmp_path, batch, batch[:1])
    lines = spool_files(tmp_path / "spool")[0].read_text(encoding="ascii").splitlines()
    assert [json.loads(line).get("outcome") for line in lines] == [1, None, 2, None, None, None]
    assert [json.loads(line).get("o") for line in lines] == [None, 1, None, 2, 1, 1]
    assert [(e["user"], e["url"], e.get("entry"), e["verdict"], e["group"]) for e in events] == [
        ("alice", "http://bet365.com/", "bet365.com", "block", "ks2"),
        ("alice", "http://example.org/", None, "allow", "staff"),
        ("bob", "http://www.bet365.com/", "www.bet365.com", "block", "ks2"),
        ("alice", "http://bet365.com/", "bet365.com", "block", "ks2"),
    ]
    assert ("device" in events[0], events[2]["device"], "method" in events[2]) == (False, "pc9", False)
    assert [e["t"] for e in events] == [1_800_000_000.123] * 3 + [1_800_000_001.123]


def test_a_new_file_defines_its_outcomes_again(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid", max_bytes=1)  # every batch fills a file
    for n in range(3):
        writer.record(1.0 + n, [Line(f"http://bet365.com/{n}")], [BLOCKED])
    writer.close()
    files = spool_files(tmp_path)
    assert len(files) == 3
    for n, file in enumerate(files):
        assert file.read_text(encoding="ascii").startswith('{"outcome":1,"verdict":"block"')
        assert [(e["url"], e["rule"]) for e in read_events(file)] == [(f"http://bet365.com/{n}", 4)]


def test_a_line_cut_short_at_the_end_of_a_file_is_left_out(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid")
    writer.record(1.0, [Line("http://bet365.com/"), Line("http://example.org/")], [BLOCKED, ALLOWED])
    assert writer.path is not None
    path = writer.path
    with open(path, "ab") as file:  # the machine stopped in the middle of the next write
        file.write(b'{"t":2.0,"gw":"squid","url":"http://exa')
    assert [e["url"] for e in read_events(path)] == ["http://bet365.com/", "http://example.org/"]
    writer.close()


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
def test_any_string_round_trips_through_one_valid_json_line(tmp_path: Path, text: str) -> None:
    decision = BLOCKED._replace(group=text, source=text, category=text, entry=text)
    events = recorded(tmp_path, [(Line(text, text, text, text, text), decision)])
    file = spool_files(tmp_path / "spool")[0]
    assert file.read_bytes().isascii()  # so the file is valid UTF-8 whatever the request held
    assert len(file.read_bytes().splitlines()) == 2  # the outcome and the event, a line each
    [record] = events
    assert (record["url"], record["user"], record["ip"], record["device"], record["method"]) == (text,) * 5
    assert (record["group"], record["entry"], record["verdict"]) == (text, text, "block")
    assert (record["source"], record["category"]) == (text, text)


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
