"""The activity spool: one JSON line per decision, in files handed over (renamed) when full or closed."""

from __future__ import annotations

import io
import json
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import pytest

from schoolgate.activity.lines import Skipped
from schoolgate.activity.spool import SpoolWriter, read_events, read_spool
from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action, AlertLevel

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
        assert file.read_text(encoding="ascii").startswith('{"outcome":1,"v":1,"verdict":"block"')
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
    # Written as it was; read with NUL and lone surrogates made U+FFFD, which no database column
    # takes (activity.lines): what the file holds is the request, what readers get can be stored.
    read = re.sub("[\x00\ud800-\udfff]", "\ufffd", text)
    assert (record["url"], record["user"], record["ip"], record["device"], record["method"]) == (read,) * 5
    assert (record["group"], record["entry"], record["verdict"]) == (read, read, "block")
    assert (record["source"], record["category"]) == (read, read)
    assert json.loads(file.read_bytes().splitlines()[1])["user"] == text


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


# ----------------------------------------------------------------------------- a spool that cannot be written


class Clock:
    """The writer's clock, moved by the test (retries and reports are paced by it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FullDisk(SpoolWriter):
    """A writer whose files are /dev/full (every write fails with ENOSPC) until the test frees space."""

    full = True

    def _open(self) -> BinaryIO:
        file = super()._open()
        if not self.full:
            return file
        file.close()
        return open("/dev/full", "ab", buffering=0)  # the writer closes it


def test_a_full_disk_costs_the_record_not_the_writer(tmp_path: Path) -> None:
    """ENOSPC: every batch is counted, not raised; stderr hears of it at once, then at most once per
    report interval; a new file is tried after the retry interval, and recording resumes by itself."""
    clock, log = Clock(), io.StringIO()
    writer = FullDisk(tmp_path, "squid", log=log, clock=clock, retry_seconds=10, report_seconds=60)
    lines = [Line(f"http://bet365.com/{n}", "alice", "10.0.0.1") for n in range(3)]
    assert writer.record(1.0, lines, [BLOCKED] * 3) is False
    assert (writer.unrecorded, writer.failing, writer.path) == (3, True, None)
    said = log.getvalue().splitlines()
    assert said == [
        f"schoolgate squid spool: cannot record activity events in {tmp_path} (No space left on device"
        " [ENOSPC]); filtering goes on, the events are counted and a new file is tried every 10 s;"
        " 3 not recorded so far"
    ]
    for _ in range(100):  # not once per batch...
        clock.now += 0.7
        assert writer.record(2.0, lines[:1], [BLOCKED]) is False
    assert writer.unrecorded == 103
    said = log.getvalue().splitlines()[1:]
    assert said == [  # ...but once a minute, with the running count
        f"schoolgate squid spool: still cannot record activity events in {tmp_path} (No space left on"
        " device [ENOSPC]); 89 not recorded so far"
    ]
    writer.full = False  # space is freed
    clock.now += 10
    assert writer.record(3.0, lines[:2], [BLOCKED, ALLOWED]) is True
    assert writer.failing is False
    assert (
        log.getvalue()
        .splitlines()[-1]
        .startswith("schoolgate squid spool: recording activity events again in ")
    )
    writer.close()
    assert log.getvalue().splitlines()[-1] == (
        f"schoolgate squid spool: stopping; 103 activity events could not be recorded in {tmp_path}"
    )
    [file] = spool_files(tmp_path)  # the files on /dev/full left nothing behind
    assert [(e["url"], e["verdict"]) for e in read_events(file)] == [
        ("http://bet365.com/0", "block"),
        ("http://bet365.com/1", "allow"),
    ]


def test_a_spool_that_cannot_be_opened_does_not_stop_the_gateway(tmp_path: Path) -> None:
    """A directory that cannot be made (a file where it should be): the writer starts, and counts."""
    (tmp_path / "spool").write_text("not a directory")
    log = io.StringIO()
    writer = SpoolWriter(tmp_path / "spool" / "events", "dns", log=log, clock=Clock())
    assert writer.record(1.0, [Line("bet365.com")], [BLOCKED]) is False
    assert writer.write([event()]) is False
    assert writer.unrecorded == 2
    assert "schoolgate dns spool: cannot record activity events in" in log.getvalue()
    assert "[ENOTDIR]" in log.getvalue()
    writer.close()


def test_a_deleted_spool_directory_is_made_again(tmp_path: Path) -> None:
    """A file whose directory was deleted takes writes that nobody will ever read: the writer notices
    and starts a new file in the directory, made again."""
    spool, log = tmp_path / "spool", io.StringIO()
    writer = SpoolWriter(spool, "squid", log=log)
    writer.record(1.0, [Line("http://example.org/1")], [ALLOWED])
    shutil.rmtree(spool)
    assert writer.record(2.0, [Line("http://example.org/2")], [ALLOWED]) is True
    writer.close()
    [file] = spool_files(spool)
    assert [e["url"] for e in read_events(file)] == ["http://example.org/2"]
    assert "was removed while it was written to; starting a new file" in log.getvalue()


WRITE_UNDER_A_SIZE_LIMIT = """
import sys
from typing import NamedTuple
from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action
from schoolgate.activity.spool import SpoolWriter

