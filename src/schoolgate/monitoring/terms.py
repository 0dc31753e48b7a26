"""Search terms: what a pupil searched for, read from the URL of a search engine or site.

The gateways record each request's URL; the monitoring needs the words typed into a search box, because
those are what the DfE standard asks schools to see and what the risk phrases are matched against.
`classify` reads a URL and says which engine or site it belongs to, the term searched (if it is a search)
and whether it is only an autocomplete or prefetch call, which is never a search: a browser asks for
suggestions on every key press ("h", "ho", "how"), and recording those would alert on words nobody
searched.

    >>> classify("https://www.google.co.uk/search?q=how+to+revise&client=firefox-b-d")
    UrlSearch(engine='google', term='how to revise', suggestion=False)
    >>> classify("https://www.google.com/complete/search?q=how+to+r&client=gws-wiz")
    UrlSearch(engine='google', term=None, suggestion=True)
    >>> classify("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    UrlSearch(engine='youtube', term=None, suggestion=False)
    >>> classify("www.google.com:443")  # HTTPS without interception: only the host is seen
    UrlSearch(engine='google', term=None, suggestion=False)
    >>> classify("https://google.com.evil.example/search?q=x")
    UrlSearch(engine=None, term=None, suggestion=False)

The engines and sites are one table, `_ROWS`: a row names the engine, its hosts, the paths that search
(or suggest) and where the term is (query parameters, or a path segment); adding an engine is adding
rows. The table is compiled once, at import, into a dictionary of hosts, so that a URL of any other site
(nearly all of them) costs one or a few dictionary look-ups and no regular expression.

A term is decoded and tidied so that what the risk phrases and the DSL see is what the pupil typed:
percent-encoding read as UTF-8 (invalid bytes become U+FFFD, never an error), `+` as a space in query
strings (a `+` typed is `%2B`), control and invisible format characters removed (a right-to-left
override must not reorder what a DSL reads, a zero-width space must not hide a phrase), NFC, runs of
white space made one space, and at most `MAX_TERM` characters. Right-to-left letters are kept as they
are. The term keeps the case it was typed in: the DSL sees it as typed, and case-folding is the phrase
matcher's job (and `extends`'s).

Pure: no I/O, no clock; every function only looks at its arguments, and `classify` never raises on any
`str`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Final, NamedTuple
from urllib.parse import unquote_to_bytes

from schoolgate.engine.safesearch import GOOGLE_HOSTS

__all__ = [
    "ENGINES",
    "MAX_TERM",
    "MAX_URL",
    "UrlSearch",
    "classify",
    "collapse",
    "extends",
    "search_term",
]

MAX_URL: Final = 8192
"""How much of a URL is looked at (characters; a URL from Squid is ASCII, so also bytes). A search box
sends far less; the cap bounds the work a hostile URL can cause."""

MAX_TERM: Final = 500
"""The longest term kept, in characters; a longer one is cut (no search box needs more)."""

_LOOKAHEAD: Final = 32
"""How many later searches `collapse` compares a search with: a person types a few keys a second, so
32 covers any real keystroke trail, and the cap keeps `collapse` linear on a flood of requests."""


class UrlSearch(NamedTuple):
    """What a URL says about a search.

    ``engine`` is set whenever the host is one of a known engine or site, whatever the page (a YouTube
    video gives ``engine="youtube"`` and no term), so that a caller can tell "a search site, not a
    search" from "not a search site"."""

    engine: str | None  # stable snake-case name of the engine or site ("google", "google_images", ...)
    term: str | None  # the search term, decoded and tidied; None when not a search, or a suggestion
    suggestion: bool  # an autocomplete, suggestion or prefetch call (never a search)


class _Row(NamedTuple):
    """One line of the engine table, as written.

    ``paths`` holds alternatives separated by spaces: an exact path (compared without case, without a
    trailing ``/`` and without ``;`` parameters, as Yahoo adds), a regular expression if it starts with
    ``^`` (matched on the path as it came, ignoring case; a group named ``term`` holds the term), or
    ``*`` for any path. ``term`` names the query parameters that hold the term, first found first; a
    ``term`` group in ``paths`` comes before them. ``when`` (``name=value`` pairs separated by spaces)
    makes the row apply only if one of the parameters has that value, without regard to case; the
    first row without ``when`` that lists a host names that host's engine for its other pages.
    ``path_spaces`` are the characters that stand for a space in a path term (Google Maps writes
    ``+``, MediaWiki ``_``); in a query string ``+`` is always a space."""

    engine: str
    hosts: tuple[str, ...]
    paths: str
    term: str = ""
    when: str = ""
    suggestion: bool = False
    path_spaces: str = ""


