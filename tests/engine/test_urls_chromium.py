"""The installed Chromium (Debian's `chromium`, driven by Playwright) converts the hosts of
test_urls.IDNA_CASES as `canonical_host` does: the filter must see the host the browser sends, so its
expected values are checked against the browser itself, not against another IDNA implementation.

Chromium must be installed (`make test` installs Debian's package); a missing Chromium fails this test,
it does not skip it. Playwright never downloads a browser here: it is given /usr/bin/chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from schoolgate.engine.urls import canonical_host
from tests.chromium import chromium
from tests.engine.test_urls import IDNA_CASES, STRICTER_THAN_CHROMIUM

pytestmark = pytest.mark.timeout(120)


# What Chromium makes of the hosts the filter refuses or shortens on purpose (see STRICTER_THAN_CHROMIUM).
CHROMIUM_ONLY = {
    "a" * 56 + "ü.de": "xn--" + "a" * 56 + "-t2f.de",
    "ü" * 64 + ".de": "xn--td" + "a" * 64 + ".de",
    "ü..de": "xn--tda..de",
    "\u00ad.com": ".com",
    ".ü.de": ".xn--tda.de",
    "ü%2E.de": "xn--tda..de",
    "ü.de.": "xn--tda.de.",
    "ü.de..": "xn--tda.de..",
    "ex ample.ü": "ex%20ample.xn--tda",
}

# Each host in a URL, as the address bar would take it: the hostname, or null where the URL is refused.
_HOSTNAMES = """hosts => hosts.map(host => {
    try { return new URL("http://" + host + "/").hostname; } catch (e) { return null; }
})"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield browser.new_page()


def _hosts(cases: list[Any]) -> list[str]:
    """The host of each pytest.param(host, expected)."""
    return [case.values[0] for case in cases]


def test_chromium_sends_the_hosts_the_filter_expects(page: Page) -> None:
    hosts = _hosts(IDNA_CASES)
    expected = [case.values[1] for case in IDNA_CASES]
    from_chromium = page.evaluate(_HOSTNAMES, hosts)
    differ = [(h, c, e) for h, c, e in zip(hosts, from_chromium, expected, strict=True) if c != e]
    assert differ == []
    assert [canonical_host(host) for host in hosts] == from_chromium


def test_where_the_filter_is_stricter_chromium_says_what_the_note_says(page: Page) -> None:
    hosts = _hosts(STRICTER_THAN_CHROMIUM)
    assert set(hosts) == set(CHROMIUM_ONLY)
    from_chromium = dict(zip(hosts, page.evaluate(_HOSTNAMES, hosts), strict=True))
    assert from_chromium == CHROMIUM_ONLY
    for host, said in CHROMIUM_ONLY.items():
        assert canonical_host(host) in (None, said.rstrip(".")), host
