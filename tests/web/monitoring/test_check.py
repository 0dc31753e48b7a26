"""The check page: the web twin of `schoolgate monitor term` and `scan`, with the school's library."""

from __future__ import annotations

import pytest

from schoolgate.web.monitoring import phrasebook
from tests.web.factories import Cast
from tests.web.pages import logged_in, text

CHECK = "/monitoring/check/"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    phrasebook._cache.clear()


def test_an_address_gives_its_engine_and_term_and_the_term_is_scanned(cast: Cast) -> None:
    url = "https://www.google.com/search?q=how+to+k1ll+myself"
    page = text(logged_in(cast.nina).post(CHECK, {"url": url, "audience": "ks3"}))
    assert "A search on google for “how to k1ll myself”" in page
    assert "kill myself Suicide High" in page and "numbers or symbols for letters" in page


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://www.google.com/complete/search?q=how+to&client=gws-wiz", "never recorded as a search"),
        ("https://www.bbc.co.uk/news", "A page of bbc, not a search"),
        ("not a url at all", "Not a search the monitoring knows"),
    ],
)
def test_an_address_that_is_not_a_search_says_what_it_is(cast: Cast, url: str, said: str) -> None:
    assert said in text(logged_in(cast.nina).post(CHECK, {"url": url, "audience": "ks3"}))


def test_a_text_is_scanned_for_the_audience_chosen(cast: Cast) -> None:
    client = logged_in(cast.alice)
    assert "free porn Sexual content Medium" in text(
        client.post(CHECK, {"text": "free porn", "audience": "ks1"})
    )
    page = text(client.post(CHECK, {"text": "free porn", "audience": "staff"}))
    assert "No risk phrase found, for a member of staff" in page


def test_the_schools_own_phrases_are_used(cast: Cast) -> None:
    phrasebook.do_add_phrase(cast.a, actor=cast.alice, phrase="blue whale", area="self_harm", severity="high")
    page = text(logged_in(cast.alice).post(CHECK, {"text": "blue whale challenge", "audience": "ks2"}))
    assert "blue whale Self-harm and eating disorders High" in page


@pytest.mark.parametrize(
    "given",
    [
        {"audience": "ks2"},
        {"text": "x" * 5000, "audience": "ks2"},
        {"text": "hello", "audience": "adults"},
        {"url": "http://a/\x00"},
    ],
)
def test_bad_input_is_said_on_the_form(cast: Cast, given: dict[str, str]) -> None:
    response = logged_in(cast.alice).post(CHECK, given)
    assert response.status_code == 200 and "There is a problem" in text(response)


def test_the_teacher_tests_urls_elsewhere(cast: Cast) -> None:
    assert logged_in(cast.tom).get(CHECK).status_code == 403
