"""Search terms from real URL shapes: which engine, which term, and suggestions never taken for searches."""

from __future__ import annotations

import doctest
import random
import unicodedata

import pytest

from schoolgate.monitoring import terms
from schoolgate.monitoring.terms import (
    ENGINES,
    MAX_TERM,
    MAX_URL,
    UrlSearch,
    classify,
    collapse,
    extends,
    search_term,
)

SEARCHES = [
    # Google web, in its country domains, with the parameters a real results page carries.
    ("https://www.google.com/search?q=how+to+revise", "google", "how to revise"),
    ("https://www.google.co.uk/search?q=cats&client=firefox-b-d&oq=ca&gs_lp=Egdnd3M", "google", "cats"),
    ("https://google.com/search?q=is%20it%20normal&start=10", "google", "is it normal"),
    ("http://www.google.fr/search?hl=fr&q=devoirs+maths&btnG=Rechercher", "google", "devoirs maths"),
    ("https://www.google.com.au/search?q=koala", "google", "koala"),
    ("https://www.google.co.in/search?q=exam+tips&tbm=nws", "google", "exam tips"),
    ("https://WWW.GOOGLE.COM./search?q=Shouting", "google", "Shouting"),
    ("https://user@www.google.com:443/search?q=port", "google", "port"),
    ("https://news.google.com/search?q=election&hl=en-GB", "google", "election"),
    ("https://scholar.google.com/scholar?hl=en&q=photosynthesis", "google", "photosynthesis"),
    # Google Images: the old tab (tbm=isch) and the new one (udm=2); the images host.
    ("https://www.google.com/search?q=puppies&tbm=isch&source=lnms", "google_images", "puppies"),
    ("https://www.google.co.uk/search?q=puppies&udm=2", "google_images", "puppies"),
    ("https://www.google.com/search?tbm=ISCH&q=upper+case+tab", "google_images", "upper case tab"),
    ("https://images.google.com/images?q=old+images+host", "google_images", "old images host"),
    # Google Maps: a path term (+ for spaces), the Maps URL API, ?q=, the maps host.
    ("https://www.google.com/maps/search/coffee+near+me/@51.5,-0.12,14z", "google_maps", "coffee near me"),
    ("https://www.google.co.uk/maps/search/?api=1&query=leeds+station", "google_maps", "leeds station"),
    ("https://www.google.com/maps?q=London+Eye", "google_maps", "London Eye"),
    ("https://maps.google.com/maps?q=york", "google_maps", "york"),
    ("https://maps.google.co.uk/?q=bath", "google_maps", "bath"),
    ("https://www.google.com/maps/search/50%25+off+pizza", "google_maps", "50% off pizza"),
    # Bing: web, images, videos, news.
    ("https://www.bing.com/search?q=volcano&form=QBLH&sp=-1", "bing", "volcano"),
    ("https://bing.com/search?q=volcano+facts&first=11", "bing", "volcano facts"),
    ("https://www.bing.com/videos/search?q=volcano+erupting&FORM=HDRSC3", "bing", "volcano erupting"),
    ("https://www.bing.com/news/search?q=floods", "bing", "floods"),
    ("https://www.bing.com/images/search?q=lava&form=HDRSC2&first=1", "bing_images", "lava"),
    ("https://cn.bing.com/search?q=%E7%81%AB%E5%B1%B1", "bing", "火山"),
    # DuckDuckGo: the JavaScript front end, images, html and lite (GET forms), and their old paths.
    ("https://duckduckgo.com/?q=otters&t=h_&ia=web", "duckduckgo", "otters"),
    ("https://duckduckgo.com/?t=ffab&q=sea+otters&iax=images&ia=images", "duckduckgo_images", "sea otters"),
    ("https://html.duckduckgo.com/html/?q=river+otters", "duckduckgo", "river otters"),
    ("https://html.duckduckgo.com/html?q=river+otters&s=30", "duckduckgo", "river otters"),
    ("https://lite.duckduckgo.com/lite/?q=otter+facts", "duckduckgo", "otter facts"),
    ("https://duckduckgo.com/html/?q=old+html+path", "duckduckgo", "old html path"),
    ("https://duckduckgo.com/?q=%21w+otter", "duckduckgo", "!w otter"),
    # Yahoo: Yahoo's ;_ylt= path parameters, country hosts, images.
    ("https://search.yahoo.com/search?p=weather&fr=yfp-t", "yahoo", "weather"),
    ("https://uk.search.yahoo.com/search;_ylt=AwrFQ;_ylc=X1MD?p=weather+uk", "yahoo", "weather uk"),
    ("https://uk.images.search.yahoo.com/search/images;_ylt=AwrE?p=rainbow", "yahoo_images", "rainbow"),
    ("https://video.search.yahoo.com/search/video?p=rainbow+song", "yahoo", "rainbow song"),
    # Ecosia, Brave, Yandex
    ("https://www.ecosia.org/search?method=index&q=trees", "ecosia", "trees"),
    ("https://www.ecosia.org/images?q=oak+tree", "ecosia_images", "oak tree"),
    ("https://search.brave.com/search?q=lion&source=web", "brave", "lion"),
    ("https://search.brave.com/images?q=lion+cub", "brave_images", "lion cub"),
    ("https://yandex.com/search/?text=chess&lr=10393", "yandex", "chess"),
    ("https://yandex.ru/search/?text=%D1%88%D0%B0%D1%85%D0%BC%D0%B0%D1%82%D1%8B", "yandex", "шахматы"),
    ("https://ya.ru/search/?text=chess+openings", "yandex", "chess openings"),
    ("https://yandex.ru/yandsearch?text=endgame", "yandex", "endgame"),
    ("https://yandex.com/images/search?text=knight", "yandex_images", "knight"),
    # YouTube: desktop, filters and pages, mobile, music.
    ("https://www.youtube.com/results?search_query=minecraft+tutorial", "youtube", "minecraft tutorial"),
    ("https://www.youtube.com/results?search_query=minecraft&sp=EgIQAQ%253D%253D", "youtube", "minecraft"),
    ("https://m.youtube.com/results?search_query=lego+star+wars&page=2", "youtube", "lego star wars"),
    ("https://youtube.com/results?q=old+parameter", "youtube", "old parameter"),
    ("https://music.youtube.com/search?q=lofi", "youtube", "lofi"),
    # Wikipedia: index.php, Special:Search with a parameter or a path (local names too), mobile, portal.
    ("https://en.wikipedia.org/w/index.php?search=tudors&title=Special%3ASearch", "wikipedia", "tudors"),
    ("https://en.wikipedia.org/wiki/Special:Search?search=henry+viii&go=Go", "wikipedia", "henry viii"),
    ("https://en.wikipedia.org/wiki/Special:Search/Anne_Boleyn", "wikipedia", "Anne Boleyn"),
    ("https://en.wikipedia.org/wiki/Special%3ASearch/Jane_Seymour", "wikipedia", "Jane Seymour"),
    ("https://de.wikipedia.org/wiki/Spezial:Suche?search=Burg", "wikipedia", "Burg"),
    ("https://en.m.wikipedia.org/w/index.php?search=castles", "wikipedia", "castles"),
    ("https://www.wikipedia.org/search-redirect.php?language=en&search=moat", "wikipedia", "moat"),
    # Kiddle
    ("https://www.kiddle.co/s.php?q=dinosaurs", "kiddle", "dinosaurs"),
    ("https://www.kiddle.co/i.php?q=t+rex", "kiddle_images", "t rex"),
    # Amazon: the current and the old form, other countries.
    ("https://www.amazon.co.uk/s?k=pencil+case&crid=2M&sprefix=pencil", "amazon", "pencil case"),
    ("https://www.amazon.com/s/ref=nb_sb_noss?url=search-alias%3Daps&field-keywords=ink", "amazon", "ink"),
    ("https://www.amazon.de/s?k=radiergummi", "amazon", "radiergummi"),
    # TikTok, Reddit, X, Pinterest, Instagram, Facebook
    ("https://www.tiktok.com/search?q=dance&t=1700000000000", "tiktok", "dance"),
    ("https://www.tiktok.com/search/video?q=dance+trend", "tiktok", "dance trend"),
    ("https://www.tiktok.com/search/user?q=dancer", "tiktok", "dancer"),
    ("https://www.reddit.com/search/?q=homework+help", "reddit", "homework help"),
    ("https://www.reddit.com/r/GCSE/search/?q=maths&restrict_sr=1", "reddit", "maths"),
    ("https://old.reddit.com/r/GCSE/search?q=english&restrict_sr=on", "reddit", "english"),
    ("https://x.com/search?q=football&src=typed_query", "x", "football"),
    ("https://twitter.com/search?q=%23football&src=hashtag_click", "x", "#football"),
    ("https://mobile.twitter.com/search?q=goal", "x", "goal"),
    ("https://www.pinterest.co.uk/search/pins/?q=bedroom%20ideas&rs=typed", "pinterest", "bedroom ideas"),
    ("https://uk.pinterest.com/search/pins/?q=cake", "pinterest", "cake"),
    ("https://www.instagram.com/explore/tags/art/", "instagram", "art"),
    ("https://www.instagram.com/explore/search/keyword/?q=drawing", "instagram", "drawing"),
    ("https://www.facebook.com/search/top/?q=school+trip", "facebook", "school trip"),
    # BBC Bitesize and the BBC
    ("https://www.bbc.co.uk/bitesize/search?q=photosynthesis", "bbc_bitesize", "photosynthesis"),
    ("https://www.bbc.co.uk/search?q=weather&d=HOMEPAGE_GNL", "bbc", "weather"),
    # More engines and sites.
    ("https://www.startpage.com/do/search?q=privacy", "startpage", "privacy"),
    ("https://www.startpage.com/sp/search?query=privacy+tips&cat=web", "startpage", "privacy tips"),
    ("https://www.qwant.com/?q=fromage&t=web", "qwant", "fromage"),
    ("https://www.ask.com/web?q=why+is+the+sky+blue", "ask", "why is the sky blue"),
    ("https://search.aol.com/aol/search?q=news", "aol", "news"),
    ("https://swisscows.com/en/web?query=alps", "swisscows", "alps"),
    ("https://www.mojeek.com/search?q=independent", "mojeek", "independent"),
    ("https://www.baidu.com/s?wd=%E7%86%8A%E7%8C%AB", "baidu", "熊猫"),
    ("https://search.naver.com/search.naver?query=%EA%B3%A0%EC%96%91%EC%9D%B4", "naver", "고양이"),
    ("https://open.spotify.com/search/taylor%20swift", "spotify", "taylor swift"),
    ("https://www.twitch.tv/search?term=fortnite", "twitch", "fortnite"),
    ("https://www.ebay.co.uk/sch/i.html?_nkw=football+boots", "ebay", "football boots"),
    ("https://vimeo.com/search?q=animation", "vimeo", "animation"),
    ("https://soundcloud.com/search?q=drum+and+bass", "soundcloud", "drum and bass"),
    ("https://store.steampowered.com/search/?term=racing", "steam", "racing"),
    ("https://www.quora.com/search?q=best+revision+method", "quora", "best revision method"),
    ("https://www.etsy.com/search?q=bracelet", "etsy", "bracelet"),
    # A plain-HTTP or schemeless URL as pasted into the CLI.
    ("www.google.com/search?q=no+scheme", "google", "no scheme"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "engine", "term"), SEARCHES)
