"""Safe search locked on in the URL: only the parameter changes, every other byte stays."""

from __future__ import annotations

import pytest

from schoolgate.engine.safesearch import GOOGLE_HOSTS, SAFE_SEARCH_HOSTS, YOUTUBE_HOSTS, safe_search_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Each engine's own parameter, added...
        ("https://www.google.co.uk/search?q=cats", "https://www.google.co.uk/search?q=cats&safe=active"),
        ("https://www.bing.com/search?q=cats", "https://www.bing.com/search?q=cats&adlt=strict"),
        ("https://duckduckgo.com/?q=cats", "https://duckduckgo.com/?q=cats&kp=1"),
        ("https://search.yahoo.com/search?p=cats", "https://search.yahoo.com/search?p=cats&vm=r"),
        ("http://www.google.com/search", "http://www.google.com/search?safe=active"),
        # ...replacing what the pupil set, in any case or encoding, once.
        ("https://www.google.com/search?q=x&safe=off", "https://www.google.com/search?q=x&safe=active"),
        ("https://www.google.com/search?safe=off&q=x", "https://www.google.com/search?q=x&safe=active"),
        ("https://www.bing.com/search?q=x&ADLT=off", "https://www.bing.com/search?q=x&adlt=strict"),
        ("https://www.google.com/search?q=x&s%61fe=off", "https://www.google.com/search?q=x&safe=active"),
        ("https://www.google.com/search?q=a&safe=active&safe=active", "https://www.google.com/search?q=a&safe=active"),
        # Every other byte as it came: encodings, bare flags, empty pieces, the fragment.
        ("https://www.google.com/search?q=caf%E9", "https://www.google.com/search?q=caf%E9&safe=active"),
        ("https://www.google.com/search?q=%ZZ", "https://www.google.com/search?q=%ZZ&safe=active"),
        ("https://www.google.com/search?q=x&flag&&b=1", "https://www.google.com/search?q=x&flag&&b=1&safe=active"),
        ("https://www.google.com/search?q=a#top", "https://www.google.com/search?q=a&safe=active#top"),
        ("https://www.google.com/search/about?q=a", "https://www.google.com/search/about?q=a&safe=active"),
        # Already locked: no change.
        ("https://www.google.com/search?q=a&safe=active", None),
        ("https://www.google.com/search?safe=active&q=a", None),
        # Not a search page, not a search engine, no URL to rewrite.
        ("https://www.google.com/maps?pb=!1m5", None),
        ("https://www.google.com/searchfoo.js", None),
        ("https://duckduckgo.com/", None),
        ("https://www.google.com/", None),
        ("www.google.com:443", None),
    ],
)  # fmt: skip
def test_safe_search_url(url: str, expected: str | None) -> None:
    host = url.rpartition("//")[2].partition("/")[0].partition(":")[0]
    assert safe_search_url(url, host) == expected


def test_not_a_search_engine() -> None:
    assert safe_search_url("https://example.org/search?q=x", "example.org") is None


def test_the_hosts() -> None:
    assert {"www.google.com", "google.co.uk", "www.google.co.uk"} <= GOOGLE_HOSTS
    assert GOOGLE_HOSTS <= SAFE_SEARCH_HOSTS
    assert "www.youtube.com" in YOUTUBE_HOSTS
    assert not SAFE_SEARCH_HOSTS & YOUTUBE_HOSTS
