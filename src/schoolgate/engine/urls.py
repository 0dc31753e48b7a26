# Speed (CPython 3.11.7, timeit, best of 7 x 200k calls, one core of the dev container):
#   parse_url("http://www.example.com/path/x.html?q=1")   ~1.0 µs  (fast path: one regex match)
#   parse_url("example.com:443")                          ~1.0 µs  (fast path)
#   parse_url("https://cdn.example.co.uk:8443/a/b.js?v=1") ~1.3 µs  (fast path)
#   canonical_host("www.example.com")                     ~0.3 µs
#   slow path: "%20" in the path ~4 µs, IPv4 host ~3 µs, IPv6 literal ~9 µs, a host with Unicode
#   labels (UTS #46) ~12-25 µs ("bücher.example" ~13 µs; the IDNA 2003 codec before it took ~18 µs).
# Every path is linear in the length of the input (100 KB of garbage takes a few milliseconds at most).
"""Request-URL and host canonicalisation for the filter engine.

Every URL the filter decides on goes through :func:`parse_url` first, so that blocklist lookups see one
spelling of each host and path however the request was written.  The rules follow the WHATWG URL
standard where it matters for filtering (host parsing, IPv4 number forms, backslashes, tabs and newlines)
and RFC 3986 otherwise (dot-segment removal).  The module is pure: no I/O, no clock, no global state.

>>> parse_url("HTTP://WWW.Example.COM./a/./b/../c//d.html?q=%41#top")
Url(scheme='http', host='www.example.com', port=None, target='/a/c/d.html?q=A', is_ip=False)
>>> parse_url("example.com:443")
Url(scheme='', host='example.com', port=443, target='', is_ip=False)
>>> parse_url("http://ok.com@0xC0A80101:8080/%2e%2e/x%00y")
Url(scheme='http', host='192.168.1.1', port=8080, target='/x%00y', is_ip=True)
>>> parse_url("http://bad host/") is None
True
>>> canonical_host("Bücher.example.")
'xn--bcher-kva.example'
>>> canonical_host("straße.de")  # UTS #46 as browsers do it, not IDNA 2003's "strasse.de"
'xn--strae-oqa.de'
>>> canonical_host("[2001:DB8::1]")
'[2001:db8::1]'
>>> strip_www("www2.example.com")
'example.com'
"""

import ipaddress
import re
import unicodedata
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

from idna import IDNAError, check_bidi, uts46_remap, valid_contextj

try:
    from schoolgate.engine._urls import fast_url
except ImportError:  # not built (no C compiler): the Python fast path below does the same, slower
    fast_url = None  # type: ignore[assignment]

# fast_url(text, Url): parse_url's fast path in C, or None when the C part is not built. It gives a Url
# or None, and None means only "not on the fast path": call parse_url.
__all__ = ["Url", "canonical_host", "fast_url", "parse_url", "strip_www"]


class Url(NamedTuple):
    """A request URL reduced to what the filter matches on.

    ``target`` may contain lone surrogates (``\\udc80``-``\\udcff``) standing for percent-decoded bytes that
    are not UTF-8; encode it with ``errors="surrogateescape"`` to get the bytes back.
    """

    scheme: str  # lowercased scheme ("http", "https", "ftp", ...); "" for authority form ("host:443")
    host: str  # canonical host, see canonical_host
    port: int | None  # explicit port if the URL gave one, else None
    target: str  # canonical "path" or "path?query" (no fragment), case preserved; "" for authority form
    is_ip: bool  # host is an IPv4 dotted quad or a bracketed IPv6 literal


# The fast paths build the tuple directly: a NamedTuple's own __new__ is a Python call, and this is
# the hot path of every gateway.
_new = tuple.__new__

# --- patterns -------------------------------------------------------------------------------------------