def test_a_search_gives_its_engine_and_term(url: str, engine: str, term: str) -> None:
    assert classify(url) == UrlSearch(engine, term, False)
    assert search_term(url) == term


SUGGESTIONS = [
    # Google's own and Chrome's omnibox suggestions, its old /s endpoint, Maps' typeahead, Chrome's prefetch.
    ("https://www.google.com/complete/search?q=how+to+k&cp=8&client=gws-wiz&xssi=t&hl=en-GB", "google"),
    ("https://www.google.co.uk/complete/search?client=chrome-omni&q=how", "google"),
    ("https://suggestqueries.google.com/complete/search?client=firefox&q=how+t", "google"),
    ("https://clients1.google.com/complete/search?client=chrome&q=ho", "google"),
    ("https://www.google.com/s?sclient=psy-ab&q=how", "google"),
    ("https://www.google.com/s?tbm=map&gs_ri=maps&suggest=p&q=coff", "google"),
    ("https://www.google.com/search?q=how+to+kill+time&pf=cs&sourceid=chrome&ie=UTF-8", "google"),
    ("https://www.google.com/search?q=weather&pf=op", "google"),
    # YouTube's suggestions: from Google's hosts with ds=yt, and its own.
    ("https://suggestqueries-clients6.youtube.com/complete/search?client=youtube&ds=yt&q=minec", "youtube"),
    ("https://www.google.com/complete/search?client=youtube&ds=yt&q=mine", "youtube"),
    ("https://clients1.google.com/complete/search?client=youtube&hl=en&ds=yt&q=mi", "youtube"),
    ("https://suggestqueries.google.com/complete/search?client=youtube&ds=yt&q=lego", "youtube"),
    # Bing, DuckDuckGo, Yahoo, Ecosia, Brave, Yandex
    ("https://www.bing.com/AS/Suggestions?pt=page.home&qry=volc&cp=4&cvid=1", "bing"),
    ("https://www.bing.com/osjson.aspx?query=volc", "bing"),
    ("https://api.bing.com/osjson.aspx?query=volc", "bing"),
    ("https://duckduckgo.com/ac/?q=ott&kl=wt-wt", "duckduckgo"),
    ("https://search.yahoo.com/sugg/gossip/gossip-us-ura/?output=sd1&command=wea", "yahoo"),
    ("https://ac.ecosia.org/autocomplete?q=tre&type=list", "ecosia"),
    ("https://search.brave.com/api/suggest?q=lio&rich=true", "brave"),
    ("https://yandex.ru/suggest/suggest-ya.cgi?part=%D1%88%D0%B0%D1%85", "yandex"),
    ("https://suggest.yandex.com/suggest-ff.cgi?part=che", "yandex"),
    # Wikipedia's search box, old and new.
    ("https://en.wikipedia.org/w/api.php?action=opensearch&format=json&search=tud", "wikipedia"),
    ("https://en.wikipedia.org/w/rest.php/v1/search/title?q=tud&limit=10", "wikipedia"),
    # Amazon, Reddit, X, Pinterest, Instagram, eBay, Qwant, Baidu, Naver
    ("https://completion.amazon.co.uk/api/2017/suggestions?mid=A1F83G8C2ARO7P&prefix=penc", "amazon"),
    ("https://www.reddit.com/api/search_reddit_names.json?query=gcs", "reddit"),
    ("https://www.reddit.com/svc/shreddit/search-typeahead?query=gcs", "reddit"),
    ("https://x.com/i/api/1.1/search/typeahead.json?q=foot&src=search_box", "x"),
    ("https://www.pinterest.co.uk/resource/AdvancedTypeaheadResource/get/?data=%7B%7D", "pinterest"),
    ("https://www.instagram.com/web/search/topsearch/?query=draw", "instagram"),
    ("https://autosug.ebay.com/autosug?kwd=footb", "ebay"),
    ("https://api.qwant.com/v3/suggest?q=from", "qwant"),
    ("https://www.baidu.com/sugrec?prod=pc&wd=%E7%86%8A", "baidu"),
    ("https://ac.search.naver.com/nx/ac?q=%EA%B3%A0", "naver"),
    # A tunnel to a host that only ever suggests is typing, not a search.
    ("suggestqueries.google.com:443", "google"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "engine"), SUGGESTIONS)
