"""The event schema: every line written carries its version and only the fields the schema names, the
readers take the versions they know and leave out (and say) the others, and spool file names parse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest

from schoolgate.activity import schema
from schoolgate.activity.lines import Skipped
from schoolgate.activity.reviews import ReviewWriter, read_review_file, read_reviews
from schoolgate.activity.schema import FORMAT_VERSION, SpoolName, parse_spool_name
from schoolgate.activity.spool import SpoolWriter, read_events, read_spool
from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action, AlertLevel


class Line(NamedTuple):
    url: str
    user: str | None = None
    client_ip: str | None = None
    device: str | None = None
    method: str | None = None


BLOCKED = Decision(
    Action.BLOCK,
    Reason.RULE,
    "ks2",
    category="gambling",
    source="ut1/gambling",
    rule=4,
    alert=AlertLevel.HIGH,
    entry="bet365.com",
    host="bet365.com",
)
EVERY = Line("http://bet365.com/", "amelia", "10.0.0.7", "pc7", "GET")


def written(tmp_path: Path, *events: tuple[Line, Decision]) -> Path:
    writer = SpoolWriter(tmp_path, "squid")
    writer.record(1_800_000_000.0, [line for line, _ in events], [d for _, d in events])
    writer.close()
    [path] = tmp_path.glob("events-*.jsonl")
    return path


def test_every_line_carries_the_format_version(tmp_path: Path) -> None:
    path = written(tmp_path, (EVERY, BLOCKED), (Line("x"), BLOCKED._replace(verdict=Action.ALLOW)))
    lines = [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]
    assert len(lines) == 4  # two outcomes, two events
    assert all(line[schema.VERSION_KEY] == FORMAT_VERSION for line in lines)
    assert path.read_text(encoding="ascii").splitlines()[1].startswith('{"v":1,"t":1800000000.000,')


def test_an_event_and_its_outcome_hold_exactly_the_schema_s_keys(tmp_path: Path) -> None:
    outcome, event = (
        json.loads(line) for line in written(tmp_path, (EVERY, BLOCKED)).read_text().splitlines()
    )
    assert list(event) == [f.key for f in (*schema.EVENT_HEAD, *schema.EVENT_FIELDS, *schema.EVENT_TAIL)]
    assert list(outcome) == [f.key for f in schema.OUTCOME_FIELDS]


def test_each_field_has_the_schema_s_type(tmp_path: Path) -> None:
    types = {"string": str, "integer": int, "number": float}
    outcome, event = (
        json.loads(line) for line in written(tmp_path, (EVERY, BLOCKED)).read_text().splitlines()
    )
    for fields, line in (((*schema.EVENT_HEAD, *schema.EVENT_FIELDS, *schema.EVENT_TAIL), event),
                         (schema.OUTCOME_FIELDS, outcome)):  # fmt: skip
        for f in fields:
            assert type(line[f.key]) is types[f.type], f.key


def test_what_is_not_known_is_left_out_and_what_is_required_is_there(tmp_path: Path) -> None:
    bare = Decision(Action.BLOCK, Reason.UNPARSABLE, "default")
    outcome, event = (
        json.loads(line) for line in written(tmp_path, (Line(""), bare)).read_text().splitlines()
    )
    assert set(event) == {f.key for f in (*schema.EVENT_HEAD, *schema.EVENT_FIELDS, *schema.EVENT_TAIL)
                          if f.required}  # fmt: skip
    assert set(outcome) == {f.key for f in schema.OUTCOME_FIELDS if f.required}


def test_a_version_round_trips_and_is_not_handed_on(tmp_path: Path) -> None:
    """The reader checks the version and gives the event in this version's shape: without `v`."""
    [event] = read_events(written(tmp_path, (EVERY, BLOCKED)))
    assert schema.VERSION_KEY not in event
    assert (event["user"], event["verdict"], event["rule"], event["alert"]) == ("amelia", "block", 4, "high")


def test_a_line_written_before_versions_is_version_1(tmp_path: Path) -> None:
    path = tmp_path / "events-squid-gw1-1-1-ab-00001.jsonl"
    path.write_bytes(
        b'{"outcome":1,"verdict":"block","reason":"rule","group":"ks2"}\n'
        b'{"t":1.5,"gw":"squid","url":"http://a/","o":1}\n'
    )
    assert list(read_events(path)) == [
        {"t": 1.5, "gw": "squid", "url": "http://a/", "verdict": "block", "reason": "rule", "group": "ks2"}
    ]


NEWER = (
    b'{"outcome":1,"v":1,"verdict":"block","reason":"rule","group":"ks2"}\n'
    b'{"v":1,"t":1.0,"gw":"squid","url":"http://a/1","o":1}\n'
    b'{"outcome":2,"v":2,"verdict":"block","reason":"rule","group":"ks2","why":{"new":"shape"}}\n'
    b'{"v":2,"t":2.0,"gw":"squid","url":"http://a/2","o":2}\n'
    b'{"v":2,"t":3.0,"gw":"squid","url":"http://a/3","o":1}\n'
    b'{"v":"1","t":4.0,"gw":"squid","url":"http://a/4","o":1}\n'
    b'{"v":1,"t":5.0,"gw":"squid","url":"http://a/5","o":1}\n'
)