# A host that is already canonical: lowercase ASCII labels, the last one starting with a letter (so it can
# be neither an IPv4 number nor "0x..."), no trailing dot.  The caller also checks the 253-character limit.
# The fast patterns use possessive quantifiers so that a near miss fails at once instead of backtracking.
_FAST_HOST = r"(?:[a-z0-9_-]{1,63}+\.)*+[a-z_-][a-z0-9_-]{0,62}+"
_FAST_HOST_RE = re.compile(_FAST_HOST)
# The common case of a whole URL: lowercase scheme and host, optional port, and a path and query that need
# no decoding, no backslash handling and no whitespace stripping (slashes and dot segments checked after).
# The common case of a whole URL: scheme, a host of dotted labels (a trailing dot allowed), optional port,
# and a path and query that need no decoding, no backslash handling and no whitespace stripping (slashes
# and dot segments checked after). A host whose last label starts with a digit is checked in Python: a
# canonical dotted quad stays on the fast path, any other number goes to the full WHATWG parser.
_FAST_NAME = r"([a-z0-9_-]{1,63}+(?:\.[a-z0-9_-]{1,63}+)*+)\.?+"
_FAST_URL_RE = re.compile(
    r"([a-z][a-z0-9+.-]*+)://"
    + _FAST_NAME
    + r"(?::([0-9]{1,5}+))?+(/[^?#%\\\x00-\x20\x7f]*+)?+(\?[^#%\x00-\x20\x7f]*+)?+"
)
# The same with upper-case letters in the scheme and host (case-insensitive), lowercased after the match.
_FAST_URL_ANY_CASE_RE = re.compile(_FAST_URL_RE.pattern, re.IGNORECASE)
_FAST_AUTHORITY_RE = re.compile(_FAST_NAME + r"(?::([0-9]{1,5}+))?+", re.IGNORECASE)
# A canonical dotted-decimal IPv4 address (no leading zeros, every part 0..255).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD_RE = re.compile(r"(?:" + _OCTET + r"\.){3}" + _OCTET)

_DOMAIN_RE = re.compile(r"(?:[a-z0-9_-]{1,63}+\.)*+[a-z0-9_-]{1,63}+")
# WHATWG "ends in a number": the last label is all digits, or parses as an IPv4 number ("0x", "0x1f").
_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0x[0-9a-f]*")
_IPV4_DIGITS_RE = {
    10: re.compile(r"[0-9]+"),
    16: re.compile(r"[0-9a-f]+"),
    8: re.compile(r"[0-7]+"),
}
_IPV6_RE = re.compile(r"\[([0-9A-Fa-f:.]{2,64})\]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*+):")
_ESCAPES_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})++")
_SLASHES_RE = re.compile(r"/{2,}")
_WWW_RE = re.compile(r"(?:www|web|ftp)[0-9]*\.")

_SPECIAL_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss"})
_STRIP_CHARS = "".join(map(chr, range(0x21))) + "\x7f"  # C0 controls, space and DEL
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
# Right-to-left and Arabic-number characters: a host with one of them is a "Bidi domain name" (RFC 5893),
# whose every label must then pass the Bidi Rule.
_BIDI_RTL = frozenset({"R", "AL", "AN"})
_JOINERS_RE = re.compile("[\u200c\u200d]")

_MAX_HOST = 253
_MAX_LABELS = 127  # 127 one-character labels and their dots already make 253 characters
# Bounds the quadratic punycode encoder and decoder.  It is applied after the UTS #46 mapping (which
# removes soft hyphens, variation selectors and the like), and the A-label of a label with n code points
# has at least n + 4 characters, so a longer label could never make a DNS label (63 at most) anyway.
_MAX_LABEL = 63
# The longest host text the UTS #46 mapping is asked to read (the `idna` package's own limit).
_MAX_HOST_TEXT = 1024
_MAX_PORT = 65535


# --- public API -----------------------------------------------------------------------------------------


def parse_url(text: str) -> Url | None:
    """Parse a request URL (``scheme://authority/path?query``) or a CONNECT target (``host[:port]``).

    Returns ``None`` when the text is not a usable URL; the caller then applies the policy's answer for
    unparsable requests.  Never raises.
    """
    if fast_url is not None:
        url: Url | None = fast_url(text, Url)
        if url is not None:
            return url
    return _parse_url_python(text)


