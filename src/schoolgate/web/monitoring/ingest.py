"""The ingester: the gateways' activity spool into the database, crash-safe, in batches.

Each school has a spool directory (`spools`): with one school in the database, `settings.SPOOL_DIR`
(`SCHOOLGATE_SPOOL`); with several, `SPOOL_DIR/<school slug>/`, the way each school's policy snapshot
has its own name (`policy.actions.snapshot_path`); `schoolgate worker --spool DIR --school SLUG` says
otherwise for a school. Every file of it is read from where the database last stopped
(`SpoolFile.position`), in batches of `batch_lines` lines or about `batch_seconds`, and each batch is
one transaction that

- stores every blocked event, every event whose outcome carries an alert level or is an attempt on a
  locked list, and every search (`monitoring.terms.classify` found a term; a suggestion call is no
  search) one row each (`ActivityEvent`), with the person resolved (`resolve.py`), the term's risk
  phrases (`phrasebook.library_for(school).scan`) and the keystroke trail marked (`superseded`);
- adds the other allowed requests to the per-hour counts (`HourlyVisit`), summed in the batch first
  and added with one upsert per (hour, who, site);
- hands the rows just stored to the alert rules (`alerting.consider`);
- moves the file's position past the batch.

A review file's batch stores each line as a `ReviewRequest` (a review, or a report that a site should be
blocked) and makes each a filter change request in the same transaction (`filterrequests.ingest`).

So rows and position commit together: a worker killed at any moment starts again where the last
commit left it, and loses and repeats nothing. The position is moved only if it is still the one the
batch was read from (a second worker on the same spool loses the race and reads again), and the
unique (file, offset, time) of each row refuses a line stored twice all the same.

A line that is not a whole event of a known version, or whose values are out of range, is counted in
`SpoolFile.skipped` with the reason in `problem`, and never stops the file. A file is finished once it
is complete and read to its end: an events file renamed from `.part` (its place is kept across the
rename: its record is named without `.part`), or a review file, or a `.part` file left by a process
that died, whose writer is no longer running on this host and which nothing has written to for an
hour. A finished file is deleted, or moved into `archive/` with `keep_spool`.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import socket
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, models, transaction
from django.db.models import F
from django.db.models.base import ModelState
from django.utils import timezone

from schoolgate.activity import schema
from schoolgate.activity.lines import Skipped, SpoolRecord
from schoolgate.activity.reviews import REPORT_KIND, read_review_file
from schoolgate.activity.spool import read_spool
from schoolgate.engine.policy import user_key
from schoolgate.monitoring import terms
from schoolgate.monitoring.phrases import Audience, Library, Match
from schoolgate.web.agreements.proxy import ingest as agreement_ingest
from schoolgate.web.filterrequests.ingest import from_reviews
from schoolgate.web.monitoring import alerting, phrasebook
from schoolgate.web.monitoring.choices import Gateway, ReviewKind, Severity, SpoolKind
from schoolgate.web.monitoring.management.arguments import BATCH_LINES
from schoolgate.web.monitoring.models import ActivityEvent, HourlyVisit, ReviewRequest, SpoolFile
from schoolgate.web.monitoring.resolve import Found, Resolver, address
from schoolgate.web.tenancy.models import School

__all__ = ["BATCH_LINES", "BATCH_SECONDS", "Ingester", "Round", "Spool", "SpoolError", "spools"]

log = logging.getLogger("schoolgate.monitoring")

BATCH_SECONDS = 1.0
TRAIL_SECONDS = 15.0  # a search extended by the same person's next one within this is superseded
IDLE_SECONDS = 3600.0  # a file whose writer is gone is finished once nothing has written to it for this
URL_CHARS = 4096
ARCHIVE = "archive"

_SEVERITY_RANK = {Severity.HIGH.value: 3, Severity.MEDIUM.value: 2, Severity.LOW.value: 1}
_GATEWAYS = frozenset(Gateway.values)
_LOCKED = "locked-list"
# An event's time must be one a database stores: from 2000 to 2999.
_EARLIEST, _LATEST = 946_684_800.0, 32_503_680_000.0
_RULE_MAX = 2_147_483_647
_NO_SEARCH = terms.UrlSearch(None, None, False)
_GC_THRESHOLD = 50_000  # new objects between two runs of the garbage collector during a round
_SITES_KEPT = 100_000  # origins remembered as of a search site or not (`Ingester._searchable`)
THIS_HOST = schema.file_host(socket.gethostname())
# What says the database cannot be reached now: the worker waits and tries again (worker.py).
DATABASE_DOWN: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class SpoolError(ValueError):
    """A spool directory given for a school that is not there."""


@dataclass(frozen=True, slots=True)
class Spool:
    """One school's spool directory."""

    school: School
    directory: Path


