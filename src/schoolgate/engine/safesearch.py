"""Safe search locked on where the full URL is visible (plain HTTP, or HTTPS with interception).

A search request of a group whose `safe_search` is on is rewritten before it leaves the school: Google
gets `safe=active`, Bing `adlt=strict`, DuckDuckGo `kp=1`, Yahoo `vm=r`. A parameter the pupil set
("safe=off") is replaced, not kept alongside. YouTube's strictness is a request header
(`YouTube-Restrict: Strict` or `Moderate`) that the gateway adds to every request for a YouTube host,
per the group's `youtube` setting.

Pure: `safe_search_url(url, host)` only looks at the two strings it is given.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote_plus, urlsplit

__all__ = [
    "SAFE_SEARCH_HOSTS",
    "YOUTUBE_HOSTS",
    "safe_search_url",
]

# Google's own country domains (www.google.<suffix> and google.<suffix>).
_GOOGLE_SUFFIXES: Final = """
com ad ae com.af com.ag al am co.ao com.ar as at com.au az ba com.bd be bf bg com.bh bi bj com.bn
com.bo com.br bs bt co.bw by com.bz ca cat cd cf cg ch ci co.ck cl cm cn com.co co.cr com.cu cv
com.cy cz de dj dk dm com.do dz com.ec ee com.eg es com.et fi com.fj fm fr ga ge gg com.gh com.gi
gl gm gr com.gt gy com.hk hn hr ht hu co.id ie co.il im co.in iq is it je com.jm jo co.jp co.ke
com.kh ki kg co.kr com.kw kz la com.lb li lk co.ls lt lu lv com.ly co.ma md me mg mk ml com.mm mn
com.mt mu mv mw com.mx com.my co.mz com.na com.ng com.ni ne nl no com.np nr nu co.nz com.om com.pa
com.pe com.pg com.ph com.pk pl pn com.pr ps pt com.py com.qa ro rs ru rw com.sa com.sb sc se
com.sg sh si sk com.sl sn so sm sr st com.sv td tg co.th com.tj tl tm tn to com.tr tt com.tw
co.tz com.ua co.ug co.uk com.uy co.uz com.vc co.ve co.vi com.vn vu ws co.za co.zm co.zw
""".split()  # noqa: SIM905 - a table is easier to read and check than 190 quoted strings

GOOGLE_HOSTS: Final = frozenset(
    name for suffix in _GOOGLE_SUFFIXES for name in (f"google.{suffix}", f"www.google.{suffix}")
)
BING_HOSTS: Final = frozenset({"bing.com", "www.bing.com", "cn.bing.com"})
DUCKDUCKGO_HOSTS: Final = frozenset({"duckduckgo.com", "www.duckduckgo.com", "html.duckduckgo.com"})
YAHOO_HOSTS: Final = frozenset({"search.yahoo.com", "uk.search.yahoo.com", "images.search.yahoo.com"})

# host -> (the parameter, the value that locks safe search on, the paths that search)
_GOOGLE = ("safe", "active", ("/search", "/webhp", "/images", "/imghp", "/complete/search"))
_BING = ("adlt", "strict", ("/search", "/images/search", "/videos/search", "/news/search"))
_DUCKDUCKGO = ("kp", "1", ("/", "/html", "/lite"))
_YAHOO = ("vm", "r", ("/search",))
_PARAMETER: Final[dict[str, tuple[str, str, tuple[str, ...]]]] = {
    **dict.fromkeys(GOOGLE_HOSTS, _GOOGLE),
    **dict.fromkeys(BING_HOSTS, _BING),
    **dict.fromkeys(DUCKDUCKGO_HOSTS, _DUCKDUCKGO),
    **dict.fromkeys(YAHOO_HOSTS, _YAHOO),
}

SAFE_SEARCH_HOSTS: Final = frozenset(_PARAMETER)

YOUTUBE_HOSTS: Final = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtubei.googleapis.com",
        "youtube.googleapis.com",
        "www.youtube-nocookie.com",
    }
)


def safe_search_url(url: str, host: str) -> str | None:
    """The URL with safe search locked on, or None when it needs no change (not a search engine,
    not one of its search pages, or the parameter already locked).

    Only the query text is touched, and only where it names the parameter (in any case, encoded or
    not): every other byte of the URL stays as it came, so nothing else the page was asked changes."""
    locked = _PARAMETER.get(host)
    if locked is None:
        return None
    name, value, paths = locked
    head, _, rest = url.partition("?")
    query, hash_mark, fragment = rest.partition("#")
    path = urlsplit(head).path or "/"
    if not any(path == p or path.startswith(p.rstrip("/") + "/") for p in paths if p != "/") and not (
        "/" in paths and path == "/" and query
    ):
        return None
    pieces = query.split("&") if query else []
    kept = [piece for piece in pieces if unquote_plus(piece.partition("=")[0]).lower() != name]
    if [piece for piece in pieces if piece not in kept] == [f"{name}={value}"]:
        return None  # already locked, once
    kept.append(f"{name}={value}")
    return f"{head}?{'&'.join(kept)}{hash_mark}{fragment}"
