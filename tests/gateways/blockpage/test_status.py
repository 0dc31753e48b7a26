"""The requests status file on the block page: a pupil is told what became of their own request about
the site they are blocked from, and of nobody else's; a missing, huge or broken file never fails the
page; a change is read again."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schoolgate.gateways.blockpage.status import (
    MAX_BYTES,
    VERSION,
    RequestStatus,
    StatusEntry,
    entry_key,
    parse_status,
    site_key,
    status_line,
    status_path,
    who_key,
)

from .conftest import AT, School
from .test_page import visible

LONDON = ZoneInfo("Europe/London")
ASKED = AT - 3600  # Tuesday 1 December 2026, 09:32 in London
LATER = AT + 7 * 24 * 3600


def write_status(path: Path, entries: dict[str, StatusEntry], version: int = VERSION) -> None:
    document = {"v": version, "written": AT, "entries": {k: e.as_json() for k, e in entries.items()}}
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.fixture
def status(school: School) -> RequestStatus:
    found = RequestStatus(status_path(school.policy), school.log)
    school.app.status = found
    return found


def test_the_file_is_beside_the_policy_named_after_it() -> None:
    assert status_path(Path("/etc/schoolgate/policy.toml")) == Path("/etc/schoolgate/policy-requests.json")
    assert status_path(Path("/srv/policy-st-marys.toml")) == Path("/srv/policy-st-marys-requests.json")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("KS2-Amelia", "bet365.com"), ("ks2-amelia", "BET365.COM.")),
        (("ks2-amelia", "www.bbc.co.uk"), ("ks2-amelia", "bbc.co.uk")),
        (("2001:db8::0:1", "x.example"), ("[2001:db8::1]", "x.example")),
    ],
)
def test_who_and_site_are_compared_as_the_filter_compares_them(
    a: tuple[str, str], b: tuple[str, str]
) -> None:
    assert entry_key(*a) == entry_key(*b)


def test_the_file_names_nobody() -> None:
    key = entry_key("ks2-amelia", "bet365.com")
    assert len(key) == 32 and "amelia" not in key
    assert entry_key("ks2-ben", "bet365.com") != key != entry_key("ks2-amelia", "games.example")
    assert who_key("10.0.0.7") == "net:10.0.0.7" and who_key("Amelia") == "user:amelia"
    assert site_key("www.example") == "www.example"  # a two-label name keeps its www


@pytest.mark.parametrize(
    ("entry", "now", "words"),
    [
        (
            StatusEntry("review", "open", ASKED),
            AT,
            "You asked on Tuesday 1 December 2026, 09:32 for this page to be looked at again. "
            "A teacher is looking at it.",
        ),
        (
            StatusEntry("review", "refused", ASKED, AT, because="it is a betting site"),
            AT,
            "It is still not allowed, because: it is a betting site",
        ),
        (
            StatusEntry("review", "refused", None, AT),
            AT,
            "You asked for this page to be looked at again. It is still not allowed.",
        ),
        (
            StatusEntry("review", "approved", ASKED, AT, until=AT + 3600),
            AT,
            "It is allowed now until Tuesday 1 December 2026, 11:32. If it is still blocked, wait a minute",
        ),
        (StatusEntry("review", "approved", ASKED, AT), AT, "It is allowed now. If it is still blocked"),
        (
            StatusEntry("review", "approved", ASKED, AT, until=AT + 3600),
            AT + 3600,
            "It was allowed until Tuesday 1 December 2026, 11:32. That time is over.",
        ),
        (
            StatusEntry("block", "open", ASKED),
            AT,
            "that this website should be blocked. A teacher is looking",
        ),
        (StatusEntry("block", "approved", ASKED, AT), AT, "Thank you: it is blocked now."),
        (
            StatusEntry("block", "refused", ASKED, AT, because="it is for lessons"),
            AT,
            "decided to leave it open. They said: it is for lessons",
        ),
    ],
)
def test_the_words(entry: StatusEntry, now: int, words: str) -> None:
    assert words in status_line(entry, now, LONDON)


def test_the_pupil_sees_the_line_for_their_own_request_about_this_site(
    school: School, status: RequestStatus
) -> None:
    write_status(
        status.path,
        {
            entry_key("ks2-amelia", "bet365.com"): StatusEntry("review", "open", ASKED),
            entry_key("ks2-ben", "games.example"): StatusEntry("review", "refused", ASKED, AT, because="no"),
        },
    )
    page = school.get(school.signed())
    assert '<p class="asked">' in page.text
    assert "A teacher is looking at it." in visible(page.text)
    # Another pupil, or the same pupil on another site: nothing about the request.
    for other in (school.signed(who="ks2-ben"), school.signed(url="http://games.example/")):
        assert 'class="asked"' not in school.get(other).text
    # An unsigned or forged address says nothing about anyone.
    assert 'class="asked"' not in school.get(school.signed().replace("ks2-amelia", "ks2-ben")).text


def test_an_old_block_page_says_nothing_of_a_request(school: School, status: RequestStatus) -> None:
    """A link from a shared computer's history must not tell the next pupil about the last one's."""
    write_status(status.path, {entry_key("ks2-amelia", "bet365.com"): StatusEntry("review", "open", ASKED)})
    assert 'class="asked"' not in school.get(school.signed(at=AT - 2 * 3600)).text


def test_a_request_for_a_site_covers_its_pages_and_its_subdomains(
    school: School, status: RequestStatus
) -> None:
    write_status(status.path, {entry_key("ks2-amelia", "bet365.com"): StatusEntry("review", "open", ASKED)})
    page = school.get(school.signed(url="https://casino.bet365.com/play?x=1"))
    assert "A teacher is looking at it." in visible(page.text)


def test_a_change_is_read_again(school: School, status: RequestStatus) -> None:
    key = entry_key("ks2-amelia", "bet365.com")
    write_status(status.path, {key: StatusEntry("review", "open", ASKED)})
    assert "A teacher is looking at it." in visible(school.get(school.signed()).text)
    write_status(status.path, {key: StatusEntry("review", "refused", ASKED, AT, because="it is gambling")})
    os.utime(status.path, ns=(1, 1))  # a different time, whatever the file system's clock resolution
    assert "because: it is gambling" in visible(school.get(school.signed()).text)
    status.path.unlink()
    assert 'class="asked"' not in school.get(school.signed()).text


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\xff\xfe not json", "not JSON"),
        (b"[1, 2]", "no entries"),
        (b'{"v": 99, "entries": {}}', "format version 99"),
        (b"{" + b" " * (MAX_BYTES + 1) + b"}", "more than the"),
    ],
)
def test_a_broken_or_huge_file_never_fails_the_page(
    school: School, status: RequestStatus, data: bytes, said: str
) -> None:
    status.path.write_bytes(data)
    for _ in range(2):
        page = school.get(school.signed())
        assert page.status == 200 and "This page is blocked" in page.text and 'class="asked"' not in page.text
    log = school.log.getvalue()
    assert log.count("schoolgate block-page:") == 1 and said in log  # said once, not once a page


def test_entries_that_are_not_well_formed_are_left_out() -> None:
    good = StatusEntry("review", "open", ASKED).as_json()
    data = json.dumps(
        {
            "v": VERSION,
            "entries": {
                "a" * 32: good,
                "b" * 32: {**good, "state": "maybe"},
                "c" * 32: {**good, "kind": "other"},
                "d" * 32: {**good, "because": 5},
                "short": good,
                "e" * 32: "text",
                "f" * 32: {**good, "asked": "yesterday", "until": True},
            },
        }
    ).encode()
    entries = parse_status(data)
    assert sorted(entries) == ["a" * 32, "f" * 32]
    assert entries["f" * 32] == StatusEntry("review", "open")


def test_a_status_that_cannot_be_read_is_no_line(school: School) -> None:
    class Broken(RequestStatus):
        def find(self, who: str | None, host: str | None) -> StatusEntry | None:
            raise RuntimeError("disk on fire")

    school.app.status = Broken(Path("/nonexistent"), io.StringIO())
    page = school.get(school.signed())
    assert page.status == 200 and 'class="asked"' not in page.text
    assert "cannot read the requests status" in school.log.getvalue()
