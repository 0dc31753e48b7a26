"""The ingester: real spool files (the gateways' `SpoolWriter`, the block page's `ReviewWriter`) into
the database: rows, counts, people, positions, rotation, removal and bad lines."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_django import DjangoAssertNumQueries

from schoolgate.activity.reviews import ReviewWriter
from schoolgate.activity.spool import SpoolWriter
from schoolgate.engine.policy import AlertLevel
from schoolgate.web.monitoring import ingest
from schoolgate.web.monitoring.choices import Gateway, Subject
from schoolgate.web.monitoring.ingest import Ingester, Round, Spool, SpoolError, spools
from schoolgate.web.monitoring.models import ActivityEvent, Alert, HourlyVisit, ReviewRequest, SpoolFile
from schoolgate.web.people.choices import IdentityKind, KeyStage, PersonKind
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast, identity, person, year
from tests.web.monitoring.spool import T0, Line, alerted, allowed, blocked, google, locked, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def spool(cast: Cast, tmp_path: Path) -> Spool:
    return Spool(cast.a, tmp_path / "spool")


def run(spool: Spool, **options: object) -> Round:
    return Ingester([spool], **options).round()  # type: ignore[arg-type]


def hour(t: float) -> datetime:
    return datetime.fromtimestamp(t // 3600 * 3600, UTC)


def test_blocked_alerted_locked_and_searches_are_rows_and_the_rest_are_counts(spool: Spool) -> None:
    amelia = Line("https://bbc.co.uk/bitesize", "amelia", "10.0.0.5", "pc-12")
    write(
        spool.directory,
        [
            (T0, amelia, allowed("bbc.co.uk")),
            (T0 + 1, amelia, allowed("bbc.co.uk")),
            (T0 + 2, amelia._replace(url="https://bbc.co.uk/news"), allowed("bbc.co.uk")),
            (T0 + 3, amelia._replace(url="https://bet365.com/"), blocked()),
            (T0 + 4, amelia._replace(url=google("volcano facts")), allowed("www.google.com")),
            # A suggestion call is no search: it is counted with the visits.
            (
                T0 + 5,
                amelia._replace(url="https://www.google.com/complete/search?q=volc&client=gws-wiz"),
                allowed("www.google.com"),
            ),
            (T0 + 6, amelia._replace(url="https://knives.example/"), alerted()),
            (T0 + 7, amelia._replace(url="https://illegal.example/x"), locked()),
            (T0 + 8, Line("https://bbc.co.uk/", None, "10.0.0.9"), allowed("bbc.co.uk")),
        ],
    )
    done = run(spool)
    assert (done.events, done.skipped, done.finished) == (9, 0, 1)
    rows = {r.site: r for r in ActivityEvent.objects.filter(school=spool.school)}
    assert sorted(rows) == ["bet365.com", "illegal.example", "knives.example", "www.google.com"]
    bet = rows["bet365.com"]
    assert bet.blocked and bet.reason == "rule" and bet.category == "gambling" and bet.rule == 4
    assert (bet.user_name, bet.ip, bet.device, bet.method, bet.gateway) == (
        "amelia",
        "10.0.0.5",
        "pc-12",
        "GET",
        Gateway.SQUID,
    )
    assert bet.at == datetime.fromtimestamp(T0 + 3, UTC)
    assert bet.source == "ut1/gambling" and bet.group == "ks2"
    search = rows["www.google.com"]
    assert (search.engine, search.term, search.blocked) == ("google", "volcano facts", False)
    assert rows["knives.example"].alert_level == AlertLevel.MEDIUM.value
    assert rows["illegal.example"].locked
    counts = {(v.who, v.site): v.requests for v in HourlyVisit.objects.filter(school=spool.school)}
    assert counts == {
        ("amelia", "bbc.co.uk"): 3,
        ("amelia", "www.google.com"): 1,
        ("10.0.0.9", "bbc.co.uk"): 1,
    }
    assert {v.hour for v in HourlyVisit.objects.all()} == {hour(T0)}
    # The file was complete (closed by its writer) and read to its end: removed, its record kept.
    record = SpoolFile.objects.get()
    assert record.position > 0 and record.events == 9 and record.finished_at and record.removed_at
    assert record.school_id == spool.school.pk and record.gateway == "squid"
    assert not list(spool.directory.iterdir())


def test_counts_add_up_across_batches_and_rounds(spool: Spool) -> None:
    line = Line("https://bbc.co.uk/", "amelia", "10.0.0.5")
    writer = write(spool.directory, [(T0 + n, line, allowed("bbc.co.uk")) for n in range(7)], close=False)
    run(spool, batch_lines=3)
    write(spool.directory, [(T0 + 10 + n, line, allowed("bbc.co.uk")) for n in range(5)], writer=writer)
    run(spool, batch_lines=3)
    assert HourlyVisit.objects.get().requests == 12
    assert SpoolFile.objects.get().events == 12


def test_people_are_found_by_user_name_then_device_then_the_narrowest_range(cast: Cast, spool: Spool) -> None:
    ks1 = year(cast.a, "Year 2", KeyStage.KS1, 2)
    amelia = person(cast.a, year_group=ks1)
    tom = person(cast.a, PersonKind.STAFF, first_name="Tom", last_name="Teacher")
    ben = person(cast.a, first_name="Ben", last_name="Jones")
    identity(cast.a, "a.hughes", person=amelia)
    identity(cast.a, "10.1.0.7", IdentityKind.DEVICE, person=tom, label="Staffroom PC")
    identity(cast.a, "10.2.0.0/16", IdentityKind.NETWORK, person=ben)
    identity(cast.a, "10.2.3.0/24", IdentityKind.NETWORK, person=tom)  # the narrower one wins
    identity(cast.a, "10.2.3.128/25", IdentityKind.NETWORK)  # nobody's: says nothing about who
    identity(cast.b, "x.other", person=person(cast.b))  # another school's
    bet = blocked()
    write(
        spool.directory,
        [
            (T0, Line("https://bet365.com/", "A.Hughes", "10.1.0.7"), bet),  # the user name first
            (T0 + 1, Line("https://bet365.com/", None, "10.1.0.7"), bet),
            (T0 + 2, Line("https://bet365.com/", None, "10.2.3.200"), bet),
            (T0 + 3, Line("https://bet365.com/", None, "10.2.9.9"), bet),
            (T0 + 4, Line("https://bet365.com/", "x.other", "192.168.1.1"), bet),
            (T0 + 5, Line("https://bet365.com/", "nobody", "not an address"), bet),
            (T0 + 6, Line("https://bet365.com/", None, "::ffff:10.1.0.7"), bet),
        ],
    )
    run(spool)
    found = [(e.person, e.subject, e.device) for e in ActivityEvent.objects.order_by("at")]
    assert found == [
        (amelia, Subject.PUPIL, "Staffroom PC"),
        (tom, Subject.STAFF, "Staffroom PC"),
        (tom, Subject.STAFF, ""),
        (ben, Subject.PUPIL, ""),
        (None, Subject.UNKNOWN, ""),
        (None, Subject.UNKNOWN, ""),
        (tom, Subject.STAFF, "Staffroom PC"),
    ]


def test_the_headteacher_is_their_own_subject(cast: Cast, spool: Spool) -> None:
    head = person(cast.a, PersonKind.STAFF, first_name="Hana", last_name="Head", user=cast.hana)
    identity(cast.a, "h.head", person=head)
    write(spool.directory, [(T0, Line("https://bet365.com/", "h.head"), blocked())])
    run(spool)
    assert ActivityEvent.objects.get().subject == Subject.HEADTEACHER


def test_a_search_with_a_risk_phrase_is_flagged_and_explained_and_raises_an_alert(
    cast: Cast, spool: Spool
) -> None:
    amelia = person(cast.a, year_group=year(cast.a))
    identity(cast.a, "amelia", person=amelia)
    write(
        spool.directory,
        [(T0, Line(google("how to kill myself"), "amelia", "10.0.0.5"), allowed("www.google.com"))],
    )
    run(spool)
    event = ActivityEvent.objects.get()
    assert (event.flag, event.flag_area) == ("high", "suicide")
    assert event.matches and {"phrase", "area", "severity", "why"} <= set(event.matches[0])
    alert = Alert.objects.get()
    assert alert.person == amelia and event.alert_id == alert.pk


def test_a_part_file_is_read_as_it_grows_and_keeps_its_place_when_renamed(spool: Spool) -> None:
    line = Line("https://bet365.com/", "amelia", "10.0.0.5")
    writer = write(spool.directory, [(T0 + n, line, blocked()) for n in range(3)], close=False)
    assert writer.path is not None and writer.path.name.endswith(".jsonl.part")
    assert run(spool).events == 3
    write(spool.directory, [(T0 + 3 + n, line, blocked()) for n in range(2)], writer=writer, close=False)
    # A new worker (nothing kept in memory) starts from the position in the database.
    assert Ingester([spool]).round().events == 2
    assert writer.path.exists()  # still being written: never removed
    writer.close()
    assert run(spool).events == 0
    record = SpoolFile.objects.get()  # the .part file and the .jsonl file are one record
    assert not record.name.endswith(".part") and record.removed_at is not None
    assert sorted(ActivityEvent.objects.values_list("offset", flat=True)) == sorted(
        set(ActivityEvent.objects.values_list("offset", flat=True))
    )
    assert ActivityEvent.objects.count() == 5


def test_a_worker_that_starts_mid_file_keeps_the_files_outcomes_as_it_grows(spool: Spool) -> None:
    line = Line("https://bet365.com/", "amelia", "10.0.0.5")
    # Each event of the first batch defines an outcome of its own; later events name them again.
    outcomes = [blocked(rule=n) for n in range(1, 4)]
    writer = write(spool.directory, [(T0 + n, line, d) for n, d in enumerate(outcomes)], close=False)
    run(spool)  # another worker, gone since
    worker = Ingester([spool])
    for more in range(3):
        write(
            spool.directory,
            [(T0 + 10 * more + n, line, d) for n, d in enumerate(outcomes)],
            writer=writer,
            close=False,
        )
        assert worker.round().events == 3
    record = SpoolFile.objects.get()
    assert (record.events, record.skipped) == (12, 0)
    rules = sorted(rule or 0 for rule in ActivityEvent.objects.values_list("rule", flat=True))
    assert rules == [1] * 4 + [2] * 4 + [3] * 4
    writer.close()


def test_reading_stops_at_the_batch_limit_and_resumes_mid_file(spool: Spool) -> None:
    line = Line("https://bet365.com/", "amelia", "10.0.0.5")
    write(spool.directory, [(T0 + n, line, blocked()) for n in range(10)])
    calls = 0

    def stop_after_two_batches() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3  # asked once for the school, once for the file, then after each batch

    first = Ingester([spool], batch_lines=4, stopping=stop_after_two_batches).round()
    assert first.more and first.events == 8
    record = SpoolFile.objects.get()
    assert record.finished_at is None and record.position > 0
    second = Ingester([spool], batch_lines=4).round()
    assert second.events == 2
    assert ActivityEvent.objects.count() == 10
    assert len(set(ActivityEvent.objects.values_list("offset", flat=True))) == 10


def test_a_finished_file_is_archived_with_keep_spool(spool: Spool) -> None:
    write(spool.directory, [(T0, Line("https://bet365.com/", "amelia"), blocked())])
    name = next(spool.directory.iterdir()).name
    run(spool, keep_spool=True)
    assert (spool.directory / "archive" / name).exists()
    assert not (spool.directory / name).exists()
    assert SpoolFile.objects.get().removed_at is not None
    assert run(spool, keep_spool=True).lines == 0  # the archive is not read again


def test_a_finished_file_gone_before_its_removal_was_recorded_is_recorded_as_removed(spool: Spool) -> None:
    write(spool.directory, [(T0, Line("https://bet365.com/", "amelia"), blocked())])
    run(spool)
    record = SpoolFile.objects.get()
    # As if the worker had been killed between archiving the file and saying so.
    SpoolFile.objects.filter(pk=record.pk).update(removed_at=None)
    run(spool)
    assert SpoolFile.objects.get().removed_at is not None


def test_lines_another_worker_stored_are_never_stored_twice(spool: Spool) -> None:
    line = Line("https://bet365.com/", "amelia", "10.0.0.5")
    writer = write(spool.directory, [(T0 + n, line, blocked()) for n in range(3)], close=False)
    run(spool)
    # A second worker whose position is behind (it read the file before the first one committed):
    # the unique (file, offset, time) refuses the rows; its batch rolls back whole, counts too.
    SpoolFile.objects.update(position=0)
    done = run(spool)
    assert done.more and done.events == 0
    assert ActivityEvent.objects.count() == 3 and SpoolFile.objects.get().position == 0
    SpoolFile.objects.update(position=writer.path.stat().st_size if writer.path else 0)
    writer.close()


def test_bad_lines_are_counted_once_and_never_stop_the_file(spool: Spool) -> None:
    writer = SpoolWriter(spool.directory, "squid")
    good = Line("https://bet365.com/", "amelia", "10.0.0.5")
    assert writer.record(T0, [good], [blocked()])
    writer.write(
        [
            "this is not JSON\n",
            json.dumps({"v": 1, "t": T0, "gw": "squid", "url": "https://x.example/", "o": 99}) + "\n",
            json.dumps({"v": 9, "t": T0, "gw": "squid", "url": "https://x.example/", "o": 1}) + "\n",
        ]
    )
    assert writer.record(T0 + 1, [good], [blocked()])
    writer.write([json.dumps({"v": 1, "t": 1e15, "gw": "squid", "url": "https://y.example/", "o": 1}) + "\n"])
    writer.write(["[1, 2, 3]\n"])  # the last line bad too: the position still goes past it
    path = writer.path
    assert path is not None
    done = run(spool)
    assert (done.events, done.skipped) == (2, 5)
    record = SpoolFile.objects.get()
    assert (record.events, record.skipped) == (2, 5)
    assert record.position == path.stat().st_size
    assert "out of range" in record.problem
    assert run(spool).lines == 0  # nothing counted twice
    assert SpoolFile.objects.get().skipped == 5
    writer.close()


def test_a_last_line_cut_short_in_a_complete_file_is_counted_and_the_file_finished(spool: Spool) -> None:
    write(spool.directory, [(T0, Line("https://bet365.com/", "amelia"), blocked())])
    path = next(spool.directory.iterdir())
    with open(path, "ab") as file:
        file.write(b'{"v":1,"t":1796000001.0,"gw":"squ')  # a write that failed half way
    run(spool)
    record = SpoolFile.objects.get()
    assert (record.events, record.skipped) == (1, 1) and "cut short" in record.problem
    assert record.removed_at is not None and not path.exists()


def test_review_requests_are_stored_with_the_person_and_their_file_kept_while_its_writer_lives(
    cast: Cast, spool: Spool
) -> None:
    amelia = person(cast.a)
    identity(cast.a, "amelia", person=amelia)
    writer = ReviewWriter(spool.directory, clock=lambda: T0)
    writer.record(
        {
            "url": "https://www.bbc.co.uk/bitesize",
            "host": "www.bbc.co.uk",
            "who": "Amelia",
            "at": int(T0) - 60,
            "reason": "rule",
            "group": "ks2",
            "category": "news",
            "rule": 3,
            "message": "I need it for homework",
            "name": "Amelia",
            "ip": "10.0.0.5",
            "user_agent": "Firefox",
        }
    )
    writer.record({"url": "https://x.example/", "who": "10.9.9.9", "at": 10**18, "rule": -1})
    done = run(spool)
    assert done.reviews == 2
    first, second = ReviewRequest.objects.order_by("offset")
    assert (first.person, first.site, first.rule, first.message) == (
        amelia,
        "www.bbc.co.uk",
        3,
        "I need it for homework",
    )
    assert first.blocked_at == datetime.fromtimestamp(int(T0) - 60, UTC)
    assert first.received_at == datetime.fromtimestamp(T0, UTC)
    assert (second.person, second.blocked_at, second.rule, second.site) == (None, None, None, "x.example")
    assert writer.path.exists()  # this process wrote it and is alive: never removed
    assert run(spool).lines == 0
    writer.close()


def test_a_file_whose_writer_is_gone_is_finished_after_an_hour_idle(spool: Spool) -> None:
    writer = ReviewWriter(spool.directory, clock=lambda: T0)
    writer.record({"url": "https://x.example/", "who": "amelia"})
    writer.close()
    gone = writer.path.with_name(writer.path.name.replace(f"-{os.getpid()}-", "-999999999-"))
    os.replace(writer.path, gone)
    run(spool)
    assert gone.exists()  # written to less than an hour ago
    os.utime(gone, (T0, T0))
    run(spool)
    assert not gone.exists()
    assert ReviewRequest.objects.count() == 1 and SpoolFile.objects.get().removed_at is not None


def test_the_keystroke_trail_keeps_the_last_search_in_a_batch_and_across_batches(spool: Spool) -> None:
    typed = ["h", "ho", "how", "how to", "how to revise"]
    line = Line("", "amelia", "10.0.0.5")
    writer = write(
        spool.directory,
        [
            (T0 + n, line._replace(url=google(term)), allowed("www.google.com"))
            for n, term in enumerate(typed[:3])
        ],
        close=False,
    )
    run(spool)
    write(
        spool.directory,
        [
            (T0 + 3, line._replace(url=google(typed[3])), allowed("www.google.com")),
            (T0 + 4, line._replace(url=google(typed[4])), allowed("www.google.com")),
            # Someone else typing the same, and the same person much later: not part of the trail.
            (T0 + 5, Line(google("how to revise maths"), "ben"), allowed("www.google.com")),
            (T0 + 60, line._replace(url=google("how to revise maths")), allowed("www.google.com")),
        ],
        writer=writer,
    )
    run(spool, batch_lines=1)
    kept = list(
        ActivityEvent.objects.filter(superseded=False).order_by("at").values_list("user_name", "term")
    )
    assert kept == [
        ("amelia", "how to revise"),
        ("ben", "how to revise maths"),
        ("amelia", "how to revise maths"),
    ]
    assert ActivityEvent.objects.filter(superseded=True).count() == 4


def test_rows_are_cut_to_their_columns(spool: Spool) -> None:
    long = "https://bet365.com/" + "a" * 9000
    write(spool.directory, [(T0, Line(long, "u" * 400, "10.0.0.5", "d" * 400, "M" * 40), blocked("h" * 300))])
    run(spool)
    event = ActivityEvent.objects.get()
    assert len(event.url) == ingest.URL_CHARS and len(event.user_name) == 150 and len(event.device) == 200
    assert len(event.method) == 16 and len(event.site) == 255


def test_a_round_stores_a_batch_in_a_handful_of_queries(
    spool: Spool, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    lines = [Line("https://bbc.co.uk/", f"pupil{n}", f"10.0.{n}.1") for n in range(50)]
    events = [(T0 + n, line, allowed("bbc.co.uk")) for n, line in enumerate(lines)]
    events += [
        (T0 + 60 + n, line._replace(url="https://bet365.com/"), blocked()) for n, line in enumerate(lines)
    ]
    write(spool.directory, events)
    with django_assert_max_num_queries(40):
        assert run(spool).events == 100


def test_each_school_has_its_spool_directory(cast: Cast, settings: object, tmp_path: Path) -> None:
    setattr(settings, "SPOOL_DIR", tmp_path / "spool")  # noqa: B010
    found = {s.school.slug: s.directory for s in spools()}
    assert found == {
        "northfield": tmp_path / "spool" / "northfield",
        "southgate": tmp_path / "spool" / "southgate",
    }
    given = spools([(str(tmp_path / "elsewhere"), "southgate")])
    assert {s.school.slug: s.directory for s in given}["southgate"] == tmp_path / "elsewhere"
    with pytest.raises(SpoolError, match="'nowhere'"):
        spools([(str(tmp_path), "nowhere")])


def test_one_school_has_the_spool_directory_itself(settings: object, tmp_path: Path) -> None:
    setattr(settings, "SPOOL_DIR", tmp_path / "spool")  # noqa: B010
    School.objects.create(name="Northfield Primary", slug="northfield")
    assert [(s.school.slug, s.directory) for s in spools()] == [("northfield", tmp_path / "spool")]


def test_a_user_name_that_was_not_utf8_and_a_nul_are_stored_and_never_stop_the_file(spool: Spool) -> None:
    # The writer keeps such a name as lone surrogates (surrogateescape), and a URL may hold a NUL:
    # neither can go into a database column as it is; both are stored as U+FFFD, and the line after.
    write(
        spool.directory,
        [
            (T0, Line("https://bet365.com/", "zo\udceb", "10.0.0.5"), blocked()),
            (T0 + 1, Line("https://bet365.com/a\x00b", "amelia", "10.0.0.5"), blocked()),
            (T0 + 2, Line("https://bet365.com/", "amelia", "10.0.0.5"), blocked()),
        ],
    )
    done = run(spool)
    assert done.events == 3 and not done.problems
    rows = ActivityEvent.objects.order_by("at")
    assert [r.user_name for r in rows] == ["zo\ufffd", "amelia", "amelia"]
    assert rows[1].url == "https://bet365.com/a\ufffdb"


def test_a_link_or_a_fifo_in_the_spool_is_never_read_nor_removed(
    cast: Cast, spool: Spool, tmp_path: Path
) -> None:
    # Another school's spool file, linked into this school's directory: not read as this school's.
    elsewhere = tmp_path / "other"
    write(elsewhere, [(T0, Line("https://bet365.com/", "ben", "10.0.1.5"), blocked())])
    target = next(elsewhere.iterdir())
    spool.directory.mkdir(parents=True, exist_ok=True)
    (spool.directory / target.name).symlink_to(target)
    fifo = target.name.replace("-00001.jsonl", "-00002.jsonl")
    os.mkfifo(spool.directory / fifo)
    done = run(spool)
    assert done.events == 0 and ActivityEvent.objects.count() == 0
    assert sum("not a regular file" in p for p in done.problems) == 2
    assert (spool.directory / target.name).is_symlink() and target.exists()
    assert (spool.directory / fifo).exists()


def test_spool_files_no_school_reads_are_said(cast: Cast, settings: object, tmp_path: Path) -> None:
    # Two schools: each reads SPOOL_DIR/<slug>/; a gateway still writing to SPOOL_DIR itself is said.
    setattr(settings, "SPOOL_DIR", tmp_path / "spool")  # noqa: B010
    write(tmp_path / "spool", [(T0, Line("https://bet365.com/", "amelia", "10.0.0.5"), blocked())])
    done = Ingester(spools()).round()
    assert done.events == 0
    assert any("read by no school" in p for p in done.problems)
