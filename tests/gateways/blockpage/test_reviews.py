"""Asking for a review: the form's POST is checked again, limited, and written durably to the spool."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlencode

import pytest

from schoolgate.activity.reviews import read_reviews
from schoolgate.gateways.blockpage.page import MAX_MESSAGE

from .conftest import AT, School, query
from .test_page import forged_queries, visible


def spool_files(school: School) -> list[Path]:
    return sorted(school.spool.glob("*")) if school.spool.exists() else []


def test_a_review_request_is_written_and_read_back(school: School) -> None:
    answer = school.post(
        q=school.signed(), message="  We are learning about probability.\r\nHonest!  ", name="Amelia"
    )
    assert answer.status == 303
    assert answer.headers["Location"] == "/blocked?sent=1"
    [path] = spool_files(school)
    assert path.name.startswith(f"reviews-blockpage-{os.uname().nodename}-{os.getpid()}-")
    assert path.name.endswith(".jsonl")
    [review] = list(read_reviews(path))
    assert review == {
        "t": review["t"],
        "kind": "review-request",
        "url": "http://bet365.com/",
        "host": "bet365.com",
        "who": "ks2-amelia",
        "at": AT,
        "reason": "rule",
        "group": "ks2",
        "category": "gambling",
        "rule": 4,
        "message": "We are learning about probability.\nHonest!",
        "name": "Amelia",
        "ip": "10.0.0.7",
        "user_agent": "TestBrowser/1.0",
    }
    assert isinstance(review["t"], float)
    assert list(read_reviews(school.spool)) == [review]  # the directory: every review file in it


def test_the_line_is_on_disk_before_the_answer(school: School) -> None:
    school.post(q=school.signed(), message="for a lesson")
    # Read through a separate file descriptor while the writer still holds its file open.
    with open(school.app.reviews.path, "rb") as file:
        line = file.read()
    assert line.endswith(b"\n")
    assert json.loads(line)["message"] == "for a lesson"


def test_the_thank_you_page(school: School) -> None:
    text = visible(school.get("sent=1").text)
    assert "Your request has been sent to the people who look after the school's internet." in text
    assert "They will look at it soon." in text


def test_unknown_fields_are_left_out(school: School) -> None:
    school.post(q=school.signed(reason="group-default", category=None, rule=None), message="please")
    [review] = list(read_reviews(school.spool))
    assert "category" not in review
    assert "rule" not in review
    assert "name" not in review
    assert review["reason"] == "group-default"


@pytest.mark.parametrize(
    "case",
    ["changed group", "changed who", "removed sig", "sig of another query", "signed with another key"],
)
def test_a_forged_request_is_refused_and_nothing_written(school: School, case: str) -> None:
    answer = school.post(q=forged_queries(school)[case], message="let me in")
    assert answer.status == 400
    assert "Your request was not sent" in visible(answer.text)
    assert "mr.patel" not in answer.text
    assert "<form" not in answer.text
    assert spool_files(school) == []


@pytest.mark.parametrize(
    "body",
    [
        b"message=hello",  # no q
        b"q=x&q=y&message=hello",  # a field twice
        b"\xff\xfe",
    ],
)
def test_a_malformed_form_is_refused(school: School, body: bytes) -> None:
    assert school.call("POST", "/blocked", body=body).status == 400
    assert spool_files(school) == []


def test_a_form_that_is_not_urlencoded_is_refused(school: School) -> None:
    body = urlencode({"q": school.signed(), "message": "hi"}).encode()
    assert school.call("POST", "/blocked", body=body, content_type="text/plain").status == 400
    assert spool_files(school) == []


def test_a_huge_body_is_refused_unread(school: School) -> None:
    answer = school.call("POST", "/blocked", body=b"q=" + b"x" * 70_000)
    assert answer.status == 400
    assert spool_files(school) == []


@pytest.mark.parametrize("message", ["", "   \r\n  "])
def test_an_empty_message_shows_the_form_again(school: School, message: str) -> None:
    answer = school.post(q=school.signed(), message=message, name="Amelia")
    assert answer.status == 422
    text = visible(answer.text)
    assert "Please write why you need this page." in text
    assert 'value="Amelia"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert "Who ks2-amelia" in text  # the same notice, still signed
    assert spool_files(school) == []


def test_a_message_too_long_shows_the_form_again_with_what_was_typed(school: School) -> None:
    typed = "because <b>" + "very " * 500
    answer = school.post(q=school.signed(), message=typed)
    assert answer.status == 422
    assert f"it can have {MAX_MESSAGE:,} at most" in visible(answer.text)
    assert "because &lt;b&gt;very very" in answer.text
    assert spool_files(school) == []


def test_a_message_of_exactly_the_limit_is_taken(school: School) -> None:
    assert school.post(q=school.signed(), message="x" * MAX_MESSAGE).status == 303


def test_an_unwritable_spool_is_said_and_the_request_not_confirmed(school: School) -> None:
    school.app.reviews.directory = school.root / "no-such-dir"
    school.app.reviews.path = school.root / "no-such-dir" / "reviews-blockpage-x-1-1.jsonl"
    answer = school.post(q=school.signed(), message="please")
    assert answer.status == 503
    assert "could not be saved" in visible(answer.text)
    assert "cannot record a review request" in school.log.getvalue()


def test_query_helper_matches_the_squid_helper_layout() -> None:
    assert query().startswith(
        "reason=rule&group=ks2&category=gambling&rule=4&url64=aHR0cDovL2JldDM2NS5jb20v&who="
    )


def test_illegal_content_has_no_review_form_and_takes_no_request(school: School) -> None:
    """No rule can unblock a locked list (the IWF list, say), so there is nothing to review; the page
    points the pupil to a trusted adult instead."""
    signed = school.signed(reason="locked-list", category="child-abuse", rule=None)
    page = school.get(signed)
    assert page.status == 200
    assert "<form" not in page.text
    assert "tell a teacher or another adult you trust" in visible(page.text)
    assert "Details for staff" in visible(page.text)
    answer = school.post(q=signed, message="I need it")
    assert answer.status == 400
    assert spool_files(school) == []


def test_a_review_with_a_sig_that_is_not_ascii_is_refused(school: School) -> None:
    answer = school.post(q=query() + "&sig=\xe9", message="please")
    assert answer.status == 400
    assert spool_files(school) == []