def _each(*patterns: str) -> tuple[str, ...]:
    """Host names from patterns with ``{a,b,c}`` alternatives ("www.{bing,live}.com"), expanded."""
    names: list[str] = []
    for pattern in patterns:
        head, brace, rest = pattern.partition("{")
        if not brace:
            names.append(pattern)
            continue
        choices, _, tail = rest.partition("}")
        names.extend(_each(*(f"{head}{choice}{tail}" for choice in choices.split(","))))
    return tuple(names)


# Host names. A name starting "*." stands for every name below it (not the name itself).
_GOOGLE_SUFFIXES: Final = tuple(
    sorted(h.removeprefix("www.google.") for h in GOOGLE_HOSTS if h.startswith("www."))
)
_GOOGLE: Final = tuple(f"{w}google.{s}" for s in _GOOGLE_SUFFIXES for w in ("", "www."))
_GOOGLE_IMAGES: Final = tuple(f"images.google.{s}" for s in _GOOGLE_SUFFIXES)
_GOOGLE_MAPS: Final = tuple(f"maps.google.{s}" for s in _GOOGLE_SUFFIXES)
_MAPS: Final = (*_GOOGLE, *_GOOGLE_MAPS)
_GOOGLE_CLIENTS: Final = _each("clients{1,2,3,4,5,6}.google.com")
_BING: Final = _each("{,www.,cn.}bing.com")
_DUCKDUCKGO: Final = _each("{,www.,start.}duckduckgo.com")
_YAHOO: Final = ("search.yahoo.com", "*.search.yahoo.com")
_YANDEX: Final = (
    *_each("{,www.,m.}yandex.{ru,com,by,kz,uz,com.tr,ua,az,com.am,com.ge,co.il,ee,lt,lv,md,tj,tm,fr,eu}"),
    *_each("{,www.}ya.ru"),
)
_YANDEX_SUGGEST: Final = (*_each("suggest.yandex.{ru,com,by,kz,uz,com.tr,ua}"), "suggest.ya.ru")
_AMAZON_SUFFIXES: Final = (
    "{com,co.uk,de,fr,it,es,nl,se,pl,ie,com.be,com.tr,ca,com.mx,com.br,com.au,co.jp,in,sg,ae,sa,eg,cn}"
)
_AMAZON: Final = _each(f"{{,www.,smile.}}amazon.{_AMAZON_SUFFIXES}")
_AMAZON_SUGGEST: Final = _each(f"completion.amazon.{_AMAZON_SUFFIXES}")
_YOUTUBE: Final = _each("{,www.,m.}youtube.com")
_WIKIPEDIA: Final = ("wikipedia.org", "*.wikipedia.org")
_KIDDLE: Final = _each("{,www.}kiddle.co")
_TIKTOK: Final = _each("{,www.,m.}tiktok.com")
_REDDIT: Final = _each("{,www.,old.,new.,np.,sh.,m.,i.}reddit.com")
_X: Final = _each("{,www.,mobile.}{x,twitter}.com")
_PINTEREST: Final = (
    *_each("{,www.}pinterest.{com,co.uk,ie,ca,de,fr,es,it,pt,at,ch,se,dk,com.au,nz,com.mx,cl,jp,ph}"),
    "*.pinterest.com",
)
_BBC: Final = _each("{,www.}bbc.{co.uk,com}")