def _parse_url_python(text: str) -> Url | None:
    """`parse_url` without the C fast path (`fast_url`, from _urls.c): the reference it is tested against."""
    m = _FAST_URL_RE.fullmatch(text)
    if m is not None:
        scheme, host, port_text, path, query = m.groups()
    else:
        m = _FAST_URL_ANY_CASE_RE.fullmatch(text)
        if m is not None:
            scheme, host, port_text, path, query = m.groups()
            scheme, host = scheme.lower(), host.lower()
    if m is not None:
        if len(host) <= _MAX_HOST and (path is None or ("//" not in path and "/." not in path)):
            # A host that ends in a number (WHATWG) is fast only as a canonical dotted quad.
            is_ip = "0" <= host[host.rfind(".") + 1] <= "9"
            if not is_ip or _DOTTED_QUAD_RE.fullmatch(host) is not None:
                port = None
                if port_text is not None:
                    port = int(port_text)
                    if port > _MAX_PORT:
                        return None
                target = path or "/"
                if query is not None:
                    target += query
                return _new(Url, (scheme, host, port, target, is_ip))
    elif "/" not in text:
        m = _FAST_AUTHORITY_RE.fullmatch(text)
        if m is not None:
            host, port_text = m.groups()
            fast = _fast_host(host)
            if fast is not None:
                port = None
                if port_text is not None:
                    port = int(port_text)
                    if port > _MAX_PORT:
                        return None
                return _new(Url, ("", fast[0], port, "", fast[1]))
    try:
        return _parse_url(text)
    except Exception:  # pragma: no cover - defensive only; the property tests call _parse_url unguarded
        return None


def _fast_host(host: str) -> tuple[str, bool] | None:
    """(canonical host, is_ip) for a host the fast patterns matched, or None for the full parser."""
    if len(host) > _MAX_HOST:
        return None
    host = host.lower()
    last = host[host.rfind(".") + 1]
    if "0" <= last <= "9":  # ends in a number (WHATWG): only a canonical dotted quad is fast
        return (host, True) if _DOTTED_QUAD_RE.fullmatch(host) is not None else None
    return host, False


def canonical_host(text: str) -> str | None:
    """Return the canonical form of a host, or ``None`` if it is not a valid host.  Never raises.

    Domains come back lowercase, with IDNA A-labels and no trailing dot; IPv4 addresses in any form a
    browser accepts come back as a dotted quad; IPv6 literals come back bracketed and compressed.
    Unicode labels become the A-labels the browser sends (UTS #46, see `_to_ascii`), so that a list
    entry written in either form matches the request; this is the one conversion the list readers,
    the policy and the DNS export use.
    """
    try:
        result = _host(text)
    except Exception:  # pragma: no cover - defensive only; the property tests call _host unguarded
        return None
    return None if result is None else result[0]


def strip_www(host: str) -> str:
    """Remove one leading ``www``/``web``/``ftp`` label (optionally numbered) from a canonical host.

    ``"www2.x.com"`` -> ``"x.com"``; ``"webmail.x.com"`` is unchanged; ``"www.www.x.com"`` -> ``"www.x.com"``.
    A host that is nothing but such a label followed by a dot is returned unchanged.
    """
    m = _WWW_RE.match(host)
    if m is None or m.end() == len(host):
        return host
    return host[m.end() :]


# --- URL parsing ----------------------------------------------------------------------------------------


def _parse_url(text: str) -> Url | None:
    """The full parser, for everything the fast paths in :func:`parse_url` do not accept."""
    text = text.strip(_STRIP_CHARS)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(_TAB_NEWLINE)
    m = _SCHEME_RE.match(text)
    if m is not None:
        scheme = m.group(1).lower()
        rest = text[m.end() :]
        if scheme in _SPECIAL_SCHEMES and "\\" in rest:
            # WHATWG: in special URLs a backslash is a slash, up to the query or fragment.
            end = _find_first(rest, "?#")
            rest = rest[:end].replace("\\", "/") + rest[end:]
        if rest.startswith("//"):
            return _parse_hierarchical(scheme, rest[2:])
    return _parse_authority_form(text)


def _parse_hierarchical(scheme: str, rest: str) -> Url | None:
    """Parse what follows ``scheme://``."""
    end = _find_first(rest, "/?#")
    authority = rest[:end]
    hostport = authority[authority.rfind("@") + 1 :]  # userinfo runs to the last "@"
    split = _split_host_port(hostport)
    if split is None:
        return None
    host = _host(split[0])
    if host is None:
        return None
    tail = rest[end:]
    hash_at = tail.find("#")
    if hash_at != -1:
        tail = tail[:hash_at]
    path, qmark, query = tail.partition("?")
    target = _canonical_path(path)
    if qmark:
        target += "?" + (_percent_decode(query) if "%" in query else query)
    return Url(scheme, host[0], split[1], target, host[1])


def _parse_authority_form(text: str) -> Url | None:
    """Parse a CONNECT target, ``host[:port]``."""
    if "/" in text:
        return None
    split = _split_host_port(text)
    if split is None:
        return None
    host = _host(split[0])
    if host is None:
        return None
    return Url("", host[0], split[1], "", host[1])


