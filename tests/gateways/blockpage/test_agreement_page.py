"""The agreement page on the block page server: shown only for a valid token of the version in force,
"I agree" writes the acceptance to the spool, and the link on is only ever an http(s) address."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest

from schoolgate.activity.agreements import DIRECTORY, is_accepted, read_acceptances
from schoolgate.gateways.blockpage.agreement import AgreementPage, onward_link, paragraphs
from schoolgate.gateways.squid.agreement import AgreementsFile, Token, agreements_path, make_token
from tests.gateways.blockpage.conftest import AT, School

NOW = AT + 60
TEXT = "I will be kind online.\n\n- I will tell a teacher.\n- I will keep my password secret.\n<b>bold</b>"
ASKED = "http://library.test/stories?page=2&x=1"


@pytest.fixture
def page(school: School) -> School:
    path = agreements_path(school.policy)
    document = {
        "v": 1,
        "year": 2026,
        "versions": {"ks2": {"number": 3, "title": "Our rules", "text": TEXT}},
        "users": {"ks2-amelia": "ks2"},
    }
    path.write_text(json.dumps(document))
    school.app.agreement = AgreementPage(school.key, AgreementsFile(path), school.spool, now=lambda: NOW)
    return school


def token(server: School, /, **changes: object) -> str:
    fields: dict[str, object] = {"who": "ks2-amelia", "audience": "ks2", "version": 3, "year": 2026, "at": AT}
    fields.update(changes)
    return make_token(server.key, Token(**fields))  # type: ignore[arg-type]


def squid_query(text: str, asked: str = ASKED) -> str:
    """As Squid 5 writes deny_info's %o and %u: escaped; %u HTML-escaped first."""
    return f"t={quote(text, safe='')}&u={quote(asked.replace('&', '&amp;'), safe='')}"


def test_the_page_shows_the_agreement_in_plain_words_with_one_button(page: School) -> None:
    response = page.call("GET", "/agreement", squid_query(token(page)))
    assert response.status == 200
    assert "Before you use the internet" in response.text and "Our rules" in response.text
    assert "<p>• I will keep my password secret.</p>" in response.text
    assert "<b>" not in response.text and "&lt;b&gt;bold" in response.text
    assert response.text.count("<button") == 1 and ">I agree</button>" in response.text
    assert f'name="u" value="{ASKED.replace("&", "&amp;")}"' in response.text
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_i_agree_writes_the_acceptance_and_thanks_with_a_link_on(page: School) -> None:
    response = page.call("POST", "/agreement", body=urlencode({"t": token(page), "u": ASKED}).encode())
    assert response.status == 303
    assert response.headers["Location"] == (
        f"/agreement?done=1&t={quote(token(page), safe='')}&u={quote(ASKED, safe='')}"
    )
    assert is_accepted(page.spool / DIRECTORY, "ks2-amelia", "ks2", 3, 2026)
    [(_, record)] = list(read_acceptances(page.spool / DIRECTORY))
    assert (record.who, record.version, record.year, record.ip) == ("ks2-amelia", 3, 2026, "10.0.0.7")
    thanks = page.call("GET", "/agreement", response.headers["Location"].split("?", 1)[1])
    assert thanks.status == 200 and "Thank you" in thanks.text
    assert f'<a href="{ASKED.replace("&", "&amp;")}">Go on to library.test</a>' in thanks.text
    # Shown again (the back button): thanked, not asked again.
    again = page.call("GET", "/agreement", squid_query(token(page)))
    assert "Thank you" in again.text and "I agree" not in again.text


def test_pressing_i_agree_again_writes_nothing_more(page: School) -> None:
    body = urlencode({"t": token(page), "u": ASKED}).encode()
    first = page.call("POST", "/agreement", body=body)
    [path] = list((page.spool / DIRECTORY).glob("*.json"))
    before = path.stat()
    again = page.call("POST", "/agreement", body=body)
    assert again.status == 303 and again.headers["Location"] == first.headers["Location"]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("query", ["done=1", f"done=1&u={quote('https://evil.test/', safe='')}&t=forged"])