def spools(given: Sequence[tuple[str, str]] = ()) -> list[Spool]:
    """Each school's spool directory: `SPOOL_DIR` with one school, `SPOOL_DIR/<slug>/` with several;
    `given` (directory, school slug) pairs say otherwise for their school."""
    schools = list(School.objects.order_by("pk"))
    base = Path(settings.SPOOL_DIR)
    found = {s.pk: Spool(s, base if len(schools) == 1 else base / s.slug) for s in schools}
    slugs = {s.slug: s for s in schools}
    for directory, slug in given:
        school = slugs.get(slug)
        if school is None:
            raise SpoolError(f"--school {slug!r}: there is no school of that short name")
        found[school.pk] = Spool(school, Path(directory).resolve())
    return list(found.values())


@dataclass
class Round:
    """What one pass over the spool did."""

    events: int = 0
    reviews: int = 0
    skipped: int = 0
    finished: int = 0
    more: bool = False  # a file was left with lines still to read (the batch limit, or a race)
    newest: float = 0.0  # the time of the newest event stored, seconds since the epoch
    problems: list[str] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return self.events + self.reviews + self.skipped


class _RaceLostError(Exception):
    """Another worker moved the file's position first: the batch is rolled back and read again."""


def _cut(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def _line_end(path: Path, offset: int) -> int:
    """Where the line starting at `offset` ends (just past its newline), or the file's end."""
    with open(path, "rb") as file:
        file.seek(offset)
        end = offset
        while True:
            chunk = file.readline(1024 * 1024)
            end += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                return end


@dataclass
class _Batch:
    """The lines read since the last commit: the records, and those left out (the reader hands them to
    `skipped.append`, so the lists are emptied after each commit, never replaced)."""

    records: list[SpoolRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def clear(self) -> None:
        self.records.clear()
        self.skipped.clear()


class Ingester:
    """Reads the spool directories into the database (see the module). One per worker process; it
    keeps nothing between rounds that the database does not also hold, but the outcomes each growing
    file defined up to its position (so that a file is not read from its start every round)."""

    def __init__(
        self,
        directories: Sequence[Spool],
        *,
        keep_spool: bool = False,
        batch_lines: int = BATCH_LINES,
        batch_seconds: float = BATCH_SECONDS,
        stopping: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if batch_lines < 1:
            raise ValueError(f"a batch is at least one line, not {batch_lines}")
        self.spools = list(directories)
        self.keep_spool = keep_spool
        self.batch_lines = batch_lines
        self.batch_seconds = batch_seconds
        self.stopping = stopping
        self.clock = clock
        self._outcomes: dict[int, tuple[int, dict[int, dict[str, Any]]]] = {}
        self._resolvers: dict[int, Resolver] = {}
        self._said: set[tuple[Path, str]] = set()
        self._sites: dict[str, bool] = {}

    def _searchable(self, url: str) -> bool:
        """Whether `terms.classify` may find a term in `url`: False only when its host is of no search
        engine or site. An http(s) URL's "scheme://host" is looked up once (`classify` of it alone says
        whether the host is one: its `engine` is set for every page of a known site) and remembered,
        so that the nine in ten requests that go elsewhere skip `classify`; any other URL is said to
        be searchable, and `classify` decides."""
        if url.startswith("https://"):
            slash = url.find("/", 8)
        elif url.startswith("http://"):
            slash = url.find("/", 7)
        else:
            return True
        if slash < 0:
            return True
        origin = url[:slash]
        known = self._sites.get(origin)
        if known is None:
            if "?" in origin or "#" in origin:
                return True  # a query or fragment before any path: not an origin to remember
            known = terms.classify(origin).engine is not None
            if len(self._sites) >= _SITES_KEPT:
                self._sites.clear()
            self._sites[origin] = known
        return known

    def _resolver(self, school: School) -> Resolver:
        """The school's resolver for this round (resolve.py)."""
        found = self._resolvers.get(school.pk)
        if found is None:
            found = self._resolvers[school.pk] = Resolver(school)
        return found

    # ----------------------------------------------------------------------------- the round

    def round(self) -> Round:
        """Read every file of every school's spool as far as it goes now. A school whose batch fails
        (anything but the database being unreachable, which the caller waits out) is said in
        `Round.problems`, and the others carry on."""
        done = Round()
        self._resolvers = {}
        # A batch makes tens of thousands of objects (a dictionary per line) that live until it is
        # stored: with the collector's default threshold (700) it would run a hundred times a batch and
        # take a fifth of the round. It runs a few times a batch instead, and as before once the round
        # is over. Nothing here makes reference cycles that need it sooner.
        threshold = gc.get_threshold()
        gc.set_threshold(max(threshold[0], _GC_THRESHOLD), *threshold[1:])
        try:
            for spool in self.spools:
                if self.stopping():
                    break
                try:
                    self._directory(spool, done)
                except DATABASE_DOWN:
                    raise
                except Exception as exc:
                    log.exception("ingesting %s for school %s failed", spool.directory, spool.school.slug)
                    done.problems.append(f"{spool.school.slug}: {exc}"[:300])
        finally:
            gc.set_threshold(*threshold)
        self._strays(done)
        return done

    def _strays(self, done: Round) -> None:
        """Spool files in `SPOOL_DIR` itself that no school reads: with several schools each school's
        gateways write to `SPOOL_DIR/<slug>/` (as a second school's policy moves to its own file), and
        a gateway still writing to the old place would otherwise be unmonitored without a word."""
        base = Path(settings.SPOOL_DIR).resolve()
        if any(spool.directory.resolve() == base for spool in self.spools):
            return
        try:
            names = [n for n in os.listdir(base) if schema.parse_spool_name(n) is not None]
        except OSError:
            return
        if names:
            done.problems.append(
                f"{len(names)} spool file(s) in {base} are read by no school: with several schools, point "
                f"each school's gateways at {base}/<school short name>/ (--spool), or start the worker "
                "with --spool DIR --school SLUG"
            )

    def _directory(self, spool: Spool, done: Round) -> None:
        try:
            names = sorted(os.listdir(spool.directory))
        except FileNotFoundError:
            return  # no gateway has written yet
        files: dict[str, schema.SpoolName] = {}
        for name in names:
            parsed = schema.parse_spool_name(name)
            if parsed is None:
                continue
            stored = name.removesuffix(".part")
            if parsed.complete or stored not in files:
                files[stored] = parsed
        for stored, parsed in files.items():
            if self.stopping():
                return
            try:
                self._file(spool, stored, parsed, done)
            except DATABASE_DOWN:
                raise
            except Exception as exc:  # one file that cannot be stored never stops the school's others
                log.exception("ingesting %s in %s failed", stored, spool.directory)
                done.problems.append(f"{spool.school.slug}: {stored}: {exc}"[:300])
        # Acceptances of the agreement at the proxy: small files of their own (`agreements.proxy`).
        done.problems.extend(
            f"{spool.school.slug}: {p}"[:300]
            for p in agreement_ingest(spool.school, spool.directory).problems
        )
        # A worker stopped between removing (or archiving) a finished file and saying so: the file is
        # gone from the directory, and is recorded as removed now.
        hosts = {parsed.host for parsed in files.values()} | {THIS_HOST}  # this spool's writers
        gone = SpoolFile.objects.filter(
            school=spool.school, host__in=sorted(hosts), finished_at__isnull=False, removed_at=None
        )
        lost = [pk for pk, name in gone.values_list("pk", "name") if name not in files]
        if lost:
            SpoolFile.objects.filter(pk__in=lost).update(removed_at=timezone.now())

    def _file(self, spool: Spool, stored: str, parsed: schema.SpoolName, done: Round) -> None:
        directory = spool.directory
        complete_path = directory / stored
        part_path = directory / (stored + ".part")
        record, _ = SpoolFile.objects.get_or_create(
            host=parsed.host,
            name=stored,
            defaults={
                "school": spool.school,
                "kind": SpoolKind.EVENTS if parsed.kind == "events" else SpoolKind.REVIEWS,
                "gateway": parsed.gateway,
            },
        )
        if record.school_id != spool.school.pk:
            problem = f"{stored} of host {parsed.host} is in the database as another school's: left alone"
            if (directory, stored) not in self._said:  # said once, not every round
                self._said.add((directory, stored))
                log.warning("%s (in %s)", problem, directory)
            done.problems.append(problem)
            return
        if record.finished_at is not None:
            self._remove(spool, record, complete_path if complete_path.exists() else part_path)
            return
        path = complete_path if complete_path.exists() else part_path
        try:
            found = path.lstat()
        except FileNotFoundError:
            return  # renamed or removed between the listing and now: the next round sees it
        if not stat.S_ISREG(found.st_mode):
            # A symbolic link (to another school's spool, or any file), a FIFO, a directory: never
            # read as this school's, never removed. The readers open with O_NOFOLLOW as well.
            problem = f"{path.name} in {directory} is not a regular file: left alone"
            if (directory, stored) not in self._said:
                self._said.add((directory, stored))
                log.warning("%s", problem)
            done.problems.append(problem)
            return
        size = found.st_size
        at_end = record.position >= size
        if not at_end:
            at_end = self._read(spool, record, path, done)
        if at_end and self._complete(parsed, path, complete_path):
            self._finish(spool, record, path, size, done)

    def _complete(self, parsed: schema.SpoolName, path: Path, complete_path: Path) -> bool:
        """Whether nothing will be written to the file again."""
        if parsed.kind == "events" and path == complete_path:
            return True  # renamed from .part by its writer: handed over
        if parsed.host != THIS_HOST or _pid_alive(parsed.pid):
            return False  # a review file, or a .part file, of a writer that may still write to it
        try:
            return self.clock() - path.stat().st_mtime >= IDLE_SECONDS
        except FileNotFoundError:
            return False

    # ----------------------------------------------------------------------------- reading

    def _read(self, spool: Spool, record: SpoolFile, path: Path, done: Round) -> bool:
        """Read the file from its position in batches; True when it was read to its end."""
        batch = _Batch()
        position = record.position
        outcomes: dict[int, dict[str, Any]] = {}
        if record.kind == SpoolKind.EVENTS:
            # The outcomes this file defined up to the position, kept from the last reading; without
            # them (a new worker, a race lost) the reader reads the lines before the position again.
            cached = self._outcomes.get(record.pk)
            if cached is not None and cached[0] == position:
                outcomes = cached[1]
            reader: Iterator[SpoolRecord] = read_spool(
                path, position, skipped=batch.skipped.append, outcomes=outcomes
            )
        else:
            reader = read_review_file(path, position, skipped=batch.skipped.append)
        started = time.monotonic()
        try:
            records = batch.records
            for found in reader:
                records.append(found)
                count = len(records)
                # The clock is looked at every 256 lines: a batch is cut at `batch_lines`, or once it
                # has taken `batch_seconds` to read (a slow disk, a file growing line by line).
                if count >= self.batch_lines or (
                    not count & 255 and time.monotonic() - started >= self.batch_seconds
                ):
                    position = self._commit(spool, record, path, position, batch, done)
                    batch.clear()
                    started = time.monotonic()
                    if self.stopping():
                        done.more = True
                        return False
            if batch.records or batch.skipped:
                position = self._commit(spool, record, path, position, batch, done)
        except (_RaceLostError, IntegrityError) as exc:
            log.warning("%s: another worker stored these lines first (%s); reading again", path, exc)
            self._outcomes.pop(record.pk, None)
            done.more = True
            return False
        finally:
            close = getattr(reader, "close", None)
            if close is not None:
                close()
        if record.kind == SpoolKind.EVENTS:
            self._outcomes[record.pk] = (position, outcomes)
        return True

    def _commit(
        self, spool: Spool, record: SpoolFile, path: Path, position: int, batch: _Batch, done: Round
    ) -> int:
        """Store one batch and move the position past it, in one transaction; the new position."""
        end = batch.records[-1].end if batch.records else position
        reasons: list[str] = []
        for skip in batch.skipped:
            end = max(end, _line_end(path, skip.offset))
            reasons.append(f"line at byte {skip.offset}: {skip.reason}")
        now = timezone.now()
        with transaction.atomic():
            moved = SpoolFile.objects.filter(pk=record.pk, position=position).update(
                position=end, updated_at=now
            )
            if not moved:
                raise _RaceLostError(f"its position is no longer {position}")
            if record.kind == SpoolKind.EVENTS:
                stored, bad = self._events(spool.school, record, batch.records, now)
            else:
                stored, bad = self._reviews(spool.school, record, batch.records)
            reasons.extend(bad)
            skipped = len(batch.skipped) + len(bad)
            changes: dict[str, Any] = {"events": F("events") + len(batch.records) - len(bad)}
            if skipped:
                changes["skipped"] = F("skipped") + skipped
                changes["problem"] = reasons[-1][:500]
            SpoolFile.objects.filter(pk=record.pk).update(**changes)
        record.position = end
        if record.kind == SpoolKind.EVENTS:
            done.events += len(batch.records) - len(bad)
        else:
            done.reviews += len(batch.records) - len(bad)
        done.skipped += skipped
        if stored:
            done.newest = max(done.newest, stored)
        return end

    # ----------------------------------------------------------------------------- events

    def _events(
        self, school: School, spool_file: SpoolFile, records: list[SpoolRecord], now: datetime
    ) -> tuple[float, list[str]]:
        """Store a batch of events (rows, counts, alerts); the newest event's time, and the reasons of
        the lines left out."""
        resolver = self._resolver(school)
        resolver.prepare(
            {r.record.get("user") or "" for r in records}, {r.record.get("ip") or "" for r in records}
        )
        library: Library | None = None  # read when the batch has a search
        audiences: dict[int | None, Audience] = {}
        rows: list[ActivityEvent] = []
        counts: dict[tuple[int, str, str], list[Any]] = {}
        bad: list[str] = []
        newest = 0.0
        school_id = school.pk
        # This loop runs once per event: names looked up once, and most events (allowed requests to
        # sites that are no search engine) are counted in a few steps.
        find, classify, searchable = resolver.find, terms.classify, self._searchable
        earliest, latest, ranks, locked_reason = _EARLIEST, _LATEST, _SEVERITY_RANK, _LOCKED
        # The reader has checked each field's JSON type: the texts are str, cut to their columns here.
        for found in records:
            event = found.record
            t = event["t"]
            if not earliest <= t <= latest:
                bad.append(f"line at byte {found.offset}: its time {t!r} is out of range")
                continue
            newest = max(newest, t)
            blocked = event["verdict"] == "block"
            alert = event.get("alert")
            if alert not in ranks:
                alert = ""
            locked = event["reason"] == locked_reason
            url = event["url"]
            search = classify(url) if searchable(url) else _NO_SEARCH
            term = search.term if not search.suggestion else None
            user = event.get("user") or ""
            ip = event.get("ip") or ""
            if not (blocked or alert or locked or term is not None):
                host = (event.get("host") or _host_of(url))[:255]
                key = (int(t // 3600), (user or ip)[:150], host)
                count = counts.get(key)
                if count is None:
                    counts[key] = [
                        1,
                        find(user, ip),
                        ip,
                        event.get("device") or "",
                        event["group"],
                        event.get("category"),
                    ]
                else:
                    count[0] += 1
                continue
            who = find(user, ip)
            row = _event(
                school,
                who,
                at=datetime.fromtimestamp(t, UTC),
                spool_file_id=spool_file.pk,
                offset=found.offset,
                gateway=event["gw"] if event["gw"] in _GATEWAYS else Gateway.OTHER,
                user_name=user[:150],
                ip=ip[:45],
                device=(event.get("device") or who.device)[:200],
                method=(event.get("method") or "")[:16],
                url=url[:URL_CHARS],
                site=(event.get("host") or _host_of(url))[:255],
                blocked=blocked,
                reason=(event["reason"])[:32],
                group=(event["group"])[:64],
                category=(event.get("category") or "")[:64],
                source=(event.get("source") or "")[:128],
                rule=_rule(event.get("rule")),
                alert_level=alert,
                locked=locked,
                engine=(search.engine or "")[:32],
                term=(term or "")[:500],
            )
            if term:
                person_id = who.person.pk if who.person is not None else None
                audience = audiences.get(person_id)
                if audience is None:
                    audience = audiences[person_id] = phrasebook.audience_of(who.person)
                if library is None:
                    library = phrasebook.library_for(school)
                _flag(row, library.scan(term, audience))
            rows.append(row)
        if rows:
            self._trail(school, rows)
            _insert_events(spool_file, rows)
        if counts:
            _add_counts(school_id, counts)
        if rows:
            alerting.consider(school, rows, now)
        return newest, bad

    def _trail(self, school: School, rows: list[ActivityEvent]) -> None:
        """Mark the searches a later search of the same person on the same engine extends within
        `TRAIL_SECONDS` ("h", "ho", "how": the first two), in the batch and in the database."""
        searches = [r for r in rows if r.term]
        if not searches:
            return
        window = timedelta(seconds=TRAIL_SECONDS)
        last: dict[tuple[str, str], tuple[datetime, str, ActivityEvent | int]] = {}
        earlier = (
            ActivityEvent.objects.filter(
                school=school,
                at__gte=min(r.at for r in searches) - window,
                at__lte=max(r.at for r in searches),
                superseded=False,
            )
            .exclude(term="")
            .order_by("at", "pk")
            .values_list("pk", "at", "user_name", "ip", "engine", "term")
        )
        for pk, at, user_name, ip, engine, term in earlier:
            last[(user_key(user_name) if user_name else ip, engine)] = (at, term, pk)
        superseded: list[int] = []
        for row in sorted(searches, key=lambda r: r.at):
            key = (user_key(row.user_name) if row.user_name else row.ip, row.engine)
            before = last.get(key)
            if before is not None and row.at - before[0] <= window and terms.extends(before[1], row.term):
                target = before[2]
                if isinstance(target, int):
                    superseded.append(target)
                else:
                    target.superseded = True
            last[key] = (row.at, row.term, row)
        if superseded:
            ActivityEvent.objects.filter(pk__in=superseded).update(superseded=True)

    # ----------------------------------------------------------------------------- reviews

    def _reviews(
        self, school: School, spool_file: SpoolFile, records: list[SpoolRecord]
    ) -> tuple[float, list[str]]:
        resolver = self._resolver(school)
        rows: list[ReviewRequest] = []
        bad: list[str] = []
        newest = 0.0
        for found in records:
            review = found.record
            t = review["t"]
            if not _EARLIEST <= t <= _LATEST:
                bad.append(f"line at byte {found.offset}: its time {t!r} is out of range")
                continue
            newest = max(newest, t)
            blocked_at = review.get("at")
            who = _cut(review.get("who") or "", 150)
            url = review.get("url") or ""
            rows.append(
                ReviewRequest(
                    school=school,
                    received_at=datetime.fromtimestamp(t, UTC),
                    spool_file_id=spool_file.pk,
                    offset=found.offset,
                    url=url[:URL_CHARS],
                    site=_cut(review.get("host") or _host_of(url), 255),
                    who=who,
                    person=resolver.who(who).person,
                    blocked_at=(
                        datetime.fromtimestamp(blocked_at, UTC)
                        if isinstance(blocked_at, int) and _EARLIEST <= blocked_at <= _LATEST
                        else None
                    ),
                    reason=_cut(review.get("reason") or "", 32),
                    group=_cut(review.get("group") or "", 64),
                    category=_cut(review.get("category") or "", 64),
                    rule=_rule(review.get("rule")),
                    message=_cut(review.get("message") or "", 8000),
                    name=_cut(review.get("name") or "", 200),
                    ip=_cut(address(review.get("ip")) or review.get("ip") or "", 45),
                    user_agent=_cut(review.get("user_agent") or "", 300),
                    kind=ReviewKind.REPORT if review.get("kind") == REPORT_KIND else ReviewKind.REVIEW,
                )
            )
        ReviewRequest.objects.bulk_create(rows)
        # Each becomes a filter change request in the same transaction (`filterrequests.ingest`).
        from_reviews(rows)
        return newest, bad

    # ----------------------------------------------------------------------------- finishing

    def _finish(self, spool: Spool, record: SpoolFile, path: Path, size: int, done: Round) -> None:
        """Mark a complete file read to its end finished, then remove (or archive) it. A last line cut
        short (a write that failed half way) is counted as left out: it can never be read."""
        now = timezone.now()
        changes: dict[str, Any] = {"finished_at": now, "updated_at": now}
        if record.position < size:
            changes["skipped"] = F("skipped") + 1
            changes["problem"] = (
                f"line at byte {record.position}: cut short (the file ends in the middle of it)"
            )
            changes["position"] = size
        with transaction.atomic():
            finished = SpoolFile.objects.filter(
                pk=record.pk, position=record.position, finished_at=None
            ).update(**changes)
        if finished:
            done.finished += 1
            if record.position < size:
                done.skipped += 1
            self._outcomes.pop(record.pk, None)
            self._remove(spool, record, path)

    def _remove(self, spool: Spool, record: SpoolFile, path: Path) -> None:
        """Delete a finished file, or move it into `archive/` (`keep_spool`); a file already gone is
        recorded as removed."""
        try:
            if self.keep_spool:
                archive = spool.directory / ARCHIVE
                archive.mkdir(exist_ok=True)
                os.replace(path, archive / path.name)
            else:
                path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            problem = f"cannot remove {path}: {exc.strerror or exc}"[:500]
            if record.problem != problem:  # said once, not every round
                log.warning("%s", problem)
                SpoolFile.objects.filter(pk=record.pk).update(problem=problem)
            return
        SpoolFile.objects.filter(pk=record.pk, removed_at=None).update(removed_at=timezone.now())


def _rule(value: object) -> int | None:
    return value if type(value) is int and 0 <= value <= _RULE_MAX else None


def _host_of(url: str) -> str:
    """The host of a URL, a host:port or a DNS name, when the gateway did not say it."""
    rest = url.partition("://")[2] or url
    for mark in "/?#":
        rest = rest.partition(mark)[0]
    rest = rest.rpartition("@")[2]
    if rest.startswith("["):
        return rest[1:].partition("]")[0]
    return rest.partition(":")[0].lower().rstrip(".")


def _flag(row: ActivityEvent, matches: Sequence[Match]) -> None:
    """What the risk phrases found in a row's term: the highest severity and its area, and each match
    explained."""
    if not matches:
        return
    explained = []
    best = 0
    for match in matches:
        severity = match.severity.value
        area = match.area.value
        explained.append(
            {"phrase": str(match.phrase), "area": area, "severity": severity, "why": str(match.why)}
        )
        rank = _SEVERITY_RANK.get(severity, 0)
        if rank > best:
            best = rank
            row.flag = severity
            row.flag_area = area[:16]
    row.matches = explained


# Every column's default, for `_event`; `matches` (a list) is made anew for each row.
_EVENT_DEFAULTS = {
    f.attname: f.get_default() for f in ActivityEvent._meta.concrete_fields if f.attname != "matches"
}


def _event(school: School, who: Found, **values: Any) -> ActivityEvent:
    """A new row, made as `Model.__init__` makes one but several times faster (a batch makes
    thousands): every column's default, then the values given, the person and the school kept as
    their related objects (the alert rules read them without a query). ActivityEvent has no
    pre_init or post_init receivers (it is not audited, on purpose), so none are missed."""
    row = ActivityEvent.__new__(ActivityEvent)
    state = ModelState()
    state.fields_cache = {"person": who.person, "school": school}
    attributes = row.__dict__
    attributes.update(_EVENT_DEFAULTS)
    attributes.update(values)
    attributes["_state"] = state
    attributes["matches"] = []
    attributes["school_id"] = school.pk
    attributes["person_id"] = who.person.pk if who.person is not None else None
    attributes["subject"] = who.subject
    return row


_EVENT_FIELDS = [f for f in ActivityEvent._meta.concrete_fields if not f.primary_key]
_EVENT_VALUES = attrgetter(*(f.attname for f in _EVENT_FIELDS))
_EVENT_AT = next(i for i, f in enumerate(_EVENT_FIELDS) if f.name == "at")
_EVENT_MATCHES = next(i for i, f in enumerate(_EVENT_FIELDS) if f.name == "matches")


def _insert_events(spool_file: SpoolFile, rows: list[ActivityEvent]) -> None:
    """Insert a batch's rows in one go (COPY on PostgreSQL, one prepared statement on SQLite), then
    read their ids back by their place in the file: `bulk_create` compiles a statement per few dozen
    rows, several times slower, and the ids are needed (the alert rules link rows to alerts). The
    rows' values are the model's own (strings, numbers, booleans), the time and the matches adapted
    as Django does."""
    quote = connection.ops.quote_name
    table = quote(ActivityEvent._meta.db_table)
    columns = ", ".join(quote(f.column) for f in _EVENT_FIELDS)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_EVENT_FIELDS))})"
    adapt = connection.ops.adapt_datetimefield_value
    # The events of a page's burst share their time: each time is adapted once. Most rows have no
    # phrase matches: "[]" is what json.dumps makes of them.
    times: dict[datetime, Any] = {}
    params = []
    for row in rows:
        values = list(_EVENT_VALUES(row))
        at = values[_EVENT_AT]
        adapted = times.get(at)
        if adapted is None:
            adapted = times[at] = adapt(at)
        values[_EVENT_AT] = adapted
        matches = values[_EVENT_MATCHES]
        values[_EVENT_MATCHES] = json.dumps(matches) if matches else "[]"
        params.append(values)
    offset, at = quote("offset"), quote("at")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own cursor, its errors made Django's (IntegrityError, OperationalError).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for values in params:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, params)
        cursor.execute(
            f"SELECT id, {offset} FROM {table} WHERE spool_file_id = %s "
            f"AND {offset} >= %s AND {offset} <= %s AND {at} >= %s AND {at} <= %s",
            [
                spool_file.pk,
                rows[0].offset,
                rows[-1].offset,
                adapt(min(r.at for r in rows)),
                adapt(max(r.at for r in rows)),
            ],
        )
        ids = dict((o, pk) for pk, o in cursor.fetchall())
    for row in rows:
        row.pk = ids[row.offset]
        row._state.adding = False
        row._state.db = connection.alias


def _column(name: str) -> str:
    found = HourlyVisit._meta.get_field(name)
    assert isinstance(found, models.Field)
    return connection.ops.quote_name(found.column)


def _add_counts(school_id: int, counts: dict[tuple[int, str, str], list[Any]]) -> None:
    """Add a batch's allowed requests to the per-hour counts: one upsert per (hour, who, site)."""
    table = connection.ops.quote_name(HourlyVisit._meta.db_table)
    names = (
        "school",
        "hour",
        "who",
        "person",
        "subject",
        "ip",
        "device",
        "site",
        "group",
        "category",
        "requests",
    )
    columns = ", ".join(_column(n) for n in names)
    requests = _column("requests")
    conflict = ", ".join(_column(n) for n in ("school", "hour", "who", "site"))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {requests} = {table}.{requests} + EXCLUDED.{requests}"
    )
    adapt = connection.ops.adapt_datetimefield_value
    hours: dict[int, Any] = {}
    params = []
    for (hour, who, site), (number, found, ip, device, group, category) in counts.items():
        when = hours.get(hour)
        if when is None:
            when = hours[hour] = adapt(datetime.fromtimestamp(hour * 3600, UTC))
        params.append(
            (
                school_id,
                when,
                who,
                found.person.pk if found.person is not None else None,
                found.subject.value,
                _cut(ip, 45),
                _cut(device or found.device, 200),
                site,
                _cut(group, 64),
                _cut(category or "", 64),
                number,
            )
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
