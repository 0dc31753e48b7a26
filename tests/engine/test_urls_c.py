"""parse_url's C fast path (schoolgate.engine._urls) against the Python parser: whatever it answers,
the Python parser answers the same; what it declines, the Python parser still gets."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schoolgate.engine import urls
from schoolgate.engine.urls import Url, fast_url, parse_url
from tests.engine.test_urls import PARSE_CASES


def test_the_c_fast_path_is_built() -> None:
    assert fast_url is not None


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_the_python_parser_alone_gives_the_same(text: str, expected: Url | None) -> None:
    assert urls._parse_url_python(text) == expected


def label(size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("abcXYZ019_-"), min_size=size, max_size=size)


LABELS = st.one_of(
    st.text(st.sampled_from("abcdeXYZ0123456789_-"), min_size=0, max_size=6),
    st.sampled_from([62, 63, 64]).flatmap(label),
    st.sampled_from(
        [
            "0",
            "00",
            "01",
            "9",
            "10",
            "99",
            "100",
            "199",
            "200",
            "249",
            "250",
            "255",
            "256",
            "300",
            "0x1f",
            "1000",
            "www",
            "WWW",
            "com",
            "Kk",
        ]
    ),
)
HOSTS = st.one_of(
    st.lists(LABELS, min_size=1, max_size=6).map(".".join),
    st.lists(st.sampled_from(["0", "1", "10", "127", "192", "255", "256", "01"]), min_size=1, max_size=5).map(
        ".".join
    ),
    st.sampled_from([62, 63, 64]).map(lambda n: ".".join(["a" * 63] * 3 + ["b" * n])),  # 253 to 255 long
).flatmap(lambda host: st.sampled_from([host, host + ".", host + "..", "." + host, host.upper()]))
PORTS = st.sampled_from(["", ":", ":0", ":80", ":00080", ":65535", ":65536", ":99999", ":123456", ":8a"])
PATH_CHARS = st.sampled_from("abc/.?#%\\ \t\x00\x7f\x1f~!$&'()*+,;=:@[]{}|^`\"<>é\udc80")
PATHS = st.one_of(
    st.just(""),
    st.text(PATH_CHARS, max_size=20).map(lambda p: "/" + p),
    st.text(st.sampled_from("ab/."), max_size=12).map(lambda p: "/" + p),  # dot segments, "//"
)
QUERIES = st.one_of(st.just(""), st.text(PATH_CHARS, max_size=20).map(lambda q: "?" + q))
SCHEMES = st.sampled_from(
    [
        "http://",
        "HTTPS://",
        "hTtp://",
        "ftp://",
        "a+b.c-d://",
        "1http://",
        "_x://",
        "http:/",
        "http:",
        "",
        "://",
    ]
)
URLS = st.builds(lambda s, h, p, path, q: s + h + p + path + q, SCHEMES, HOSTS, PORTS, PATHS, QUERIES)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(URLS, st.text(max_size=30)))
@example("http://a.b./")
@example("http://1.2.3.4/")
@example("http://01.2.3.4/")
@example("1.2.3.4:65535")
@example("example.com:443")
@example("http://example.com?q")
@example("http://example.com:8080?q=a/b//c")
@example("http://example.com/a/./b")
@example("http://example.com/a/b\x7f")
@example("http://example.com/a\x7fb")
def test_the_fast_path_agrees_with_the_python_parser(text: str) -> None:
    expected = urls._parse_url_python(text)
    fast = fast_url(text, Url)
    if fast is not None:
        assert fast == expected
        assert type(fast) is Url
        assert [type(v) for v in fast] == [type(v) for v in expected]  # type: ignore[union-attr]
    assert parse_url(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "http://www.example.com/path/x.html?q=1",
        "HTTP://WWW.EXAMPLE.COM./",
        "https://cdn.example.co.uk:8443/a/b.js?v=1",
        "example.com:443",
        "10.0.0.1:443",
        "http://192.168.1.1/x",
        "http://example.com?q=1",
    ],
)
def test_common_urls_take_the_fast_path(text: str) -> None:
    assert fast_url(text, Url) is not None


def test_bad_arguments_are_errors() -> None:
    with pytest.raises(TypeError):
        fast_url(b"http://a/", Url)
    with pytest.raises(TypeError):
        fast_url("http://a/", dict)
    with pytest.raises(TypeError):
        fast_url("http://a/")  # type: ignore[call-arg]
