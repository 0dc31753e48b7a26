"""The agreement at the proxy, the web application's side: the agreements file it writes, and the
acceptances the agreement page left in the spool turned into `Acceptance` records."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from schoolgate.activity.agreements import DIRECTORY, AcceptanceRecord, record_acceptance
from schoolgate.web.agreements import proxy
from schoolgate.web.agreements.actions import AGREEMENT_PAGE, do_accept
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.models import Acceptance, AgreementVersion
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.choices import KeyStage, PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast, identity, person, year

pytestmark = pytest.mark.django_db

START = dt.date(2020, 9, 1)


@pytest.fixture(autouse=True)
def policy_path(settings: Any, tmp_path: Path) -> None:
    settings.POLICY_PATH = str(tmp_path / "policy.toml")
    proxy._synced.clear()


def version(
    school: School, audience: Audience = Audience.KS2, number: int = 1, **fields: Any
) -> AgreementVersion:
    return AgreementVersion.objects.create(
        school=school, audience=audience, number=number, title=f"Rules {number}", text="Be kind.",
        in_force_from=fields.pop("in_force_from", START), written_at=timezone.now(), **fields,
    )  # fmt: skip


def pupil(school: School, login: str, **fields: Any) -> Person:
    found = person(school, year_group=year(school, "Year 5", KeyStage.KS2, 5), **fields)
    identity(school, value=login, person=found)
    return found


def read(school: School) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(proxy.path_for(school).read_text())
    return data


def test_the_file_lists_who_has_not_accepted_the_version_in_force(cast: Cast) -> None:
    school = cast.a
    ks2 = version(school)
    amelia = pupil(school, "KS2-Amelia")
    pupil(school, "ks2-ben", first_name="Ben")
    pupil(school, "ks2-left", first_name="Left", archived_at=timezone.now())
    teacher = person(school, PersonKind.STAFF, first_name="Tess")
    identity(school, value="t.teacher", person=teacher)  # staff: no staff version, so not asked
    identity(school, value="10.0.0.9")  # a name of no one
    do_accept(amelia, ks2, how=HowAccepted.PAPER, at=timezone.now(), actor=cast.alice)
    assert proxy.publish(school) is True
    found = read(school)
    assert found["users"] == {"ks2-ben": "ks2"}
    assert found["versions"] == {"ks2": {"number": 1, "title": "Rules 1", "text": "Be kind."}}
    assert found["year"] == school_year(timezone.localdate())
    assert found["school"] == school.slug  # in every token: refused at another school's page
    assert os.stat(proxy.path_for(school)).st_mode & 0o777 == 0o640
    assert proxy.publish(school) is False  # unchanged: not written again
    version(school, number=2, in_force_from=START + dt.timedelta(days=1))  # a new version asks everyone
    assert proxy.publish(school) is True
    assert read(school)["users"] == {"ks2-amelia": "ks2", "ks2-ben": "ks2"}


def test_no_agreement_at_the_proxy_writes_no_file(cast: Cast) -> None:
    version(cast.a, Audience.PARENTS)  # not an audience of the proxy
    pupil(cast.a, "ks2-ben")
    assert proxy.publish(cast.a) is False
    assert not proxy.path_for(cast.a).exists()


def test_the_worker_step_writes_each_school_once_a_minute_at_most(cast: Cast) -> None:
    version(cast.a)
    pupil(cast.a, "ks2-ben")
    assert proxy.sync(timezone.now()) == 1
    pupil(cast.a, "ks2-cara", first_name="Cara")
    assert proxy.sync(timezone.now()) == 0  # looked less than a minute ago
    proxy._synced.clear()
    assert proxy.sync(timezone.now()) == 1 and "ks2-cara" in read(cast.a)["users"]


def spool_acceptance(spool: Path, who: str, number: int = 1, at: float | None = None) -> Path:
    year = school_year(timezone.localdate())
    record = AcceptanceRecord(at or timezone.now().timestamp(), who, "ks2", number, year, "10.0.0.7", "UA")
    return record_acceptance(spool / DIRECTORY, record)


def test_an_acceptance_in_the_spool_is_recorded_against_the_person_once(cast: Cast, tmp_path: Path) -> None:
    school = cast.a
    version(school)
    amelia = pupil(school, "ks2-amelia")
    proxy.publish(school)
    spool = tmp_path / "spool"
    path = spool_acceptance(spool, "KS2-AMELIA")
    done = proxy.ingest(school, spool)
    assert (done.recorded, done.dropped) == (1, 0)
    acceptance = Acceptance.objects.get(person=amelia)
    assert acceptance.how == HowAccepted.PROXY and acceptance.recorded_by is None
    assert "KS2-AMELIA" in acceptance.note
    entry = AuditEntry.objects.get(object_type="agreements.acceptance", object_id=str(acceptance.pk))
    assert entry.actor_label == AGREEMENT_PAGE
    assert not path.exists() and read(school)["users"] == {}
    spool_acceptance(spool, "ks2-amelia")  # the page posted twice: still one record
    assert proxy.ingest(school, spool).recorded == 1
    assert Acceptance.objects.filter(person=amelia).count() == 1


@pytest.mark.parametrize("case", ["unknown", "other school", "old version", "not json", "last year"])
def test_what_cannot_be_recorded_is_dropped_and_counted_never_an_error(
    cast: Cast, tmp_path: Path, case: str
) -> None:
    school = cast.a
    version(school)
    version(school, number=2, in_force_from=START + dt.timedelta(days=1))
    pupil(cast.b, "ks2-zed")
    pupil(school, "ks2-amelia")
    spool = tmp_path / "spool"
    if case == "unknown":
        path = spool_acceptance(spool, "nobody")
    elif case == "other school":
        path = spool_acceptance(spool, "ks2-zed", 2)
    elif case == "old version":
        path = spool_acceptance(spool, "ks2-amelia", 1)
    elif case == "last year":
        path = spool_acceptance(
            spool, "ks2-amelia", 2, at=(timezone.now() - dt.timedelta(days=400)).timestamp()
        )
    else:
        (spool / DIRECTORY).mkdir(parents=True)
        path = spool / DIRECTORY / "x.json"
        path.write_text("{")
    done = proxy.ingest(school, spool)
    assert (done.recorded, done.dropped) == (0, 1)
    assert not Acceptance.objects.exists()
    assert not path.exists()


def test_a_directory_in_the_acceptances_is_said_never_a_stop(cast: Cast, tmp_path: Path) -> None:
    version(cast.a)
    pupil(cast.a, "ks2-amelia")
    spool = tmp_path / "spool"
    path = spool_acceptance(spool, "ks2-amelia")
    (spool / DIRECTORY / "junk.json").mkdir()
    done = proxy.ingest(cast.a, spool)
    assert (done.recorded, done.dropped) == (1, 1)
    assert any("junk.json" in problem for problem in done.problems)
    assert not path.exists()


def test_an_acceptance_just_after_midnight_counts_on_the_schools_own_day(cast: Cast, tmp_path: Path) -> None:
    """00:30 on 1 September in London is 23:30 on 31 August in UTC: the new version, in force from
    1 September, is the one accepted, in the new school year."""
    version(cast.a, in_force_from=dt.date(2026, 9, 1))
    amelia = pupil(cast.a, "ks2-amelia")
    at = dt.datetime(2026, 8, 31, 23, 30, tzinfo=dt.UTC).timestamp()
    record_acceptance(tmp_path / DIRECTORY, AcceptanceRecord(at, "ks2-amelia", "ks2", 1, 2026))
    done = proxy.ingest(cast.a, tmp_path)
    assert (done.recorded, done.dropped) == (1, 0)
    assert Acceptance.objects.get(person=amelia).school_year == 2026


def test_ingest_with_no_acceptances_does_nothing(cast: Cast, tmp_path: Path) -> None:
    done = proxy.ingest(cast.a, tmp_path / "missing")
    assert (done.recorded, done.dropped, done.problems) == (0, 0, [])
    assert not proxy.path_for(cast.a).exists()


def test_when_the_file_cannot_be_written_the_acceptance_files_stay(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    version(cast.a)
    pupil(cast.a, "ks2-amelia")
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.POLICY_PATH = str(blocked / "policy.toml")
    path = spool_acceptance(tmp_path / "spool", "ks2-amelia")
    done = proxy.ingest(cast.a, tmp_path / "spool")
    assert done.recorded == 1 and done.problems and path.exists()