def test_the_thank_you_page_needs_the_token_that_was_accepted(page: School, query: str) -> None:
    """A made-up link must not show "You have agreed" under the school's name, or a link on."""
    response = page.call("GET", "/agreement", query)
    assert response.status == 400
    assert "Thank you" not in response.text and "evil.test" not in response.text


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 2},
        {"year": 2025},
        {"audience": "staff"},
        {"at": AT - 3600},
        {"at": NOW + 600},
        {"school": "another-school"},  # a school sharing the block page key: same user name, version, year
    ],
)
def test_a_token_for_another_version_year_audience_school_or_time_is_refused(
    page: School, changes: object
) -> None:
    text = token(page, **changes)  # type: ignore[arg-type]
    assert page.call("GET", "/agreement", squid_query(text)).status == 400
    response = page.call("POST", "/agreement", body=urlencode({"t": text}).encode())
    assert response.status == 400 and "open the website you wanted again" in response.text.lower()
    assert not (page.spool / DIRECTORY).exists()


def test_a_forged_token_or_another_schools_is_refused_and_nothing_is_written(page: School) -> None:
    forged = token(page)[:-2] + "AA"
    other = make_token(bytes(32), Token("ks2-amelia", "ks2", 3, 2026, AT))
    for text in (forged, other, "", "x" * 10_000):
        response = page.call("POST", "/agreement", body=urlencode({"t": text}).encode())
        assert response.status == 400
    assert not (page.spool / DIRECTORY).exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"t=a&t=b", "application/x-www-form-urlencoded"),  # a field twice
        (b"t=" + b"a" * 20_000, "application/x-www-form-urlencoded"),  # too large
        (b'{"t": "a"}', "application/json"),
        (b"", "application/x-www-form-urlencoded"),
    ],
)
def test_a_post_that_is_not_the_form_is_refused(page: School, body: bytes, content_type: str) -> None:
    assert page.call("POST", "/agreement", body=body, content_type=content_type).status == 400


def test_other_methods_are_not_allowed(page: School) -> None:
    assert page.call("PUT", "/agreement").status == 405


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("http://library.test/a?b=1", True),
        ("https://library.test/", True),
        ("HTTP://library.test/", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("//evil.test/", False),
        ("http:///nohost", False),
        ("http://library.test/\na", False),
        ("http://[bad/", False),
        ("http://x.test/" + "a" * 3000, False),
        ("", False),
    ],
)
def test_only_an_http_address_is_linked_on(text: str, linked: bool) -> None:
    assert (onward_link(text) is not None) is linked


def test_a_javascript_address_from_squid_is_never_linked(page: School) -> None:
    response = page.call("GET", "/agreement", squid_query(token(page), "javascript:alert(1)"))
    assert response.status == 200 and "javascript:" not in response.text
    thanks = page.call("GET", "/agreement", "done=1&u=" + quote("javascript:alert(1)"))
    assert "javascript:" not in thanks.text and "Go on" not in thanks.text


def test_paragraphs_part_on_blank_lines_and_points() -> None:
    assert paragraphs("One\ntwo.\n\n* a\n- b\nc\r\n\r\nend") == ["One two.", "• a", "• b", "c", "end"]


def test_without_the_agreement_page_the_address_is_not_found(school: School) -> None:
    assert school.call("GET", "/agreement", "t=x").status == 404


def test_the_file_missing_refuses_every_token(page: School) -> None:
    agreements_path(page.policy).unlink()
    page.app.agreement = AgreementPage(
        page.key, AgreementsFile(agreements_path(page.policy)), page.spool, now=lambda: NOW
    )
    assert page.call("GET", "/agreement", squid_query(token(page))).status == 400


def test_an_address_too_long_to_link_still_shows_the_agreement(page: School) -> None:
    response = page.call("GET", "/agreement", squid_query(token(page), "http://x.test/" + "a" * 8000))
    assert response.status == 200 and "I agree" in response.text and 'name="u"' not in response.text