def test_a_suggestion_is_never_a_search(url: str, engine: str) -> None:
    assert classify(url) == UrlSearch(engine, None, True)
    assert search_term(url) is None


NOT_SEARCHES = [
    # Other pages of the same sites: the engine is known, there is no term.
    ("https://www.google.com/", "google"),
    ("https://www.google.com/url?q=https://example.org/&sa=U", "google"),  # a result's link, not a search
    ("https://www.google.com/imgres?imgurl=https://example.org/a.jpg", "google"),
    ("https://www.google.com/maps/place/Big+Ben/@51.5,-0.12,17z", "google_maps"),
    ("https://www.google.com/searchfoo.js", "google"),
    ("https://www.google.com/search", "google"),  # no q at all
    ("https://www.google.com/search?q=", "google"),  # an empty one
    ("https://www.google.com/search?q=+++%20", "google"),  # nothing but spaces
    ("https://www.google.com/search?q=%E2%80%AE%E2%80%8B", "google"),  # nothing but invisible characters
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&q=not+a+search", "youtube"),
    ("https://www.youtube.com/results", "youtube"),
    ("https://en.wikipedia.org/wiki/Henry_VIII", "wikipedia"),
    ("https://en.wikipedia.org/w/api.php?action=query&titles=Cat", "wikipedia"),
    ("https://www.bing.com/", "bing"),
    ("https://duckduckgo.com/", "duckduckgo"),
    ("https://html.duckduckgo.com/html/", "duckduckgo"),  # the POST form: no term in the URL
    ("https://www.amazon.co.uk/dp/B000000000", "amazon"),
    ("https://www.reddit.com/r/GCSE/", "reddit"),
    ("https://www.bbc.co.uk/bitesize", "bbc"),
    ("https://www.kiddle.co/", "kiddle"),
    ("https://clients1.google.com/generate_204", "google"),
    # Tunnels (CONNECT host:443) and DNS names: a known host, never a term.
    ("www.google.com:443", "google"),
    ("www.youtube.com:443", "youtube"),
    ("duckduckgo.com:443", "duckduckgo"),
    ("www.bing.com", "bing"),
    ("en.wikipedia.org", "wikipedia"),
    ("www.google.co.uk.", "google"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "engine"), NOT_SEARCHES)