_ROWS: Final = (
    # Google. Chrome fetches the results for its top suggestion ahead of a key press (pf=cs, pf=op):
    # a prefetch, not a search. If the pupil then picks that suggestion, Chrome shows the page it
    # prefetched and the search itself never reaches the proxy; Chrome's NetworkPredictionOptions
    # policy turns this prefetching off on managed devices.
    _Row("google", _GOOGLE, "/search", when="pf=cs pf=op", suggestion=True),
    _Row("google_images", (*_GOOGLE, *_GOOGLE_IMAGES), "/search /images", "q", when="tbm=isch udm=2"),
    _Row("google", _GOOGLE, "/search", "q"),
    _Row("youtube", (*_GOOGLE, *_GOOGLE_CLIENTS), "/complete/search /s", when="ds=yt", suggestion=True),
    _Row("google", (*_GOOGLE, *_GOOGLE_CLIENTS), "/complete/search /s", suggestion=True),
    _Row("google_images", _GOOGLE_IMAGES, "/images", "q"),
    _Row("google_maps", _MAPS, r"^/maps/search/(?P<term>[^/]*)", "query", path_spaces="+"),
    _Row("google_maps", _MAPS, "/maps", "q"),
    _Row("google_maps", _GOOGLE_MAPS, "/", "q"),
    _Row("google_maps", _GOOGLE, r"^/maps(?:/|$)"),  # a place or directions: Maps, no term
    _Row("google", ("news.google.com",), "/search", "q"),
    _Row("google", _each("scholar.google.{com,co.uk}"), "/scholar", "q"),
    _Row("youtube", ("suggestqueries.google.com",), "*", when="ds=yt client=youtube", suggestion=True),
    _Row("google", ("suggestqueries.google.com",), "*", suggestion=True),
    # Bing
    _Row("bing", _BING, "/search /videos/search /news/search /shop /maps", "q"),
    _Row("bing_images", _BING, "/images/search", "q"),
    _Row("bing", (*_BING, "api.bing.com"), "/as/suggestions /osjson.aspx /qsonhs.aspx", suggestion=True),
    # DuckDuckGo: the JavaScript front end, html (a GET form gives the term; its POST form does not) and lite.
    _Row("duckduckgo", _DUCKDUCKGO, "/ac", suggestion=True),
    _Row("duckduckgo_images", _DUCKDUCKGO, "/", "q", when="ia=images iax=images"),
    _Row("duckduckgo", _DUCKDUCKGO, "/ /html /lite", "q"),
    _Row("duckduckgo", ("html.duckduckgo.com",), "/ /html", "q"),
    _Row("duckduckgo", ("lite.duckduckgo.com",), "/ /lite", "q"),
    # Yahoo: every country's host (uk.search.yahoo.com, images.search.yahoo.com, ...).
    _Row("yahoo", _YAHOO, "/search /search/video /search/news", "p q"),
    _Row("yahoo_images", _YAHOO, "/search/images", "p q"),
    _Row("yahoo", _YAHOO, r"^/sugg/", suggestion=True),
    _Row("yahoo", ("sugg.search.yahoo.net",), "*", suggestion=True),
    # Ecosia, Brave
    _Row("ecosia", _each("{,www.}ecosia.org"), "/search /videos /news", "q"),
    _Row("ecosia_images", _each("{,www.}ecosia.org"), "/images", "q"),
    _Row("ecosia", ("ac.ecosia.org",), "*", suggestion=True),
    _Row("brave", ("search.brave.com",), "/search /videos /news", "q"),
    _Row("brave_images", ("search.brave.com",), "/images", "q"),
    _Row("brave", ("search.brave.com",), "/api/suggest", suggestion=True),
    # Yandex
    _Row("yandex", _YANDEX, "/search /search/touch /search/pad /yandsearch /video/search", "text"),
    _Row("yandex_images", _YANDEX, "/images/search /images/touch/search", "text"),
    _Row("yandex", _YANDEX, r"^/suggest", suggestion=True),
    _Row("yandex", _YANDEX_SUGGEST, "*", suggestion=True),
    # YouTube (its suggestions come from Google's hosts, above, and this one).
    _Row("youtube", _YOUTUBE, "/results", "search_query q"),
    _Row("youtube", ("music.youtube.com",), "/search", "q"),
    _Row("youtube", ("suggestqueries-clients6.youtube.com",), "*", suggestion=True),
    # Wikipedia, every language, desktop and mobile. Special:Search has a local name in each language
    # (Spezial:Suche), so any /wiki/ page's search= is a search; the search box's typeahead is the API.
    _Row("wikipedia", _WIKIPEDIA, "/w/api.php", when="action=opensearch", suggestion=True),
    _Row("wikipedia", _WIKIPEDIA, r"^/w/rest\.php/v1/search/", suggestion=True),
    _Row("wikipedia", _WIKIPEDIA, r"^/wiki/special(?::|%3a)search/(?P<term>[^?#]+)", path_spaces="_"),
    _Row("wikipedia", _WIKIPEDIA, r"^/wiki/ /w/index.php /search-redirect.php", "search"),
    # Kiddle (a children's search engine built on Google's)
    _Row("kiddle", _KIDDLE, "/s.php /v.php /n.php", "q"),
    _Row("kiddle_images", _KIDDLE, "/i.php", "q"),
    # Shopping and social sites with a search box.
    _Row("amazon", _AMAZON, r"/s ^/s/", "k field-keywords"),
    _Row("amazon", _AMAZON_SUGGEST, "*", suggestion=True),
    _Row("tiktok", _TIKTOK, "/search /search/video /search/user /search/live /search/photo", "q"),
    _Row("reddit", _REDDIT, r"/search ^/r/[^/]+/search/?$", "q"),
    _Row(
        "reddit",
        _REDDIT,
        r"^/api/search_reddit_names ^/api/subreddit_autocomplete ^/svc/shreddit/[^?#]*typeahead",
        suggestion=True,
    ),
    _Row("x", _X, "/search", "q"),
    _Row("x", _X, "/i/api/1.1/search/typeahead.json", suggestion=True),
    _Row("pinterest", _PINTEREST, "/search/pins /search/boards /search/users /search/videos", "q"),
    _Row("pinterest", _PINTEREST, r"^/resource/[a-z]*typeahead", suggestion=True),
    _Row("instagram", _each("{,www.}instagram.com"), "/explore/search/keyword", "q"),
    _Row("instagram", _each("{,www.}instagram.com"), r"^/explore/tags/(?P<term>[^/?#]+)"),
    _Row("instagram", _each("{,www.}instagram.com"), r"^/(?:api/v1/)?web/search/topsearch", suggestion=True),
    _Row("facebook", _each("{,www.,m.,web.}facebook.com"), r"^/search/[a-z]+/?$", "q"),
    _Row("ebay", _each("{,www.}ebay.{co.uk,com,ie,de,fr}"), "/sch/i.html", "_nkw"),
    _Row("ebay", ("autosug.ebay.com",), "*", suggestion=True),
    _Row("etsy", _each("{,www.}etsy.com"), "/search", "q"),
    _Row("quora", _each("{,www.}quora.com"), "/search", "q"),
    _Row("spotify", ("open.spotify.com",), r"^/search/(?P<term>[^/?#]+)"),
    _Row("soundcloud", _each("{,m.}soundcloud.com"), "/search /search/sounds /search/people", "q"),
    _Row("twitch", _each("{,www.,m.}twitch.tv"), "/search", "term"),
    _Row("vimeo", _each("{,www.}vimeo.com"), "/search", "q"),
    _Row("steam", ("store.steampowered.com",), "/search", "term"),
    # BBC: Bitesize's own search, and the BBC's.
    _Row("bbc", _BBC, "/search", "q"),
    _Row("bbc_bitesize", _BBC, "/bitesize/search", "q"),
    # More search engines.
    _Row("startpage", _each("{,www.,eu.}startpage.com"), r"^/do/(?:a|d)?search/?$ /sp/search", "query q"),
    _Row("qwant", _each("{,www.}qwant.com"), "/", "q"),
    _Row("qwant", ("api.qwant.com",), r"^/v\d+/suggest", suggestion=True),
    _Row("ask", _each("{,www.,uk.}ask.com"), "/web", "q"),
    _Row("aol", _each("search.aol.{com,co.uk}"), "/aol/search", "q query"),
    _Row("swisscows", _each("{,www.}swisscows.com"), r"^(?:/[a-z]{2})?/(?:web|images|video)/?$", "query"),
    _Row("mojeek", _each("{,www.}mojeek.com"), "/search", "q"),
    _Row("baidu", _each("{,www.,m.}baidu.com"), "/s", "wd word"),
    _Row("baidu", ("www.baidu.com",), "/sugrec", suggestion=True),
    _Row("naver", _each("{,m.}search.naver.com"), "/search.naver", "query"),
    _Row("naver", ("ac.search.naver.com",), "*", suggestion=True),
)


