"""Telling the school a site should be blocked: the reporting form, from a signed block page (the
report says who was blocked there) or opened directly (it names nobody); checked, limited like review
requests with counts of their own, and written to the same spool as a `site-report` line. And staff's
link to the web application's "Request a site"."""

from __future__ import annotations

from html import escape
from urllib.parse import quote, unquote, urlencode

import pytest

from schoolgate.activity.reviews import REPORT_KIND, read_reviews
from schoolgate.gateways.blockpage.app import BlockPageApp, WebAddressError, reported_site, web_address

from .conftest import AT, School
from .test_page import visible
from .test_reviews import spool_files


def report(school: School, **form: str) -> tuple[int, dict[str, str], str]:
    answer = school.call("POST", "/blocked", body=urlencode({"form": "report", **form}).encode())
    return answer.status, answer.headers, answer.text


def test_every_block_page_links_to_the_form_with_its_own_signed_address(school: School) -> None:
    signed = school.signed()
    page = school.get(signed).text
    assert f'href="/blocked?report=1&amp;q={quote(signed, safe="")}"' in page
    assert "Seen a website at school that should be blocked? Tell us" in visible(page)
    unsigned = school.get("reason=rule").text  # names nobody: neither does its link
    assert 'href="/blocked?report=1"' in unsigned


def test_the_form_keeps_a_fresh_signed_address_only(school: School) -> None:
    signed = school.signed()
    page = school.get("report=1&q=" + quote(signed, safe="")).text
    assert "Tell us about a website" in visible(page)
    assert f'name="q" value="{signed}"' in page.replace("&amp;", "&")
    forged = signed.replace("ks2-amelia", "ks2-ben")
    for query in (
        "report=1",
        "report=1&q=" + quote(forged, safe=""),
        "report=1&q=" + quote(school.signed(at=AT - 30 * 86400), safe=""),
        "report=1&q=a&q=b",
        "report=1&" + "&".join(f"f{n}=x" for n in range(20)),
    ):
        page = school.get(query).text
        assert 'name="q"' not in page and '<input type="hidden" name="form" value="report">' in page


def test_a_report_from_a_signed_page_says_who_was_blocked_there(school: School) -> None:
    status, headers, _ = report(
        school,
        q=school.signed(),
        site=" HTTPS://Games.Example.com/play?x=1 ",
        message="people play it in maths",
    )
    assert status == 303 and headers["Location"] == "/blocked?reported=1"
    [line] = list(read_reviews(school.spool))
    assert line == {
        "t": line["t"],
        "kind": REPORT_KIND,
        "url": "https://Games.Example.com/play?x=1",
        "host": "games.example.com",
        "who": "ks2-amelia",
        "at": AT,
        "group": "ks2",
        "message": "people play it in maths",
        "ip": "10.0.0.7",
        "user_agent": "TestBrowser/1.0",
    }
    assert "They will look at it soon." in visible(school.get("reported=1").text)


def test_a_report_from_the_form_opened_directly_names_nobody(school: School) -> None:
    status, _, _ = report(school, site="www.games.example", name="  Sam  ")
    assert status == 303
    [line] = list(read_reviews(school.spool))
    assert (line["url"], line["host"], line["name"], line["ip"]) == (
        "http://www.games.example",
        "games.example",
        "Sam",
        "10.0.0.7",
    )
    assert "who" not in line and "at" not in line and "message" not in line