def test_a_page_that_is_not_a_search_has_no_term(url: str, engine: str) -> None:
    assert classify(url) == UrlSearch(engine, None, False)


OTHER_SITES = [
    # Look-alike hosts are no engine.
    "https://google.com.evil.example/search?q=x",
    "https://www.google.com.evil.example/search?q=x",
    "https://notgoogle.com/search?q=x",
    "https://google.evil/search?q=x",
    "https://www.bing.com.example.net/search?q=x",
    "https://duckduckgo.co/?q=x",
    "https://youtube.example/results?search_query=x",
    "https://evil.example/www.google.com/search?q=x",
    "https://evil.example/?url=https://www.google.com/search?q=x",
    "https://www.google.com@evil.example/search?q=x",  # userinfo: the host is evil.example
    "https://wikipedia.org.evil.example/w/index.php?search=x",
    "https://www.gооgle.com/search?q=x",  # Cyrillic o's
    # Other Google services are not Google search.
    "https://docs.google.com/document/d/1abc/edit?q=x",
    "https://mail.google.com/mail/u/0/#search/x",
    "https://accounts.google.com/search?q=x",
    # Not URLs of a site, or of none.
    "https://example.org/search?q=x",
    "http://[2001:db8::1]/search?q=x",
    "http://192.0.2.1/search?q=x",
    "",
    "search?q=x",
    "/search?q=x",
    "?q=x",
    "://",
    "example.org:443",
    "data:text/html,<h1>hi</h1>",
]