class _Rule(NamedTuple):
    """A `_Row` compiled: what `classify` runs."""

    engine: str
    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    any_path: bool
    params: tuple[str, ...]
    when: tuple[tuple[str, str], ...]
    suggestion: bool
    path_spaces: str


class _Site(NamedTuple):
    """One host's rules, in table order, and the engine its other pages belong to."""

    engine: str
    rules: tuple[_Rule, ...]


def _compile(rows: Sequence[_Row]) -> tuple[dict[str, _Site], dict[str, _Site]]:
    """The table as two dictionaries: host -> site for exact names, parent -> site for "*." names.

    Raises ValueError on a table mistake (a host whose rows all have ``when``, a bad pattern), so that
    a wrong row fails the import, and every test, instead of quietly never matching."""
    rules: dict[str, list[_Rule]] = {}
    engines: dict[str, str] = {}
    for row in rows:
        paths = row.paths.split()
        if not paths or any(p[0] not in "/^*" for p in paths):
            raise ValueError(f"engine table: {row.engine}: a path starts with / or ^, or is *: {row.paths!r}")
        rule = _Rule(
            engine=row.engine,
            exact=frozenset(p.rstrip("/").lower() or "/" for p in paths if p[0] == "/"),
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in paths if p[0] == "^"),
            any_path="*" in paths,
            params=tuple(row.term.split()),
            when=tuple((n, v.lower()) for n, _, v in (pair.partition("=") for pair in row.when.split())),
            suggestion=row.suggestion,
            path_spaces=row.path_spaces,
        )
        for host in row.hosts:
            rules.setdefault(host, []).append(rule)
            if not row.when:
                engines.setdefault(host, row.engine)
    exact: dict[str, _Site] = {}
    below: dict[str, _Site] = {}
    for host, host_rules in rules.items():
        if host not in engines:
            raise ValueError(f"engine table: {host}: every row has `when`, so its other pages have no engine")
        site = _Site(engines[host], tuple(host_rules))
        if host.startswith("*."):
            below[host[2:]] = site
        else:
            exact[host] = site
    return exact, below


