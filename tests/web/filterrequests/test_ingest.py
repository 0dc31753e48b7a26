"""Pupils' requests from the block page, through the real spool and the worker's ingester, become filter
change requests in the same transaction as their review rows: a review for the pupil, a report that a
site should be blocked for everyone, a locked-list site never; a request that cannot be made never
stops the spool; and the pupil's status file follows."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import OperationalError
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from schoolgate.activity.reviews import REPORT_KIND, ReviewWriter
from schoolgate.gateways.blockpage.status import RequestStatus
from schoolgate.web.filterrequests import ingest, status
from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestSource, RequestState
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.monitoring.choices import ReviewKind
from schoolgate.web.monitoring.ingest import Ingester, Round, Spool
from schoolgate.web.monitoring.models import ReviewRequest, SpoolFile
from schoolgate.web.policy.actions import snapshot_path
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import (
    EXAMPLE_LISTS,
    Northfield,
    compile_index,
    publish_through_page,
    small_policy,
)

pytestmark = pytest.mark.django_db

T0 = 1_796_121_185.0  # Tuesday 1 December 2026, 10:33:05 UTC
REVIEW = {
    "url": "http://0-casino.info/",
    "host": "0-casino.info",
    "who": "ks2-amelia",
    "at": int(T0) - 60,
    "reason": "rule",
    "group": "ks2",
    "category": "gambling",
    "rule": 3,
    "message": "We are learning about probability",
    "ip": "10.0.0.7",
}


@pytest.fixture
def running(cast: Cast, settings: Settings, tmp_path: Path) -> Northfield:
    """Northfield's small policy, published and its lists compiled: what the requests are decided by."""
    root = tmp_path / "var"
    (root / "lists").mkdir(parents=True)
    for source in EXAMPLE_LISTS.glob("*.txt"):
        shutil.copy(source, root / "lists" / source.name)
    settings.POLICY_PATH = root / "policy.toml"
    settings.INDEX_PATH = root / "lists.sgidx"
    rows = small_policy(cast)
    publish_through_page(logged_in(cast.nina))
    compile_index(snapshot_path(cast.a), settings.INDEX_PATH)
    return rows


@pytest.fixture
def spool(cast: Cast, tmp_path: Path) -> Spool:
    return Spool(cast.a, tmp_path / "spool")


def ingested(spool: Spool, capture: DjangoCaptureOnCommitCallbacks) -> Round:
    with capture(execute=True):
        return Ingester([spool]).round()


def test_a_review_becomes_a_request_for_the_pupil_and_the_pupil_is_told(
    running: Northfield, spool: Spool, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    writer = ReviewWriter(spool.directory, clock=lambda: T0)
    writer.record({**REVIEW, "name": "Amelia"})
    writer.close()
    assert ingested(spool, django_capture_on_commit_callbacks).reviews == 1
    review = ReviewRequest.objects.get()
    request = FilterRequest.objects.get()
    assert (request.kind, request.source, request.state, request.number) == (
        RequestKind.REVIEW,
        RequestSource.BLOCK_PAGE,
        RequestState.NEW,
        1,
    )
    assert request.review == review and review.kind == ReviewKind.REVIEW
    assert (request.asked_by_person, request.audience, request.for_person) == (
        running.amelia,
        Audience.PERSON,
        running.amelia,
    )
    assert (request.site, request.reason) == ("0-casino.info", "We are learning about probability")
    assert request.asked_at == datetime.fromtimestamp(T0, UTC)
    # The pupil sees, on the block page for that site, that a teacher is looking at it.
    entry = RequestStatus(status.path_for(running.ks2.school)).find("ks2-amelia", "0-casino.info")
    assert entry is not None and (entry.kind, entry.state) == ("review", "open")


def test_a_report_becomes_a_request_to_block_and_a_locked_site_never_a_request(
    running: Northfield,
    spool: Spool,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    writer = ReviewWriter(spool.directory, clock=lambda: T0)
    writer.record(
        {"url": "http://games.example.com", "host": "games.example.com", "ip": "10.0.0.8"}, REPORT_KIND
    )
    writer.record(
        {"url": "http://iwf-test.example", "host": "iwf-test.example", "ip": "10.0.0.8"}, REPORT_KIND
    )
    writer.close()
    with caplog.at_level(logging.INFO, logger="schoolgate.filterrequests"):
        assert ingested(spool, django_capture_on_commit_callbacks).reviews == 2
    assert [r.kind for r in ReviewRequest.objects.order_by("offset")] == [ReviewKind.REPORT] * 2
    request = FilterRequest.objects.get()  # the locked-list site is never a request
    assert (request.kind, request.source, request.audience, request.site) == (
        RequestKind.BLOCK,
        RequestSource.REPORT_LINK,
        Audience.EVERYONE,
        "games.example.com",
    )
    assert request.asked_by_person is None and request.asked_by_name == "10.0.0.8"
    assert "illegal content can never be requested" in caplog.text
    assert "iwf-test" not in caplog.text


def test_a_request_that_cannot_be_made_never_stops_the_spool(
    running: Northfield,
    spool: Spool,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real = ingest.do_ask

    def failing(*args: object, **kwargs: object) -> FilterRequest:
        if kwargs.get("reason") == "breaks":
            raise ValueError("something unforeseen")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "do_ask", failing)
    writer = ReviewWriter(spool.directory, clock=lambda: T0)
    for message in ("first", "breaks", "third"):
        writer.record({**REVIEW, "message": message})
    writer.close()
    with caplog.at_level(logging.ERROR, logger="schoolgate.filterrequests"):
        assert ingested(spool, django_capture_on_commit_callbacks).reviews == 3
    assert ReviewRequest.objects.count() == 3
    assert list(FilterRequest.objects.order_by("number").values_list("reason", flat=True)) == [
        "first",
        "third",
    ]
    assert "could not be made a filter change request" in caplog.text


def test_the_rows_and_their_requests_commit_together(
    running: Northfield, spool: Spool, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> FilterRequest:
        raise OperationalError("the database went away")

    monkeypatch.setattr(ingest, "do_ask", down)
    writer = ReviewWriter(spool.directory, clock=lambda: T0)
    writer.record(REVIEW)
    writer.close()
    with pytest.raises(OperationalError):
        Ingester([spool]).round()
    assert not ReviewRequest.objects.exists() and not FilterRequest.objects.exists()
    assert SpoolFile.objects.get().position == 0  # read again when the database is back