@pytest.mark.parametrize("url", OTHER_SITES)
def test_a_url_of_no_known_engine_is_no_search(url: str) -> None:
    assert classify(url) == UrlSearch(None, None, False)


ENCODINGS = [
    # + is a space in a query string; %2B is a +; %20 a space.
    ("q=a+b", "a b"),
    ("q=c%2B%2B", "c++"),
    ("q=1%2B1%3D2", "1+1=2"),
    ("q=a%20b", "a b"),
    ("q=50%25", "50%"),
    # Invalid percent-encoding is kept as it came; invalid UTF-8 is U+FFFD.
    ("q=%ZZ", "%ZZ"),
    ("q=100%", "100%"),
    ("q=%E2%28%A1", "\ufffd(\ufffd"),
    ("q=caf%E9", "caf\ufffd"),  # Latin-1, not UTF-8
    # UTF-8: Arabic, Urdu, Polish, emoji, Chinese; decomposed letters made NFC.
    ("q=%D9%83%D9%8A%D9%81+%D8%A7%D9%86%D8%AA%D8%AD%D8%B1", "كيف انتحر"),
    ("q=%D8%AE%D9%88%D8%AF%DA%A9%D8%B4%DB%8C", "خودکشی"),
    ("q=jak+si%C4%99+zabi%C4%87", "jak się zabić"),
    ("q=%F0%9F%98%AD%F0%9F%98%AD", "😭😭"),
    ("q=e%CC%81cole", "\u00e9cole"),
    # Right-to-left overrides and isolates, zero-width and other invisible characters are removed; the
    # right-to-left letters themselves are kept.
    ("q=%E2%80%AEkill+me", "kill me"),
    ("q=ab%E2%80%AEcd%E2%80%AC", "abcd"),
    ("q=%E2%81%A7%D9%83%D9%8A%D9%81%E2%81%A9", "كيف"),
    ("q=su%E2%80%8Bi%E2%80%8Dcide", "suicide"),
    ("q=%EF%BB%BFbom", "bom"),
    ("q=soft%C2%ADhyphen", "softhyphen"),
    # Control characters: NUL, C0, DEL and C1 go; tabs, new lines and other spaces become one space.
    ("q=a%00b", "ab"),
    ("q=a%07%1B%7Fb", "ab"),
    ("q=a%C2%85b%C2%9Bc", "a bc"),  # NEL is a line break; CSI is not
    ("q=a%09b%0D%0Ac", "a b c"),
    ("q=%20%20a%C2%A0%C2%A0b%E3%80%80c%E2%80%A8d++", "a b c d"),
    # Case is kept: the phrase matcher folds it.
    ("q=How+To+REVISE", "How To REVISE"),
    # The first non-empty value of a repeated parameter.
    ("q=&q=second", "second"),
    ("q=first&q=second", "first"),
    ("%71=encoded+name", "encoded name"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "term"), ENCODINGS)