_EXACT, _BELOW = _compile(_ROWS)

ENGINES: Final = frozenset(row.engine for row in _ROWS)
"""Every engine name `classify` can give, for a caller that lists or filters by engine."""

_NOT_A_SEARCH_SITE: Final = UrlSearch(None, None, False)

# What a term loses: control characters (C0, C1), format characters (bidi embeddings, overrides and
# isolates, zero-width spaces and joiners, soft hyphens, tags) and surrogates (not characters at all).
_HIDDEN: Final = frozenset({"Cc", "Cf", "Cs"})
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _site(host: str) -> _Site | None:
    """The site a host belongs to: its own entry, or that of the nearest "*." parent."""
    site = _EXACT.get(host)
    if site is not None:
        return site
    dot = host.find(".")
    while dot >= 0:
        parent = host[dot + 1 :]
        site = _BELOW.get(parent)
        if site is not None:
            return site
        dot = host.find(".", dot + 1)
    return None


def _decode(raw: str, spaces: str) -> str:
    """Percent-decoded as UTF-8, with ``spaces`` read as spaces first, so that an encoded ``%2B`` stays
    a ``+``. Bytes that are not UTF-8, and surrogates in the input, become U+FFFD."""
    for space in spaces:
        raw = raw.replace(space, " ")
    if raw.isascii():
        if "%" not in raw:
            return raw
    else:
        raw = _SURROGATE.sub("\ufffd", raw)  # each one character, not the three bytes UTF-8 would make
    return unquote_to_bytes(raw).decode("utf-8", "replace")


def _tidy(text: str) -> str | None:
    """The term as the DSL and the phrase matcher should see it, or None when nothing is left."""
    if not (text.isascii() and text.isprintable()):
        category = unicodedata.category
        text = unicodedata.normalize(
            "NFC", "".join(c for c in text if c.isspace() or category(c) not in _HIDDEN)
        )
    text = " ".join(text.split())
    if len(text) > MAX_TERM:
        text = text[:MAX_TERM].rstrip()
    return text or None


def _params(query: str) -> dict[str, str]:
    """Each query parameter's first non-empty value, as it came (still encoded).

    The first non-empty one, so that ``q=&q=words`` still gives the words: a search engine shows the
    results of one of them, and a monitor should not be fooled by an empty one put first."""
    found: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if not value:
            continue
        if "%" in name or "+" in name:
            name = _decode(name, "+")
        if name not in found:
            found[name] = value
    return found


