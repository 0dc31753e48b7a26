"""The requests status file the block page reads: what became of each request made from the block page,
filed under who and which site (as digests), beside the school's policy snapshot, mode 0640; read back
by the block page's own reader, and its words."""

from __future__ import annotations

import datetime as dt
import json
import logging
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from schoolgate.gateways.blockpage.status import RequestStatus, StatusEntry, entry_key, status_line
from schoolgate.web.filterrequests import status
from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestSource, RequestState
from schoolgate.web.filterrequests.models import FilterRequest, Grant
from schoolgate.web.monitoring.models import ReviewRequest
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast, person
from tests.web.monitoring.factories import review

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)
ASKED = NOW - dt.timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def policy_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.POLICY_PATH = tmp_path / "policy.toml"
    return tmp_path


def asked(
    school: School,
    from_page: ReviewRequest | None,
    *,
    state: str = RequestState.NEW,
    kind: str = RequestKind.REVIEW,
    decided: dt.datetime | None = None,
    because: str = "",
    site: str = "games.example",
) -> FilterRequest:
    last = FilterRequest.objects.filter(school=school).order_by("-number").first()
    return FilterRequest.objects.create(
        school=school, number=(last.number if last else 0) + 1, kind=kind,
        source=RequestSource.BLOCK_PAGE if from_page is not None else RequestSource.REQUEST_PAGE,
        state=state, asked_at=ASKED, asked_by_name=from_page.who if from_page else "tom", review=from_page,
        site=site, decided_at=decided, decision_reason=because,
    )  # fmt: skip


def granted(request: FilterRequest, cast: Cast, expires: dt.datetime | None, **more: object) -> Grant:
    return Grant.objects.create(
        school=request.school, request=request, audience=Audience.EVERYONE, domains=[request.site],
        expires=expires, made_by=cast.olu, made_at=NOW, **more,
    )  # fmt: skip


def read(school: School) -> dict[str, StatusEntry]:
    found = RequestStatus(status.path_for(school))
    return dict(found.entries())


def test_each_request_from_the_block_page_is_filed_under_who_and_site(cast: Cast, policy_dir: Path) -> None:
    amelia = person(cast.a)
    waiting = asked(cast.a, review(cast.a, person=amelia, who="Amelia.Hughes"))
    refused = asked(
        cast.a, review(cast.a, who="10.0.0.9", site="bet365.com"), site="bet365.com",
        state=RequestState.REFUSED, decided=NOW, because="it is a betting website",
    )  # fmt: skip
    asked(cast.a, None)  # a member of staff's: told in the web application, not here
    path = status.publish(cast.a, NOW)
    assert path == policy_dir / "policy-northfield-requests.json"  # beside policy-northfield.toml
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    text = path.read_text(encoding="utf-8")
    assert "amelia" not in text.lower() and "games.example" not in text and "10.0.0.9" not in text
    entries = read(cast.a)
    assert entries == {
        entry_key("amelia.hughes", "games.example"): StatusEntry("review", "open", int(ASKED.timestamp())),
        entry_key("10.0.0.9", "bet365.com"): StatusEntry(
            "review",
            "refused",
            int(ASKED.timestamp()),
            int(NOW.timestamp()),
            because="it is a betting website",
        ),
    }
    assert waiting.pk and refused.pk
    # What the block page shows Amelia for games.example, found as it finds it.
    found = RequestStatus(path).find("Amelia.Hughes", "www.games.example")
    assert found is not None
    assert status_line(found, NOW.timestamp(), LONDON).endswith("A teacher is looking at it.")


def test_an_approval_says_until_when_its_grants_last(cast: Cast, policy_dir: Path) -> None:
    lesson = asked(cast.a, review(cast.a, who="ks2-a"), state=RequestState.APPROVED, decided=NOW)
    granted(lesson, cast, NOW + dt.timedelta(hours=1))
    granted(
        lesson, cast, NOW + dt.timedelta(hours=3), ended_at=NOW + dt.timedelta(hours=2), ended_by=cast.olu
    )
    for_good = asked(cast.a, review(cast.a, who="ks2-b"), state=RequestState.APPROVED, decided=NOW)
    granted(for_good, cast, None)
    granted(for_good, cast, NOW + dt.timedelta(hours=1))
    report = asked(
        cast.a, review(cast.a, who="ks2-c", site="bad.example"), site="bad.example",
        kind=RequestKind.BLOCK, state=RequestState.APPROVED, decided=NOW,
    )  # fmt: skip
    granted(report, cast, None, action="block")
    status.publish(cast.a, NOW)
    entries = read(cast.a)
    assert entries[entry_key("ks2-a", "games.example")].until == int(
        (NOW + dt.timedelta(hours=2)).timestamp()
    )
    assert entries[entry_key("ks2-b", "games.example")].until is None
    blocked = entries[entry_key("ks2-c", "bad.example")]
    assert (blocked.kind, blocked.state) == ("block", "approved")
    assert "Thank you: it is blocked now." in status_line(blocked, NOW.timestamp(), LONDON)


def test_what_is_left_out_and_the_newest_request_wins(cast: Cast, policy_dir: Path) -> None:
    asked(cast.a, review(cast.a, who="ks2-a"), state=RequestState.WITHDRAWN, decided=NOW)
    asked(
        cast.a, review(cast.a, who="ks2-b"), state=RequestState.REFUSED, decided=NOW - dt.timedelta(days=31)
    )
    asked(cast.a, review(cast.a, who="ks2-c"), state=RequestState.REFUSED, decided=NOW - dt.timedelta(days=2))
    asked(cast.a, review(cast.a, who="ks2-c"))  # asked again since: waiting
    asked(cast.a, review(cast.a, who=""))  # a report made from the form opened directly: nobody to tell
    asked(cast.b, review(cast.b, who="ks2-d"))  # another school's: in its own file
    status.publish(cast.a, NOW)
    assert read(cast.a) == {
        entry_key("ks2-c", "games.example"): StatusEntry("review", "open", int(ASKED.timestamp())),
    }
    status.publish(cast.b, NOW)
    assert status.path_for(cast.b) == policy_dir / "policy-southgate-requests.json"
    assert list(read(cast.b)) == [entry_key("ks2-d", "games.example")]


def test_the_file_is_written_once_the_transaction_commits(
    cast: Cast, policy_dir: Path, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    asked(cast.a, review(cast.a, who="ks2-a"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        status.publish_on_commit(cast.a)
        assert not status.path_for(cast.a).exists()
    assert len(callbacks) == 1
    assert json.loads(status.path_for(cast.a).read_text(encoding="utf-8"))["v"] == 1


def test_a_file_that_cannot_be_written_is_logged_not_raised(
    cast: Cast, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "not-a-directory").write_text("", encoding="utf-8")
    settings.POLICY_PATH = tmp_path / "not-a-directory" / "policy.toml"
    with caplog.at_level(logging.WARNING, logger="schoolgate.filterrequests"):
        assert status.publish(cast.a, NOW) is None
    assert "cannot write the requests status file" in caplog.text