def _split_host_port(hostport: str) -> tuple[str, int | None] | None:
    """Split ``host[:port]`` at the last colon outside brackets; ``None`` if the port is not valid."""
    colon = hostport.rfind(":")
    if colon == -1 or hostport.find("]", colon) != -1:
        return hostport, None
    host = hostport[:colon]
    port_text = hostport[colon + 1 :]
    if not port_text:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()):
        return None
    port_text = port_text.lstrip("0")
    if len(port_text) > 5:
        return None
    port = int(port_text) if port_text else 0
    if port > _MAX_PORT:
        return None
    return host, port


def _find_first(text: str, chars: str) -> int:
    """Index of the first occurrence of any of ``chars`` in ``text``, or ``len(text)``."""
    end = len(text)
    for ch in chars:
        i = text.find(ch, 0, end)
        if i != -1:
            end = i
    return end


def _canonical_path(path: str) -> str:
    """Percent-decode once, collapse runs of slashes, remove dot segments.  ``path`` is "" or starts "/"."""
    if not path:
        return "/"
    if "%" in path:
        path = _percent_decode(path)
    if "//" in path:
        path = _SLASHES_RE.sub("/", path)
    if "/." in path:
        path = _remove_dot_segments(path)
    return path


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path without empty segments (slashes already collapsed)."""
    segments = path.split("/")
    last = len(segments) - 1
    out: list[str] = []
    for i in range(1, len(segments)):
        segment = segments[i]
        if segment in (".", ".."):
            if segment == ".." and out:
                out.pop()
            if i == last:
                out.append("")  # "/a/b/.." -> "/a/", "/a/." -> "/a/"
        else:
            out.append(segment)
    return "/" + "/".join(out)


def _percent_decode(text: str) -> str:
    """Decode each ``%XX`` once, keeping ``%00`` and ``%20`` as text and invalid escapes as they are."""
    return _ESCAPES_RE.sub(_decode_escape_run, text)


def _decode_escape_run(m: re.Match[str]) -> str:
    decoded = bytes.fromhex(m.group().replace("%", "")).decode("utf-8", "surrogateescape")
    if "\x00" in decoded:
        decoded = decoded.replace("\x00", "%00")
    if " " in decoded:
        decoded = decoded.replace(" ", "%20")
    return decoded


# --- hosts ----------------------------------------------------------------------------------------------


def _host(text: str) -> tuple[str, bool] | None:
    """Canonical host and whether it is an IP address, or ``None``."""
    if len(text) <= _MAX_HOST and _FAST_HOST_RE.fullmatch(text) is not None:
        return text, False
    if _DOTTED_QUAD_RE.fullmatch(text) is not None:
        return text, True
    if not text:
        return None
    if text[0] == "[":
        return _ipv6(text)
    if "%" in text:
        if _SURROGATE_RE.search(text) is not None:
            return None
        try:
            text = unquote_to_bytes(text).decode("utf-8")
        except UnicodeError:
            return None
    if text.isascii():
        text = text.lower().rstrip(".")
    else:
        converted = _to_ascii(text)
        if converted is None:
            return None
        text = converted
    if not text:
        return None
    if _NUMERIC_LABEL_RE.fullmatch(text, text.rfind(".") + 1) is not None:
        ipv4 = _ipv4(text)
        return None if ipv4 is None else (ipv4, True)
    if len(text) > _MAX_HOST or _DOMAIN_RE.fullmatch(text) is None:
        return None
    return text, False


def _to_ascii(text: str) -> str | None:
    """A non-ASCII host as the browser sends it: UTS #46 ToASCII, or ``None`` where the browser refuses.

    This is what Chromium does (and what the WHATWG URL standard asks): the UTS #46 mapping, without
    transitional processing (``ß``, ``ς``, ZWJ and ZWNJ are kept, so ``straße.de`` is
    ``xn--strae-oqa.de``, never ``strasse.de``), CheckHyphens off, CheckJoiners and CheckBidi on, and the
    STD3 rules off (the emoji of ``i❤.ws`` are valid).  ``idna.encode`` is not used because it also
    applies IDNA 2008's stricter code point rules, which refuse hosts the browser asks for.  A-labels in
    such a host must decode to a valid label, as in the browser; an all-ASCII host never comes here and
    is taken as written (lowercased), as Chromium takes it.  Trailing dots are removed.
    """
    if len(text) > _MAX_HOST_TEXT or _SURROGATE_RE.search(text) is not None:
        return None
    try:
        # Maps case, width, the ideographic full stops (to "."), compatibility forms; NFC; raises for
        # code points UTS #46 disallows.
        mapped = uts46_remap(text, std3_rules=False)
    except (IDNAError, ValueError):
        return None
    labels = mapped.rstrip(".").split(".")
    if len(labels) > _MAX_LABELS:
        return None
    out: list[str] = []
    unicode_labels: list[str] = []
    for label in labels:
        if len(label) > _MAX_LABEL:
            return None
        if label.isascii():
            if label.startswith("xn--"):
                decoded = _decode_a_label(label)
                if decoded is None:
                    return None
                unicode_labels.append(decoded)
            else:
                unicode_labels.append(label)
            out.append(label)
            continue
        if not _valid_label(label):
            return None
        unicode_labels.append(label)
        out.append("xn--" + label.encode("punycode").decode("ascii"))
    if not _bidi_ok(unicode_labels):
        return None
    return ".".join(out)


def _decode_a_label(label: str) -> str | None:
    """The U-label that a lowercase ``xn--`` label stands for, or ``None`` if the browser would refuse it:
    bad Punycode, nothing or only ASCII encoded, not the one canonical spelling, or not a valid label."""
    body = label[4:]
    try:
        decoded = body.encode("ascii").decode("punycode")
    except (UnicodeError, ValueError, IndexError, OverflowError):
        return None
    if not decoded or decoded.isascii() or decoded.encode("punycode").decode("ascii") != body:
        return None
    return decoded if _valid_label(decoded) else None


def _valid_label(label: str) -> bool:
    """The UTS #46 validity criteria for a non-ASCII label, non-transitional, CheckHyphens off and
    CheckJoiners on (the Bidi Rule is checked over the whole host, by `_bidi_ok`)."""
    if label.startswith("xn--") or unicodedata.category(label[0]).startswith("M"):
        return False
    try:
        # Every code point valid (or a deviation, kept) and the label in NFC: mapping changes nothing.
        if uts46_remap(label, std3_rules=False) != label:
            return False
        # ZWNJ and ZWJ only where RFC 5892's CONTEXTJ rules allow them (after a virama, or ZWNJ
        # between joining letters), so a ZWJ hidden in a Latin label is refused.
        return all(valid_contextj(label, m.start()) for m in _JOINERS_RE.finditer(label))
    except (IDNAError, ValueError):
        return False


def _bidi_ok(labels: list[str]) -> bool:
    """RFC 5893's Bidi Rule for every label of a host that has a right-to-left label (CheckBidi)."""
    # ASCII has no right-to-left characters.
    if not any(
        unicodedata.bidirectional(ch) in _BIDI_RTL for label in labels if not label.isascii() for ch in label
    ):
        return True
    try:
        for label in labels:
            if label:
                check_bidi(label, check_ltr=True)
    except (IDNAError, ValueError):
        return False
    return True