def test_a_forged_address_is_refused_and_nothing_written(school: School) -> None:
    status, _, page = report(school, q=school.signed().replace("ks2-amelia", "ks2-ben"), site="games.example")
    assert status == 400 and "Your request was not sent" in visible(page)
    assert spool_files(school) == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"site": ""}, "Please write the address of the website."),
        ({"site": "not a site"}, "Please write the address of one website"),
        ({"site": "javascript:alert(1)"}, "Please write the address of one website"),
        ({"site": "ftp://games.example/"}, "Please write the address of one website"),
        ({"site": "localhost"}, "Please write the address of one website"),
        ({"site": "games.example", "message": "x" * 2001}, "Please make your message shorter"),
        ({"site": "games.example", "name": "n" * 101}, "Please make your name shorter"),
    ],
)
def test_what_is_wrong_is_said_with_what_was_typed_kept(
    school: School, fields: dict[str, str], error: str
) -> None:
    status, _, page = report(school, q=school.signed(), **fields)
    assert status == 422
    assert error in visible(page)
    assert 'aria-invalid="true"' in page
    assert f'name="q" value="{school.signed()}"' in page.replace("&amp;", "&")
    assert f'value="{escape(fields["site"], quote=True)}"' in page  # what was typed, kept
    assert spool_files(school) == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("games.example", ("http://games.example", "games.example")),
        ("https://www.bbc.co.uk/x", ("https://www.bbc.co.uk/x", "bbc.co.uk")),
        ("10.1.2.3/admin", ("http://10.1.2.3/admin", "10.1.2.3")),
        ("bücher.example", ("http://bücher.example", "bücher.example")),
        ("games.example:8080", ("http://games.example:8080", "games.example")),
        ("games .example", None),
        ("games.example:99999", None),
        ("http://", None),
        ("x" * 2049 + ".example", None),
        ("games.example\u202e", None),
        ("under_score.example", None),
    ],
)
def test_the_site_typed(typed: str, found: tuple[str, str] | None) -> None:
    assert reported_site(typed) == found


def test_reports_are_limited_with_counts_of_their_own(school: School) -> None:
    signed = school.signed()
    assert [report(school, q=signed, site=f"s{n}.example")[0] for n in range(4)] == [303, 303, 303, 429]
    status, _, page = report(school, q=signed, site="s5.example")
    assert status == 429 and "You have already sent reports from this page" in visible(page)
    # The same page's review requests are counted apart.
    answer = school.post(q=signed, message="for a lesson")
    assert answer.status == 303
    assert "a block page address has been used for 3 reports" in school.log.getvalue()
    # Opened directly, reports count by the address they come from: ten an hour.
    answers = [report(school, site=f"d{n}.example")[0] for n in range(11)]
    assert answers == [303] * 10 + [429]
    assert len([r for r in read_reviews(school.spool) if r["kind"] == REPORT_KIND]) == 13


# ------------------------------------------------------------------------- staff's link to the web app


def test_staff_are_offered_the_request_page_when_the_web_address_is_known(school: School) -> None:
    assert "Ask for this to be unblocked" not in school.get(school.signed()).text  # no address: no link
    school.app.web = web_address("https://schoolgate.example.org/")
    page = school.get(school.signed(url="https://www.bet365.com/casino?x=1&y=2")).text
    [link] = [part.split('"', 1)[0] for part in page.split('href="')[1:] if part.startswith("https://")]
    assert link.startswith("https://schoolgate.example.org/requests/new/?url=")
    asked, source = link.replace("&amp;", "&").split("?url=", 1)[1].split("&from=")
    assert (unquote(asked), source) == ("https://www.bet365.com/casino?x=1&y=2", "block-page")
    assert "Ask for this to be unblocked" in visible(page)
    # Never for a locked list (it can never be requested), nor for an address that is not signed.
    locked = school.get(school.signed(reason="locked-list", category="gambling", rule=None)).text
    assert "Ask for this to be unblocked" not in locked
    assert "Ask for this to be unblocked" not in school.get("reason=rule").text


@pytest.mark.parametrize(
    "text", ["schoolgate.example.org", "ftp://x.example", "https://x.example/?a=1", "https://", "https://x:0"]
)
def test_a_web_address_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(WebAddressError, match="give https://HOST"):
        web_address(text)


def test_the_app_takes_the_web_address_checked(school: School) -> None:
    app = BlockPageApp(school.key, school.app.policy, school.app.reviews, web="http://10.0.0.2:8000/sg/")
    assert app.web == "http://10.0.0.2:8000/sg"