def classify(url: str) -> UrlSearch:
    """Which engine or site a URL is of, the term it searched, and whether it is only a suggestion.

    ``url`` is an absolute URL as Squid hands it to the helper, ``host:port`` for a tunnel (CONNECT), or
    a DNS name: the last two carry no term. Only the first `MAX_URL` characters are looked at. Any
    string is accepted; one that is not a URL is of no engine."""
    text = url[:MAX_URL]
    colon = text.find("://", 0, 16)
    rest = text[colon + 3 :] if colon > 0 and text[:colon].isalnum() else text
    end = len(rest)
    for mark in "/?#":
        at = rest.find(mark, 0, end)
        if at >= 0:
            end = at
    host = rest[:end].rpartition("@")[2]
    if host[:1] == "[":
        return _NOT_A_SEARCH_SITE  # an IPv6 literal: no search engine is reached by address
    site = _site(host.partition(":")[0].lower().rstrip("."))
    if site is None:
        return _NOT_A_SEARCH_SITE
    path, _, query = rest[end:].partition("#")[0].partition("?")
    plain = path.partition(";")[0].rstrip("/").lower() or "/"
    params: dict[str, str] | None = None
    for rule in site.rules:
        found: re.Match[str] | None = None
        if not (rule.any_path or plain in rule.exact):
            for pattern in rule.patterns:
                found = pattern.match(path)
                if found is not None:
                    break
            else:
                continue
        if rule.when:
            if params is None:
                params = _params(query)
            if not any(_decode(params.get(name, ""), "+").lower() == value for name, value in rule.when):
                continue
        if rule.suggestion:
            return UrlSearch(rule.engine, None, True)
        term = None
        if found is not None and "term" in found.re.groupindex and found["term"]:
            term = _tidy(_decode(found["term"], rule.path_spaces))
        if term is None and rule.params:
            if params is None:
                params = _params(query)
            for name in rule.params:
                raw = params.get(name)
                if raw is not None:
                    term = _tidy(_decode(raw, "+"))
                    break
        return UrlSearch(rule.engine, term, False)
    return UrlSearch(site.engine, None, False)


def search_term(url: str) -> str | None:
    """The term a URL searched, or None (not a search, or only a suggestion): `classify`'s term."""
    return classify(url).term


def _key(term: str) -> str:
    """A term as `extends` compares it: case-folded, white space made single spaces."""
    return " ".join(term.casefold().split())


def extends(earlier: str, later: str) -> bool:
    """Whether ``later`` continues ``earlier`` as more keys typed would ("ho" -> "how", "how" ->
    "How to"): it starts with it, ignoring case and runs of white space, and is longer.

    A results page that updates as the pupil types (instant results, YouTube, DuckDuckGo) sends one
    search per pause; only the last of such a trail is what the pupil meant to search."""
    head, whole = _key(earlier), _key(later)
    return whole != head and whole.startswith(head)


def collapse(terms: Sequence[tuple[float, str]], within: float = 15.0) -> list[int]:
    """Indices of the terms a person actually searched, from one person's searches on one engine in time
    order: a term that a later one within `within` seconds extends is left out ("h","ho","how" -> "how").

    ``terms`` holds (seconds, term) pairs. A term is compared with the later ones up to `within` seconds
    after it (at most `_LOOKAHEAD` of them, which keeps this linear in the number of terms), so a trail
    with a correction in it ("how", "ho", "how to") still collapses to its end. A repeated term (the next
    page of results) is not an extension and is kept; the caller de-duplicates equal terms. Raises
    ValueError when ``within`` is not a number of seconds >= 0."""
    if not within >= 0:  # also refuses NaN
        raise ValueError(f"collapse: within must be a number of seconds >= 0, not {within!r}")
    keys = [_key(term) for _, term in terms]
    kept: list[int] = []
    for index, (at, _) in enumerate(terms):
        key = keys[index]
        extended = False
        for later in range(index + 1, min(len(terms), index + 1 + _LOOKAHEAD)):
            if terms[later][0] - at > within:
                break
            other = keys[later]
            if other != key and other.startswith(key):
                extended = True
                break
        if not extended:
            kept.append(index)
    return kept
