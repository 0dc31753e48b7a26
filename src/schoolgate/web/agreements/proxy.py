"""The agreement at the proxy, the web application's side: the agreements file, and acceptances in.

`publish` writes the school's agreements file beside its policy snapshot (the format:
`schoolgate.gateways.squid.agreement`): for each audience that accepts at the proxy (`AT_THE_PROXY`)
the version in force today, and the user names (the person's USERNAME identities, as the proxy sees
them) of current people who have not accepted theirs this school year. Squid's agreement helper reads
it to decide who is shown the agreement page. It is written only when what it would hold has changed,
atomically, mode 0640 with the snapshot's group (the gateways' users read both).

`ingest` takes the acceptances the agreement page left in a school's spool (`<spool>/agreements/`,
`schoolgate.activity.agreements`) and records each with `do_accept(how=PROXY)`: the user name to the
person through their identity; a name the school does not know, a version no longer in force, a person
of another audience are dropped and counted, never an error. The file is then written again, and only
then are the acceptance files removed: until the file no longer lists the user, the helper lets them
through because their acceptance file is there.

The worker calls `ingest` for each school's spool after its activity (`monitoring.ingest`), and `sync`
once a round (`SYNC_SECONDS` apart for each school at most): a new version, a new user name, a paper
acceptance, a new school year reach the file within a minute.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from schoolgate.activity.agreements import DIRECTORY, AcceptanceRecord, read_acceptances
from schoolgate.engine.policy import user_key
from schoolgate.gateways.squid.agreement import VERSION, agreements_path
from schoolgate.web.agreements.actions import AGREEMENT_PAGE, do_accept
from schoolgate.web.agreements.choices import AT_THE_PROXY, HowAccepted
from schoolgate.web.agreements.models import Acceptance, AgreementVersion, audience_of
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.choices import IdentityKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy.actions import snapshot_path, write_beside_snapshot
from schoolgate.web.tenancy.models import School

__all__ = ["SYNC_SECONDS", "Ingested", "contents", "ingest", "path_for", "publish", "sync"]

log = logging.getLogger("schoolgate.agreements")

MODE = 0o640
SYNC_SECONDS = 60.0
_synced: dict[int, float] = {}  # school pk -> when `sync` last looked (monotonic)


def path_for(school: School) -> Path:
    """Where the school's agreements file is: beside its policy snapshot."""
    return agreements_path(snapshot_path(school))


def contents(school: School, on: dt.date) -> dict[str, Any]:
    """What the school's agreements file holds on `on`."""
    year = school_year(on)
    versions: dict[str, AgreementVersion] = {}
    for audience in sorted(AT_THE_PROXY):
        found = AgreementVersion.objects.filter(school=school).in_force(audience, on)
        if found is not None:
            versions[audience] = found
    users: dict[str, str] = {}
    if versions:
        accepted = set(
            Acceptance.objects.filter(
                school=school, school_year=year, version__in=[v.pk for v in versions.values()]
            ).values_list("person_id", flat=True)
        )
        identities = (
            NetworkIdentity.objects.filter(school=school, kind=IdentityKind.USERNAME, person__isnull=False)
            .filter(person__in=Person.objects.filter(school=school).current())
            .select_related("person__year_group")
            .order_by("value")
        )
        for found_identity in identities:
            person = found_identity.person
            if person is None or person.pk in accepted:
                continue
            own = audience_of(person)
            if own is not None and own in versions:
                users[user_key(found_identity.value)] = str(own)
    return {
        "v": VERSION,
        "year": year,
        "school": school.slug,
        "versions": {
            audience: {"number": v.number, "title": v.title, "text": v.text}
            for audience, v in versions.items()
        },
        "users": users,
    }


def publish(school: School, now: dt.datetime | None = None) -> bool | None:
    """Write the school's agreements file if what it holds has changed: True when it was written, False
    when it had not changed, None when it could not be written (said on the log; the helper keeps what
    it last read)."""
    now = now or timezone.now()
    snapshot = snapshot_path(school)
    path = agreements_path(snapshot)
    document = contents(school, timezone.localtime(now).date())
    data = (json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n").encode()
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        if not document["versions"]:
            return False  # no agreement at the proxy and no file: nothing to say

    if not write_beside_snapshot(snapshot, path, data, mode=MODE, what="the agreements file"):
        return None
    return True


def sync(now: dt.datetime) -> int:
    """The worker's step: every school's agreements file brought up to date, each at most every
    SYNC_SECONDS; how many files were written."""
    import time

    clock = time.monotonic()
    written = 0
    for school in School.objects.order_by("pk"):
        if clock - _synced.get(school.pk, float("-inf")) < SYNC_SECONDS:
            continue
        _synced[school.pk] = clock
        if publish(school, now):
            written += 1
    return written


@dataclass
class Ingested:
    """What `ingest` did with the acceptances it found."""

    recorded: int = 0
    dropped: int = 0  # an unknown user name, a version no longer in force, another audience
    problems: list[str] = field(default_factory=list)


def _person(school: School, who: str) -> Person | None:
    """The person whose USERNAME identity is `who`, as the policy compares names (case does not
    matter); None when there is none, or more than one."""
    key = user_key(who)
    found = [
        identity.person
        for identity in NetworkIdentity.objects.filter(
            school=school, kind=IdentityKind.USERNAME, person__isnull=False, value__iexact=who
        ).select_related("person__year_group")
        if user_key(identity.value) == key and identity.person is not None
    ]
    people = {p.pk: p for p in found}
    return next(iter(people.values())) if len(people) == 1 else None


def _record(school: School, record: AcceptanceRecord) -> bool:
    """Record one acceptance; False when it cannot be (dropped)."""
    person = _person(school, record.who)
    if person is None:
        return False
    version = AgreementVersion.objects.filter(
        school=school, audience=record.audience, number=record.version
    ).first()
    if version is None:
        return False
    # The school's own time: `do_accept` takes the day (version in force, school year) from `at`, and
    # just after midnight on 1 September is the new year's first day, not the old one's last.
    at = timezone.localtime(dt.datetime.fromtimestamp(record.t, dt.UTC))
    if school_year(at.date()) != record.year:
        return False  # shown in one school year, sent in the next: asked again
    note = f"at the proxy as {record.who}"[:300]
    try:
        do_accept(person, version, how=HowAccepted.PROXY, at=at, actor=AGREEMENT_PAGE, note=note)
    except (ValidationError, PermissionDenied):
        return False
    return True


def ingest(school: School, spool: Path, now: dt.datetime | None = None) -> Ingested:
    """Record the acceptances the agreement page left in `spool`, write the file again, then remove
    them. Cheap when there are none (one directory listing)."""
    directory = spool / DIRECTORY
    done = Ingested()
    taken: list[Path] = []

    def skipped(path: Path, why: str) -> None:
        done.dropped += 1
        done.problems.append(f"{path.name}: {why}")
        taken.append(path)

    for path, record in read_acceptances(directory, skipped):
        if _record(school, record):
            done.recorded += 1
        else:
            done.dropped += 1
        taken.append(path)
    if not taken:
        return done
    if publish(school, now) is None:
        done.problems.append("the agreements file could not be written: acceptances kept for next time")
        return done  # the acceptance files stay: the helper lets their users through meanwhile
    _synced.pop(school.pk, None)
    for path in taken:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # a directory where a file should be: said, never a stop
            done.problems.append(f"{path.name}: cannot remove it: {exc.strerror or exc}")
    if done.dropped:
        log.info("%s: %d acceptance(s) at the proxy dropped (unknown user name or version)", school.slug,
                 done.dropped)  # fmt: skip
    return done
