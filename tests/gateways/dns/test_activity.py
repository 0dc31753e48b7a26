"""`schoolgate dns-log`: unbound's query and zone log lines as activity events.

Log lines as unbound 1.17 writes them to its logfile (the format of tests/gateways/dns/test_unbound.py's real
unbound, checked against it at the end of this file), through the reader into a real spool.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from schoolgate.activity.spool import SpoolWriter, read_events
from schoolgate.engine.policy import Action, compile_policy
from schoolgate.gateways.dns.activity import PAIRING_SECONDS, LogReader, events_of
from schoolgate.lists.compile import open_index
from schoolgate.policyfile.load import load_policy
from tests.activity.test_spool import FullDisk
from tests.school import run_schoolgate

from .conftest import PUPIL, STAFF, STRANGER, Resolver, publish, write_policy

T = 1_796_163_309


def query(at: float, ip: str, name: str, qtype: str = "A") -> str:
    return f"[{at:.0f}] unbound[4120:0] info: {ip} {name}. {qtype} IN\n"


def applied(at: float, zone: str, ip: str, name: str, action: str, qtype: str = "A") -> str:
    head = f"[{at:.0f}] unbound[4120:0] info: rpz: applied [{zone}] {name}. {action}"
    return f"{head} {ip}@53120 {name}. {qtype} IN\n"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("dns-activity")
    policy, index = work / "policy.toml", work / "lists.sgidx"
    write_policy(policy)
    publish(policy, index, work / "zones")
    return compile_policy(load_policy(policy).policy, open_index(index))


def test_a_query_a_zone_answered_is_blocked_with_its_category(compiled) -> None:  # type: ignore[no-untyped-def]
    [(at, request, decision)] = list(
        events_of(
            [query(T, PUPIL, "bet.test"), applied(T, "ks2", PUPIL, "bet.test", "rpz-nxdomain")], compiled
        )
    )
    assert at == T
    assert (request.url, request.client_ip, request.method) == ("bet.test", PUPIL, "DNS A")
    assert decision.verdict is Action.BLOCK
    assert (decision.group, decision.category, decision.host) == ("ks2", "gambling", "bet.test")
    assert decision.identity == f"address {PUPIL}"


def test_a_query_no_zone_answered_is_allowed_for_the_group_of_its_address(compiled) -> None:  # type: ignore[no-untyped-def]
    lines = [query(T, STAFF, "bet.test"), query(T + 5, PUPIL, "school.test")]  # the later line settles it
    events = list(events_of(lines, compiled))
    assert [(r.url, d.verdict, d.group) for _, r, d in events] == [
        ("bet.test", Action.ALLOW, "staff"),
        ("school.test", Action.ALLOW, "ks2"),
    ]


def test_safe_search_is_an_allowed_answer_and_a_pass_through_too(compiled) -> None:  # type: ignore[no-untyped-def]
    lines = [
        query(T, PUPIL, "www.google.com"),
        applied(T, "ks2", PUPIL, "www.google.com", "rpz-local-data"),
        query(T, STRANGER, "school.test"),
        applied(T, "default", STRANGER, "school.test", "rpz-passthru"),
    ]
    events = list(events_of(lines, compiled))
    assert [(r.url, d.verdict, d.group) for _, r, d in events] == [
        ("www.google.com", Action.ALLOW, "ks2"),
        ("school.test", Action.ALLOW, "default"),
    ]


def test_the_rest_of_a_blocking_group_s_names_are_blocked(compiled) -> None:  # type: ignore[no-untyped-def]
    lines = [
        query(T, STRANGER, "news.example"),
        applied(T, "default", STRANGER, "news.example", "rpz-nxdomain"),
    ]
    [(_, _, decision)] = list(events_of(lines, compiled))
    assert (decision.verdict, decision.group) == (Action.BLOCK, "default")


def test_every_query_is_one_event_even_when_asked_twice(compiled) -> None:  # type: ignore[no-untyped-def]
    lines = [
        query(T, PUPIL, "school.test"),
        query(T, PUPIL, "school.test"),
        query(T, PUPIL, "school.test", "AAAA"),
    ]
    events = list(events_of(lines, compiled))
    assert [(r.url, r.method) for _, r, _ in events] == [
        ("school.test", "DNS A"),
        ("school.test", "DNS A"),
        ("school.test", "DNS AAAA"),
    ]


def test_other_lines_are_passed_over(compiled) -> None:  # type: ignore[no-untyped-def]
    lines = ["[1796163309] unbound[4120:0] notice: init module 0: respip\n", "garbage\n", "\n"]
    assert list(events_of(lines, compiled)) == []


def read_spool(spool: Path) -> list[dict[str, object]]:
    return [event for f in sorted(spool.glob("events-dns-*")) for event in read_events(f)]


def test_the_reader_writes_the_events_and_carries_on_where_it_stopped(compiled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, spool = tmp_path / "unbound.log", tmp_path / "spool"
    log.write_text(query(T, PUPIL, "bet.test") + applied(T, "ks2", PUPIL, "bet.test", "rpz-nxdomain"))
    writer = SpoolWriter(spool, "dns")
    reader = LogReader(log, writer, tmp_path / "position")
    assert reader.read(compiled) == 0  # the last seconds wait: a zone line may still come
    with log.open("a") as out:
        out.write(query(T + 10, STAFF, "school.test"))
    assert reader.read(compiled) == 1  # bet.test is settled now; school.test waits
    assert reader.read(compiled, settle=True) == 1  # stopping: the rest too
    assert reader.read(compiled, settle=True) == 0  # nothing twice
    writer.close()
    events = read_spool(spool)
    assert [(e["url"], e["verdict"], e["group"], e["ip"], e["method"]) for e in events] == [
        ("bet.test", "block", "ks2", PUPIL, "DNS A"),
        ("school.test", "allow", "staff", STAFF, "DNS A"),
    ]
    assert events[0]["category"] == "gambling"
    assert events[0]["t"] == T


def test_a_new_reader_after_a_crash_loses_nothing(compiled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, spool, position = tmp_path / "unbound.log", tmp_path / "spool", tmp_path / "position"
    log.write_text(query(T, PUPIL, "bet.test") + query(T + 10, PUPIL, "school.test"))
    first = SpoolWriter(spool, "dns")
    assert LogReader(log, first, position).read(compiled) == 1
    # The process dies here (its spool file is left as .part); a new one starts.
    second = SpoolWriter(spool, "dns")
    assert LogReader(log, second, position).read(compiled, settle=True) == 1
    second.close()
    assert sorted(str(e["url"]) for f in spool.iterdir() for e in read_events(f)) == [
        "bet.test",
        "school.test",
    ]


def test_a_rotated_log_is_read_from_its_start(compiled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, spool, position = tmp_path / "unbound.log", tmp_path / "spool", tmp_path / "position"
    log.write_text(query(T, PUPIL, "bet.test"))
    writer = SpoolWriter(spool, "dns")
    reader = LogReader(log, writer, position)
    assert reader.read(compiled, settle=True) == 1
    os.rename(log, tmp_path / "unbound.log.1")
    log.write_text(query(T + 60, STAFF, "school.test"))  # a new file, a new inode
    assert reader.read(compiled, settle=True) == 1
    writer.close()
    assert [e["url"] for e in read_spool(spool)] == ["bet.test", "school.test"]


def test_pairing_waits_for_the_zone_line(compiled) -> None:  # type: ignore[no-untyped-def]
    late = T + PAIRING_SECONDS / 2
    lines = [
        query(T, PUPIL, "bet.test"),
        query(late, STAFF, "school.test"),
        applied(late, "ks2", PUPIL, "bet.test", "rpz-nxdomain"),
    ]
    verdicts = {r.url: d.verdict for _, r, d in events_of(lines, compiled)}
    assert verdicts == {"bet.test": Action.BLOCK, "school.test": Action.ALLOW}


def test_the_real_unbound_s_log_becomes_events(resolver: Resolver, tmp_path: Path) -> None:
    resolver.ask("bet.test", PUPIL)
    resolver.ask("school.test", STAFF)
    spool = tmp_path / "spool"
    done = run_schoolgate(
        "dns-log", "--log", str(resolver.log), "--spool", str(spool),
        "--policy", str(resolver.policy), "--index", str(resolver.index),
    )  # fmt: skip
    assert "DNS events written" in done.stderr
    events = read_spool(spool)
    pupil = [e for e in events if e["url"] == "bet.test" and e["ip"] == PUPIL]
    assert pupil and all(e["verdict"] == "block" and e["group"] == "ks2" for e in pupil)
    assert pupil[-1]["category"] == "gambling"
    staff = [e for e in events if e["url"] == "school.test" and e["ip"] == STAFF]
    assert staff and staff[-1]["verdict"] == "allow" and staff[-1]["group"] == "staff"


def test_a_spool_that_cannot_be_written_is_an_error_and_the_lines_are_kept(
    resolver: Resolver, tmp_path: Path
) -> None:
    resolver.ask("bet.test", PUPIL)
    spool = tmp_path / "spool"
    spool.write_text("a file where the spool directory should be\n")
    position = tmp_path / "dns-log.position"
    args = ("dns-log", "--log", str(resolver.log), "--spool", str(spool), "--position", str(position),
            "--policy", str(resolver.policy), "--index", str(resolver.index))  # fmt: skip
    done = run_schoolgate(*args, ok=False)
    assert done.returncode == 1, done.stderr
    assert "could not be written" in done.stderr and "Traceback" not in done.stderr
    spool.unlink()
    again = run_schoolgate(*args)  # the lines not recorded are read again once the spool can be written
    assert "Traceback" not in again.stderr
    assert any(e["url"] == "bet.test" and e["ip"] == PUPIL for e in read_spool(spool))


def test_odd_lines_are_passed_over_without_a_traceback(compiled) -> None:  # type: ignore[no-untyped-def]
    lines = [
        "[99999999999999999999] unbound[1:0] info: 127.0.0.10 bet.test. A IN\n",  # no such time
        "[0] unbound[1:0] info: 127.0.0.10 bet.test. A IN\n",
        "[1796163309] unbound[1:0] info: rpz: applied [Year 7 [pilot]] bet.test. rpz-nxdomain "
        "127.0.0.10@1 bet.test. A IN\n",
    ]
    [(_, request, decision)] = list(events_of(lines, compiled))  # the group's "]" does not hide the block
    assert (request.url, decision.verdict) == ("bet.test", Action.BLOCK)


def test_a_last_line_of_another_level_still_holds_back_the_last_queries(compiled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, spool = tmp_path / "unbound.log", tmp_path / "spool"
    log.write_text(query(T, PUPIL, "bet.test") + f"[{T}] unbound[4120:0] notice: something\n")
    writer = SpoolWriter(spool, "dns")
    reader = LogReader(log, writer, tmp_path / "position")
    assert reader.read(compiled) == 0  # bet.test may yet get its zone line
    with log.open("a") as out:
        out.write(applied(T, "ks2", PUPIL, "bet.test", "rpz-nxdomain") + query(T + 10, STAFF, "school.test"))
    assert reader.read(compiled, settle=True) == 2
    writer.close()
    assert [(e["url"], e["verdict"]) for e in read_spool(spool)] == [
        ("bet.test", "block"),
        ("school.test", "allow"),
    ]


def test_the_end_of_a_rotated_log_is_read_before_the_new_one(compiled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, spool, position = tmp_path / "unbound.log", tmp_path / "spool", tmp_path / "position"
    log.write_text(query(T, PUPIL, "bet.test"))
    writer = SpoolWriter(spool, "dns")
    reader = LogReader(log, writer, position)
    assert reader.read(compiled) == 0  # held back
    with log.open("a") as out:
        out.write(query(T + 1, PUPIL, "school.test"))
    os.rename(log, tmp_path / "unbound.log.1")  # logrotate
    log.write_text(query(T + 60, STAFF, "school.test"))
    assert reader.read(compiled, settle=True) == 3
    writer.close()
    assert [(e["url"], e["ip"]) for e in read_spool(spool)] == [
        ("bet.test", PUPIL),
        ("school.test", PUPIL),
        ("school.test", STAFF),
    ]


@pytest.mark.parametrize("breaker", ["\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_query_name_cannot_pose_as_a_line_of_its_own(compiled, tmp_path: Path, breaker: str) -> None:  # type: ignore[no-untyped-def]
    """unbound ends its lines with "\\n" alone (and writes a name's odd bytes as "?"). A name holding
    another line break followed by a query line of unbound's from another address is never read as a
    query of its own: the only query is the pupil's, from the pupil's address."""
    forged = query(T, STAFF, "bet.test").removesuffix(". A IN\n")  # the pupil's line ends it
    log, spool = tmp_path / "unbound.log", tmp_path / "spool"
    log.write_bytes(
        (query(T, PUPIL, f"a{breaker}{forged}") + query(T, PUPIL, "school.test")).encode("utf-8", "replace")
    )
    writer = SpoolWriter(spool, "dns")
    LogReader(log, writer, tmp_path / "position").read(compiled, settle=True)
    writer.close()
    assert [(e["ip"], e["url"]) for e in read_spool(spool)] == [(PUPIL, "school.test")]


def test_while_the_spool_cannot_be_written_the_reader_keeps_its_place(compiled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Events that could not be recorded are not skipped: the reader reads their lines again, and
    records them once the spool can be written."""
    log, spool, position = tmp_path / "unbound.log", tmp_path / "spool", tmp_path / "position"
    log.write_text(query(T, PUPIL, "bet.test") + query(T + 10, STAFF, "school.test"))
    said = io.StringIO()
    writer = FullDisk(spool, "dns", log=said, retry_seconds=0)
    reader = LogReader(log, writer, position)
    assert reader.read(compiled, settle=True) == 0
    assert reader.read(compiled, settle=True) == 0
    assert writer.unrecorded == 4  # both events, twice
    assert "cannot record activity events" in said.getvalue()
    writer.full = False
    assert reader.read(compiled, settle=True) == 2
    assert reader.read(compiled, settle=True) == 0  # and not again
    writer.close()
    assert [(e["url"], e["ip"]) for e in read_spool(spool)] == [("bet.test", PUPIL), ("school.test", STAFF)]