class Line(NamedTuple):
    url: str
    user: str | None = None
    client_ip: str | None = None
    device: str | None = None
    method: str | None = None

writer = SpoolWriter(sys.argv[1], "squid", retry_seconds=0)
decisions = [Decision(Action.BLOCK, Reason.RULE, "ks2"), Decision(Action.ALLOW, Reason.RULE, "staff")]
for n in range(400):
    batch = [Line(f"http://example.org/{n}/{k}/" + "x" * (n % 50), "alice") for k in range(n % 4 + 1)]
    writer.record(1.0 + n, batch, [decisions[(n + k) % 2] for k in range(len(batch))])
writer.close()
print(writer.unrecorded)
"""


def limit_file_size(size: int) -> Callable[[], None]:
    """For a child process: files no bigger than `size`, and a write past it fails with EFBIG (instead
    of the SIGXFSZ that would kill the process)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def test_a_write_cut_short_never_corrupts_the_events_after_it(tmp_path: Path) -> None:
    """Under a file size limit a write(2) takes part of a batch, then fails (EFBIG): the half line
    ends its file, the next events go to a new file, and every event is either read back whole or
    counted as unrecorded."""
    done = subprocess.run(
        [sys.executable, "-c", WRITE_UNDER_A_SIZE_LIMIT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=limit_file_size(4096),
    )
    assert done.returncode == 0, done.stderr
    unrecorded = int(done.stdout)
    files = spool_files(tmp_path)
    events = [e for file in files for e in read_events(file)]
    total = sum(n % 4 + 1 for n in range(400))
    assert unrecorded > 0 and len(files) > 5  # the limit was reached, again and again
    assert len(events) + unrecorded == total
    assert not [f for f in files if f.read_bytes().endswith(b"\n") is False and f.stat().st_size < 4096]
    for e in events:  # each whole, with its own outcome
        n, k = (int(part) for part in str(e["url"]).split("/")[3:5])
        assert (e["verdict"], e["user"], e["t"]) == (("block", "allow")[(n + k) % 2], "alice", 1.0 + n)
    assert "[EFBIG]" in done.stderr


def test_a_line_that_is_not_a_whole_event_is_left_out_and_the_rest_read(tmp_path: Path) -> None:
    """A half line with a whole event written after it (a writer that did not start a new file), a line
    naming an outcome the file never defined, one that is not JSON: each left out, the rest read."""
    writer = SpoolWriter(tmp_path, "squid")
    writer.record(1.0, [Line("http://bet365.com/1")], [BLOCKED])
    path = writer.path
    assert path is not None
    with open(path, "ab") as file:
        file.write(b'{"t":2.0,"gw":"squid","url":"http://exa')
    writer.record(3.0, [Line("http://bet365.com/3")], [BLOCKED])
    with open(path, "ab") as file:
        file.write(
            b'{"t":4.0,"gw":"squid","url":"http://x/","o":99}\n[1]\n\xff\xfe\n{"o":[1]}\n{"outcome":{}}\n'
        )
    writer.record(5.0, [Line("http://bet365.com/5")], [BLOCKED])
    writer.close()
    [file] = spool_files(tmp_path)
    assert [(e["t"], e["url"]) for e in read_events(file)] == [
        (1.0, "http://bet365.com/1"),
        (5.0, "http://bet365.com/5"),
    ]


def test_events_that_cannot_be_made_are_counted_not_raised(tmp_path: Path) -> None:
    """A bug in making a batch's events (here: a decision short of one) costs those events, not the
    gateway; the events after them name only outcomes their file defines."""
    log = io.StringIO()
    writer = SpoolWriter(tmp_path, "squid", log=log)
    writer.record(1.0, [Line("http://bet365.com/1")], [BLOCKED])
    assert writer.record(2.0, [Line("http://example.org/"), Line("http://bet365.com/2")], [ALLOWED]) is False
    assert writer.unrecorded == 2
    assert "internal error: ValueError" in log.getvalue()
    assert writer.record(3.0, [Line("http://bet365.com/3")], [BLOCKED]) is True
    writer.close()
    [file] = spool_files(tmp_path)
    assert [(e["url"], e["rule"]) for e in read_events(file)] == [
        ("http://bet365.com/1", 4),
        ("http://bet365.com/3", 4),
    ]


# ----------------------------------------------------------------------------- reading, for the ingester


def test_each_event_comes_with_its_place_in_the_file(tmp_path: Path) -> None:
    """Where an event's line starts and where the next one does: what an ingester keeps to store each
    event once (by host, file and offset)."""
    writer = SpoolWriter(tmp_path, "squid")
    writer.record(1.0, [Line("http://bet365.com/"), Line("http://example.org/")], [BLOCKED, ALLOWED])
    writer.close()
    [file] = spool_files(tmp_path)
    data = file.read_bytes()
    found = list(read_spool(file))
    assert [f.record["url"] for f in found] == ["http://bet365.com/", "http://example.org/"]
    for f in found:
        assert data[f.offset : f.end].endswith(b"\n")
        assert json.loads(data[f.offset : f.end])["url"] == f.record["url"]
    assert found[-1].end == len(data)


def test_reading_resumes_where_an_event_ended_with_the_outcomes_before_it(tmp_path: Path) -> None:
    """After a restart the ingester reads on from the last event it stored: the outcomes that file
    defined before it are still known, and no event is given twice."""
    writer = SpoolWriter(tmp_path, "squid")
    batch = [(Line(f"http://bet365.com/{n}"), BLOCKED if n % 2 else ALLOWED) for n in range(6)]
    writer.record(1.0, [line for line, _ in batch], [d for _, d in batch])
    writer.close()
    [file] = spool_files(tmp_path)
    whole = list(read_spool(file))
    for cut in range(len(whole) + 1):
        start = whole[cut - 1].end if cut else 0
        assert list(read_spool(file, start)) == whole[cut:]


def test_a_file_still_being_written_is_read_up_to_its_last_whole_line(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid")
    writer.record(1.0, [Line("http://bet365.com/1")], [BLOCKED])
    assert writer.path is not None
    with open(writer.path, "ab") as file:
        file.write(b'{"v":1,"t":2.0,"gw":"squid","url":"http://bet')  # the gateway is writing it
    [first] = read_spool(writer.path)
    assert first.end == writer.path.stat().st_size - len(b'{"v":1,"t":2.0,"gw":"squid","url":"http://bet')
    writer.close()


HOSTILE = [
    b'{"v":1,"t":"yesterday","gw":"squid","url":"http://a/","o":1}',  # a time that is not a number
    b'{"v":1,"t":1.0,"gw":"squid","url":5,"o":1}',  # a URL that is not text
    b'{"v":1,"t":1.0,"gw":"squid","o":1}',  # no URL
    b'{"v":1,"t":true,"gw":"squid","url":"http://a/","o":1}',  # true is not a number
    b'{"v":1,"t":1.0,"gw":"squid","url":"http://a/","o":true}',  # true is not outcome 1
    b'{"v":1,"t":1.0,"gw":"squid","url":"http://a/","user":["a"],"o":1}',
    b'{"outcome":2,"v":1,"verdict":"block","reason":"rule","group":"ks2","rule":"4"}',  # a rule as text
    b'{"v":1,"t":1.0,"gw":"squid","url":"http://a/","o":2}',  # names the outcome just refused
    b'{"outcome":3,"v":1,"verdict":"block","group":"ks2"}',  # no reason
    b'{"v":1,"t":1.0,"gw":"squid","url":"http://a/","o":3}',
    b'{"v":1,"t":NaN,"gw":"squid","url":"http://a/","o":1}',  # not JSON, though Python reads it
    b'{"v":1,"t":1e400,"gw":"squid","url":"http://a/","o":1}',  # an infinite time
    b"[" * 100_000,  # nested past the json module's recursion limit: never an exception
    b"\xff\xfe{}",
    b"[]",
]


def test_a_hostile_line_is_left_out_with_its_reason_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "events-squid-gw1-1-1-ab-00001.jsonl"
    good = (
        b'{"outcome":1,"v":1,"verdict":"block","reason":"rule","group":"ks2"}\n'
        b'{"v":1,"t":1.0,"gw":"squid","url":"http://a/first","o":1}\n'
    )
    path.write_bytes(
        good + b"\n".join(HOSTILE) + b'\n{"v":1,"t":2.0,"gw":"squid","url":"http://a/last","o":1}\n'
    )
    left: list[Skipped] = []
    assert [e.record["url"] for e in read_spool(path, skipped=left.append)] == [
        "http://a/first",
        "http://a/last",
    ]
    assert len(left) == len(HOSTILE)
    reasons = [s.reason for s in left]
    assert reasons[:3] == ["'t' is not a JSON number", "'url' is not a JSON string", "no 'url'"]
    assert reasons[6] == "not an outcome: 'rule' is not a JSON integer"
    assert reasons[7] == "names outcome 2, which the file does not define"
    assert reasons[-5:] == ["not JSON", "not JSON", "not JSON", "not JSON", "not a JSON object"]


def test_a_line_longer_than_the_limit_is_left_out_unread(tmp_path: Path) -> None:
    path = tmp_path / "events-squid-gw1-1-1-ab-00001.jsonl"
    outcome = b'{"outcome":1,"v":1,"verdict":"block","reason":"rule","group":"ks2"}\n'
    huge = b'{"v":1,"t":1.0,"gw":"squid","url":"' + b"x" * 5000 + b'","o":1}\n'
    last = b'{"v":1,"t":2.0,"gw":"squid","url":"http://a/","o":1}\n'
    path.write_bytes(outcome + huge + last + huge[:-1])  # and a huge last line, cut short
    left: list[Skipped] = []
    found = list(read_spool(path, skipped=left.append, max_line_bytes=1000))
    assert [(f.offset, f.record["url"]) for f in found] == [(len(outcome) + len(huge), "http://a/")]
    assert [(s.offset, s.reason) for s in left] == [(len(outcome), "longer than 1,000 bytes")]