def test_a_term_is_decoded_and_tidied(query: str, term: str) -> None:
    assert classify(f"https://www.google.com/search?{query}") == UrlSearch("google", term, False)


def test_a_raw_character_in_the_url_is_taken_as_it_is() -> None:
    # A URL that reached us unencoded (a DNS name cannot, but a test tool or a careless gateway can).
    assert search_term("https://www.google.com/search?q=كيف انتحر") == "كيف انتحر"
    assert search_term("https://www.google.com/search?q=caf\udce9") == "caf\ufffd"  # a lone surrogate
    assert search_term("https://www.google.com/search?q=a\x00b\u202ec") == "abc"


def test_a_path_term_keeps_plus_unless_the_site_means_a_space() -> None:
    assert search_term("https://open.spotify.com/search/c++") == "c++"
    assert search_term("https://open.spotify.com/search/c%2B%2B%20tutorial") == "c++ tutorial"
    assert search_term("https://www.google.com/maps/search/pizza+hut") == "pizza hut"
    assert search_term("https://en.wikipedia.org/wiki/Special:Search/C%2B%2B_language") == "C++ language"


def test_a_fragment_is_never_read() -> None:
    # Browsers never send a fragment; a URL with one is read without it.
    assert classify("https://www.google.com/webhp#q=cats") == UrlSearch("google", None, False)
    assert search_term("https://www.google.com/search?q=dogs#q=cats") == "dogs"


def test_a_long_term_is_cut_at_a_character() -> None:
    emoji = "%F0%9F%98%AD" * 600
    term = search_term(f"https://www.google.com/search?q={emoji}")
    assert term == "😭" * MAX_TERM
    words = search_term("https://www.google.com/search?q=" + "abc+" * 200)
    assert words == ("abc " * 200)[: MAX_TERM - 1]  # cut at 500, then its trailing space


def test_only_the_first_8_kib_of_a_url_is_read() -> None:
    head = "https://www.google.com/search?"
    padding = "x=" + "y" * (MAX_URL - len(head) - 2 - 5)
    assert search_term(f"{head}{padding}&q=abc") == "ab"  # "&q=ab" fits, "c" does not
    assert search_term(f"{head}{padding}xxxxxx&q=abc") is None
    assert classify("https://www.google.com/search?q=" + "%" * 1_000_000).term == "%" * MAX_TERM


def test_every_engine_in_the_table_is_tested() -> None:
    tested = {engine for _, engine, _ in SEARCHES} | {engine for _, engine in SUGGESTIONS}
    assert tested == ENGINES