def test_lines_of_an_unknown_version_are_left_out_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newer gateway's lines are never read as this version's; the reader says how many it left."""
    path = tmp_path / "events-squid-gw1-1-1-ab-00001.jsonl"
    path.write_bytes(NEWER)
    assert [e["url"] for e in read_events(path)] == ["http://a/1", "http://a/5"]
    said = capsys.readouterr().err
    assert said == (
        f"schoolgate activity: {path}: 3 of version 2, 1 of version '1' left out: this Schoolgate reads"
        " format version 1 only; a newer Schoolgate reads them\n"
    )


def test_a_reader_may_take_the_lines_it_leaves_out_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ingester quarantines them: each with its place and version, and nothing said on stderr."""
    path = tmp_path / "events-squid-gw1-1-1-ab-00001.jsonl"
    path.write_bytes(NEWER)
    left: list[Skipped] = []
    assert [e.record["url"] for e in read_spool(path, skipped=left.append)] == ["http://a/1", "http://a/5"]
    assert [(s.offset, s.version) for s in left] == [
        (NEWER.index(b'{"outcome":2'), 2),
        (NEWER.index(b'{"v":2,"t":2.0'), 2),
        (NEWER.index(b'{"v":2,"t":3.0'), 2),
        (NEWER.index(b'{"v":"1"'), "1"),
    ]
    assert all("format version" in s.reason and s.path == path for s in left)
    assert capsys.readouterr().err == ""


def test_review_requests_carry_the_version_and_unknown_ones_are_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = ReviewWriter(tmp_path, clock=lambda: 1_800_000_000.0)
    writer.record({"url": "http://bet365.com/", "message": "for maths"})
    writer.close()
    with open(writer.path, "ab") as file:
        file.write(b'{"v":9,"t":1.0,"kind":"review-request","url":"http://a/","message":"later"}\n')
    first = writer.path.read_bytes().splitlines()[0]
    assert first.startswith(b'{"v":1,"t":1800000000.0,"kind":"review-request",')
    assert [r["message"] for r in read_reviews(tmp_path)] == ["for maths"]
    assert "1 of version 9 left out" in capsys.readouterr().err
    [review] = read_review_file(writer.path, skipped=lambda s: None)
    assert (review.offset, review.end) == (0, len(first) + 1)
    assert schema.VERSION_KEY not in review.record


def test_every_review_field_the_block_page_writes_is_named() -> None:
    from schoolgate.activity.reviews import FIELD_LIMITS

    named = {f.key for f in schema.REVIEW_FIELDS}
    assert set(FIELD_LIMITS) <= named
    assert {"v", "t", "kind", "at", "rule"} <= named


def test_the_outcome_key_covers_every_outcome_field() -> None:
    """An outcome is remembered by the Decision's first fields: every field its line writes is among them,
    and no per-request field is."""
    key = Decision._fields[: schema.OUTCOME_KEY_FIELDS]
    assert all(f.attribute in key for f in schema.OUTCOME_FIELDS if f.source is schema.Source.DECISION)
    assert not any(f.attribute in key for f in schema.EVENT_FIELDS if f.source is schema.Source.DECISION)


def test_every_field_says_what_it_means() -> None:
    for f in (*schema.EVENT_HEAD, *schema.EVENT_FIELDS, *schema.EVENT_TAIL, *schema.OUTCOME_FIELDS,
              *schema.REVIEW_FIELDS):  # fmt: skip
        assert f.meaning and f.type in {"string", "integer", "number"}, f.key


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("events-squid-gw1-4120-1796163309-a1b2c3-00001.jsonl",
         SpoolName("events", "squid", "gw1", 4120, 1796163309, 1, True)),
        ("events-dns-school-gw-2.lan-7-1796163309-123456-00012.jsonl.part",
         SpoolName("events", "dns", "school-gw-2.lan", 7, 1796163309, 12, False)),
        ("reviews-blockpage-my-host-99-1796163309.jsonl",
         SpoolName("reviews", "blockpage", "my-host", 99, 1796163309, 0, True)),
        ("events-squid-gw1-4120-1796163309.jsonl", None),  # an event file has a token and a sequence
        ("reviews-blockpage-h-1-2.jsonl", SpoolName("reviews", "blockpage", "h", 1, 2, 0, True)),
        ("reviews-blockpage-h-1-2-ab-00001.jsonl", None),
        ("events-Squid-gw1-1-1-ab-00001.jsonl", None),
        ("notes.txt", None),
        (".events-squid-gw1-1-1-ab-00001.jsonl", None),
    ],
)  # fmt: skip
def test_a_spool_file_s_name_says_where_it_comes_from(name: str, parsed: SpoolName | None) -> None:
    assert parse_spool_name(name) == parsed


def test_the_writers_name_their_files_as_the_parser_reads_them(tmp_path: Path) -> None:
    events = SpoolWriter(tmp_path, "dns")
    reviews = ReviewWriter(tmp_path)
    assert events.path is not None
    event_name, review_name = parse_spool_name(events.path.name), parse_spool_name(reviews.path.name)
    events.close()
    assert event_name is not None and review_name is not None
    assert (event_name.kind, event_name.gateway, event_name.sequence, event_name.complete) == (
        "events", "dns", 1, False,
    )  # fmt: skip
    assert (review_name.kind, review_name.gateway) == ("reviews", "blockpage")
    assert event_name.host == review_name.host == schema.file_host(__import__("socket").gethostname())


@pytest.mark.parametrize(
    ("host", "in_name"), [("gw1", "gw1"), ("a/b c", "a_b_c"), ("", "_"), ("é.lan", "_.lan")]
)
def test_a_host_name_cannot_break_a_file_name(host: str, in_name: str) -> None:
    assert schema.file_host(host) == in_name


@pytest.mark.parametrize("gateway", ["", "Squid", "block-page", "x" * 40, "a/b"])
def test_a_gateway_name_that_would_break_a_file_name_is_refused(tmp_path: Path, gateway: str) -> None:
    with pytest.raises(ValueError, match="a gateway's name"):
        SpoolWriter(tmp_path, gateway)