def _ipv6(text: str) -> tuple[str, bool] | None:
    m = _IPV6_RE.fullmatch(text)
    if m is None:
        return None
    try:
        address = ipaddress.IPv6Address(m.group(1))
    except ValueError:
        return None
    mapped = address.ipv4_mapped
    if mapped is not None:
        return str(mapped), True
    return "[" + address.compressed + "]", True


def _ipv4(text: str) -> str | None:
    """WHATWG IPv4 parser on a lowercase ASCII host whose last label is numeric; dotted quad or ``None``."""
    parts = text.split(".")
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    address = numbers.pop()
    if address >= 256 ** (4 - len(numbers)):
        return None
    for i, number in enumerate(numbers):
        if number > 255:
            return None
        address += number << (8 * (3 - i))
    return f"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}"


def _ipv4_number(part: str) -> int | None:
    """One WHATWG IPv4 number: decimal, ``0x`` hex or ``0`` octal; ``None`` if invalid or above 2**32."""
    if not part:
        return None
    if part.startswith("0x"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0
    if _IPV4_DIGITS_RE[base].fullmatch(digits) is None:
        return None
    digits = digits.lstrip("0")
    if len(digits) > 11:  # above 2**32 in every base, so out of range wherever it stands
        return None
    return int(digits, base) if digits else 0