def test_any_string_is_classified_without_error() -> None:
    """Random bytes, random Unicode and random damage to real URLs: classify never raises, and what it
    gives keeps its promises (a term is tidy and short, a suggestion has no term)."""
    rng = random.Random(15)
    prefixes = [url for url, _, _ in SEARCHES[::3]] + [url for url, _ in SUGGESTIONS[::3]] + [""]
    alphabet = "%%%&&==+//??##;:@[]. aq0F\x00\x1b\x7f\x85\u202e\u200b\ufeff\ud800\udcff كي😭é\u0301"
    for _ in range(3000):
        shape = rng.randrange(4)
        if shape == 0:
            text = bytes(rng.randrange(256) for _ in range(rng.randrange(200))).decode("latin-1")
        elif shape == 1:
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
            text = noise.decode("utf-8", "surrogateescape")
        elif shape == 2:
            text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(100)))
        else:
            text = rng.choice(prefixes) + "".join(rng.choice(alphabet) for _ in range(rng.randrange(300)))
        found = classify(text)
        assert found.engine is None or found.engine in ENGINES
        if found.suggestion:
            assert found.term is None
        if found.term is not None:
            term = found.term
            assert 0 < len(term) <= MAX_TERM
            assert term == term.strip()
            assert "  " not in term
            assert unicodedata.is_normalized("NFC", term)
            assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in term), ascii(term)


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        ("h", "ho", True),
        ("ho", "how", True),
        ("how", "how to", True),
        ("how ", "how to", True),
        ("How", "how TO", True),  # case does not matter
        ("how  to", "how to revise", True),  # nor runs of spaces
        ("how", "how", False),  # the same term again is not an extension
        ("how", "HOW", False),
        ("how to", "how", False),  # shorter
        ("hpw", "how", False),  # a correction
        ("cat", "dog", False),
        ("كي", "كيف", True),
        ("", "a", True),
    ],
)
def test_extends(earlier: str, later: str, expected: bool) -> None:
    assert extends(earlier, later) is expected


@pytest.mark.parametrize(
    ("terms", "kept"),
    [
        ([], []),
        ([(0.0, "how")], [0]),
        # The keystroke trail collapses into its end.
        ([(0.0, "h"), (0.4, "ho"), (0.9, "how"), (1.5, "how to"), (2.0, "how to revise")], [4]),
        # With a correction in the middle, it still does.
        ([(0.0, "how"), (1.0, "ho"), (2.0, "how to")], [2]),
        # Two searches, the second not an extension of the first: both kept.
        ([(0.0, "cats"), (5.0, "dogs")], [0, 1]),
        # A search extended only much later was a search of its own.
        ([(0.0, "cats"), (60.0, "cats and dogs")], [0, 1]),
        ([(0.0, "cats"), (15.0, "cats and dogs")], [1]),  # at the limit: still a trail
        ([(0.0, "cats"), (15.001, "cats and dogs")], [0, 1]),
        # The next page of the same results is not an extension; the caller de-duplicates it.
        ([(0.0, "cats"), (3.0, "cats")], [0, 1]),
        # Case and spaces do not stop a trail.
        ([(0.0, "How"), (1.0, "how  TO")], [1]),
        # Two trails one after the other.
        ([(0.0, "c"), (0.5, "ca"), (1.0, "cat"), (30.0, "d"), (30.5, "do"), (31.0, "dog")], [2, 5]),
    ],
)
def test_collapse(terms: list[tuple[float, str]], kept: list[int]) -> None:
    assert collapse(terms) == kept


def test_collapse_takes_its_window() -> None:
    trail = [(0.0, "cats"), (10.0, "cats and dogs")]
    assert collapse(trail, within=5.0) == [0, 1]
    assert collapse(trail, within=10.0) == [1]
    assert collapse(trail, within=0.0) == [0, 1]


@pytest.mark.parametrize("within", [-1.0, float("nan")])
def test_collapse_refuses_a_window_that_is_not_a_number_of_seconds(within: float) -> None:
    with pytest.raises(ValueError, match="within must be a number of seconds"):
        collapse([(0.0, "a")], within=within)


def test_collapse_looks_a_bounded_number_of_searches_ahead() -> None:
    # A flood of searches in one second (a script, not a person) is compared only so far ahead, which keeps
    # collapse linear: an extension 40 searches later does not leave the first out, 30 later does.
    near = [(0.0, "a"), *[(0.0, "b")] * 30, (0.0, "ab")]
    far = [(0.0, "a"), *[(0.0, "b")] * 40, (0.0, "ab")]
    assert 0 not in collapse(near)
    assert 0 in collapse(far)
    flood = [(0.0, "same")] * 100_000
    assert collapse(flood) == list(range(100_000))


def test_the_module_doctests_pass() -> None:
    result = doctest.testmod(terms)
    assert result.attempted > 0
    assert result.failed == 0
