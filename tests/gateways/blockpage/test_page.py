"""The block page itself, through the WSGI application: what a signed address shows, what anything
else shows (nothing about anyone), escaping and the security headers."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest

from schoolgate.gateways.blockpage.signing import sign

from .conftest import AT, School, query


def visible(html: str) -> str:
    """The text a reader sees: the body without tags, entities decoded, spaces collapsed."""
    body = html.split("<body>", 1)[1]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_a_signed_notice_says_what_why_who_and_when(school: School) -> None:
    page = school.get(school.signed())
    text = visible(page.text)
    assert page.status == 200
    assert '<p class="host">bet365.com</p>' in page.text
    assert "The school does not allow gambling websites." in text
    assert "Who ks2-amelia" in text
    assert "When Tuesday 1 December 2026, 10:32" in text
    assert "St Mary's & St John's Primary" in text
    assert "Details for staff" in text
    assert "Group ks2" in text
    assert "Rule 4 “pupils may not gamble”" in text
    assert "Category gambling (UKSIC: gambling)" in text
    assert "http://bet365.com/" in text
    assert '<form method="post" action="/blocked">' in page.text
    assert "old" not in text.lower()


def test_the_blocked_address_is_text_never_a_link(school: School) -> None:
    page = school.get(school.signed(url="https://www.bet365.com/casino?x=1"))
    # The one link is the reporting form's, which carries the signed address percent-encoded.
    assert re.findall(r"<a href=\"([^\"]*)\"", page.text) == [
        "/blocked?report=1&amp;q=" + quote(school.signed(url="https://www.bet365.com/casino?x=1"), safe="")
    ]
    assert "bet365.com/casino" not in page.text.split("<a ", 1)[1].split("</a>", 1)[0]
    assert '<p class="host">bet365.com</p>' in page.text  # www. left off for the child
    assert "https://www.bet365.com/casino?x=1" in visible(page.text)


def test_a_device_is_named_as_a_device(school: School) -> None:
    text = visible(school.get(school.signed(who="10.0.2.5")).text)
    assert "Device 10.0.2.5" in text
    assert "Device address 10.0.2.5" in text


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"category": "games", "rule": 2}, "The school does not allow games."),
        ({"category": "weird-stuff", "rule": 3}, "The school does not allow websites that spread things"),
        (
            {"category": "odd-things", "rule": 3},
            'The school does not allow websites of the kind "odd things".',
        ),
        ({"category": None, "rule": 1}, "It is on the school's list of websites that are blocked."),
        (
            {"reason": "locked-list", "category": "gambling", "rule": None},
            "This website is blocked for everyone at school, always",
        ),
        (
            {"reason": "group-default", "category": None, "rule": None},
            "It is not on the list of websites your group can use.",
        ),
        (
            {"reason": "unparsable-request", "category": None, "rule": None},
            "could not understand the address",
        ),
        ({"reason": "no-policy", "category": None, "rule": None}, "The filter is not ready just now"),
        ({"reason": "internal-error", "category": None, "rule": None}, "Something went wrong in the filter"),
    ],
)
def test_every_reason_is_said_in_plain_words(school: School, fields: dict[str, object], words: str) -> None:
    text = visible(school.get(school.signed(**fields)).text)
    assert words in text


def test_a_rule_the_policy_no_longer_has_is_said_to_be_gone(school: School) -> None:
    assert "Rule 99 (not in the policy now)" in visible(school.get(school.signed(rule=99)).text)


@pytest.mark.parametrize("field", ["rule", "at"])
def test_a_signed_number_of_thousands_of_digits_is_no_error(school: School, field: str) -> None:
    """Python refuses to read an integer of more than 4,300 digits (ValueError): such a number is
    not one the helper writes, and is left out rather than answered with an error page."""
    unsigned = query().replace(f"&{field}=", f"&{field}=" + "9" * 5000 + "&x=")
    page = school.get(school.signed(unsigned))
    assert page.status == 200
    assert "Something went wrong" not in page.text and "Who ks2-amelia" in visible(page.text)


def test_an_old_notice_is_shown_but_said_to_be_old(school: School) -> None:
    text = visible(school.get(school.signed(at=AT - 8 * 24 * 3600)).text)
    assert "This message is old: it is from Monday 23 November 2026, 10:32." in text
    assert "Who ks2-amelia" in text


def forged_queries(school: School) -> dict[str, str]:
    genuine = school.signed()
    other = school.signed(who="ks2-ben", url="http://games.example/")
    return {
        "changed group": genuine.replace("group=ks2", "group=staff"),
        "changed who": genuine.replace("who=ks2-amelia", "who=mr.patel"),
        "removed sig": genuine.rsplit("&sig=", 1)[0],
        "sig of another query": genuine.rsplit("&sig=", 1)[0] + "&sig=" + other.rsplit("&sig=", 1)[1],
        "signed with another key": query() + "&sig=" + sign(b"k" * 32, query()),
        "field added after sig": genuine + "&who=mr.patel",
        "empty sig": query() + "&sig=",
        "not a query at all": "<script>alert(1)</script>",
        "a sig that is not ASCII": query() + "&sig=\xe9",
    }


@pytest.mark.parametrize(
    "case",
    [
        "changed group",
        "changed who",
        "removed sig",
        "sig of another query",
        "signed with another key",
        "field added after sig",
        "empty sig",
        "not a query at all",
        "a sig that is not ASCII",
    ],
)
def test_a_forged_address_names_nobody_and_nothing(school: School, case: str) -> None:
    page = school.get(forged_queries(school)[case])
    text = visible(page.text)
    assert page.status == 200
    assert "This page is blocked" in text
    assert "St Mary's & St John's Primary" in text
    assert "The school's filter has blocked this page." in text
    for named in ("ks2-amelia", "mr.patel", "ks2-ben", "staff", "gambling", "bet365", "games", "Rule", "Who"):
        assert named not in text, named
    assert "<form" not in page.text
    assert "<script" not in page.text


def test_filter_unavailable_is_shown_unsigned_and_names_nobody(school: School) -> None:
    page = school.get("reason=filter-unavailable")
    text = visible(page.text)
    assert "The filter could not check this page just now, so it was blocked to keep you safe." in text
    assert "Try again in a minute." in text
    assert "<form" not in page.text


def test_filter_unavailable_with_names_added_still_names_nobody(school: School) -> None:
    text = visible(school.get("reason=filter-unavailable&who=mr.patel&group=staff").text)
    assert "could not check this page" in text
    assert "mr.patel" not in text
    assert "staff" not in text


def test_a_url_with_markup_is_escaped_everywhere(school: School) -> None:
    evil = "http://evil.example/<script>alert('x')</script>\"onmouseover=\"x"
    page = school.get(school.signed(url=evil, who="<b>bob</b>", group="<i>g</i>"))
    assert "<script>" not in page.text
    assert "<b>bob" not in page.text
    assert "<i>g" not in page.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;onmouseover=&quot;x" in page.text
    assert "&lt;b&gt;bob&lt;/b&gt;" in page.text


def test_control_characters_in_the_url_are_not_shown(school: School) -> None:
    page = school.get(school.signed(url="http://good.example/\u202emoc.live\x00"))
    assert "\u202e" not in page.text
    assert "\x00" not in page.text


@pytest.mark.parametrize("query_string", ["", "reason=filter-unavailable", "sent=1"])
def test_every_page_carries_the_security_headers(school: School, query_string: str) -> None:
    headers = school.get(query_string).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", csp)
    assert "script-src" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Location" not in headers


def test_the_style_hash_matches_the_inline_style(school: School) -> None:
    from base64 import b64encode
    from hashlib import sha256

    page = school.get(school.signed())
    style = re.search(r"<style>(.*?)</style>", page.text, re.S)
    assert style is not None
    digest = b64encode(sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["Content-Security-Policy"]


def test_the_page_is_marked_up_for_everyone(school: School) -> None:
    page = school.get(school.signed()).text
    assert '<html lang="en">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert re.findall(r"<h(\d)", page) == ["1", "2", "2"]
    for field_id in ("message", "name"):
        assert f'<label for="{field_id}">' in page
        assert f'id="{field_id}"' in page


def test_the_front_page_says_what_this_server_is(school: School) -> None:
    page = school.call("GET", "/")
    assert page.status == 200
    assert "This is St Mary's & St John's Primary's block page." in visible(page.text)


def test_other_paths_are_not_found_and_never_redirected(school: School) -> None:
    page = school.call("GET", "/elsewhere", "next=http://evil.example/")
    assert page.status == 404
    assert "Location" not in page.headers
    assert "evil" not in page.text


def test_other_methods_are_refused(school: School) -> None:
    page = school.call("PUT", "/blocked")
    assert page.status == 405
    assert page.headers["Allow"] == "GET, HEAD, POST"


def test_head_has_headers_and_no_body(school: School) -> None:
    page = school.call("HEAD", "/blocked", school.signed())
    assert page.status == 200
    assert page.text == ""
    assert int(page.headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    "fields",
    [{}, {"reason": "locked-list", "category": "gambling", "rule": None}],
    ids=["reviewable", "locked list"],
)
def test_every_block_page_says_that_the_internet_is_monitored(
    school: School, fields: dict[str, object]
) -> None:
    sentence = (
        "Your use of the internet at school is monitored: what you search for and the sites you visit are "
        "recorded, and may be seen by the school's safeguarding team and the people who run its filter."
    )
    for query_string in (school.signed(**fields), "reason=filter-unavailable", "reason=rule&url64=eA"):
        assert sentence in visible(school.get(query_string).text), query_string
