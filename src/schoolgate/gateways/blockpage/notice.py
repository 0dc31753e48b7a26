"""What a block page address says, read and checked: the `Notice`, and the plain words for it.

`read_notice(key, query, policy, now)` turns the query string of a block page address into a Notice.
Only a query whose signature holds may name a person, a category or a rule; anything else becomes
a notice that says only "this page is blocked" (or, for Squid's own unsigned
`reason=filter-unavailable`, that the filter could not check the page):

    >>> notice = read_notice(key, "reason=rule&group=ks2&...&sig=...", policy, now=time.time())
    >>> notice.trusted, notice.host, notice.why
    (True, 'bet365.com', 'The school does not allow gambling websites.')

The words are written for a seven-year-old; the details for staff keep the policy's own names.
"""

from __future__ import annotations

import ipaddress
from base64 import urlsafe_b64decode
from binascii import Error as Base64Error
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from schoolgate.engine.policy import Policy
from schoolgate.engine.windows import DAY_NAMES, MONTH_NAMES
from schoolgate.gateways.blockpage.signing import split_signed, verify

__all__ = [
    "FILTER_UNAVAILABLE",
    "MAX_AGE_SECONDS",
    "Notice",
    "category_phrase",
    "format_when",
    "read_notice",
]

# Squid's own refusal when no helper answered (squid.conf's deny_info): not an engine Reason.
FILTER_UNAVAILABLE = "filter-unavailable"
MAX_AGE_SECONDS = 7 * 24 * 3600  # a signed notice older than this is shown, said to be old, takes no review
MAX_AHEAD_SECONDS = 24 * 3600  # a signed time this far ahead of the server's clock is not believed
MAX_BLOCKED_URL = 2048  # the helper cuts the requested URL to this many characters

# Plain phrases for Schoolgate's usual category names, the UT1 list names and the UKSIC categories,
# each fitting "The school does not allow ...". A category not here is named by its UKSIC category's
# phrase, else by its own name.
CATEGORY_PHRASES: dict[str, str] = {
    "gambling": "gambling websites",
    "arjel": "gambling websites",
    "games": "games",
    "educational-games": "games",
    "educational_games": "games",
    "adult": "websites for adults only",
    "adult-themes": "websites for adults only",
    "mixed_adult": "websites for adults only",
    "pornography": "websites for adults only",
    "lingerie": "websites for adults only",
    "dating": "dating websites",
    "drugs": "websites about drugs",
    "drogue": "websites about drugs",
    "violence": "violent websites",
    "agressif": "violent websites",
    "hate": "websites that are hateful or unkind to people",
    "hate-speech": "websites that are hateful or unkind to people",
    "discrimination": "websites that are hateful or unkind to people",
    "extremism": "websites that try to make people hate or hurt others",
    "terrorism": "websites that try to make people hate or hurt others",
    "malware-hacking": "websites that can harm computers or steal passwords",
    "malware": "websites that can harm computers or steal passwords",
    "hacking": "websites that can harm computers or steal passwords",
    "phishing": "websites that can harm computers or steal passwords",
    "cryptojacking": "websites that can harm computers or steal passwords",
    "misinformation": "websites that spread things that are not true",
    "fakenews": "websites that spread things that are not true",
    "piracy": "websites that share films, music or games without permission",
    "warez": "websites that share films, music or games without permission",
    "self-harm": "websites that are not safe for you",
    "illegal": "websites that are against the law",
    "child-abuse": "websites that are against the law",
    "circumvention": "ways to get round the school's filter",
    "vpn": "ways to get round the school's filter",
    "redirector": "ways to get round the school's filter",
    "strict_redirector": "ways to get round the school's filter",
    "residential-proxies": "ways to get round the school's filter",
    "doh": "ways to get round the school's filter",
    "social-media": "social media",
    "social_networks": "social media",
    "messaging": "chat and messaging websites",
    "chat": "chat and messaging websites",
    "webmail": "email websites",
    "video": "video websites",
    "audio-video": "video websites",
    "shopping": "shopping websites",
    "sports": "sports websites",
    "large-downloads": "websites for downloading big files",
    "download": "websites for downloading big files",
    "filehosting": "websites for downloading big files",
}

_REASON_WORDS: dict[str, str] = {
    "group-default": "It is not on the list of websites your group can use.",
    "unparsable-request": "The filter could not understand the address of this page, so it was blocked "
    "to keep you safe.",
    "no-policy": "The filter is not ready just now, so every page is blocked to keep you safe. "
    "Try again in a few minutes.",
    "internal-error": "Something went wrong in the filter, so this page was blocked to keep you safe. "
    "Try again in a minute.",
    FILTER_UNAVAILABLE: "The filter could not check this page just now, so it was blocked to keep you "
    "safe. Try again in a minute.",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """What one block page says. Every field but `trusted`, `school` and `why` is None unless the
    query's signature holds (or, for `reason`, the query is Squid's unsigned filter-unavailable)."""

    trusted: bool  # the signature holds: who, what and why come from the filter
    school: str
    why: str  # a sentence for the pupil
    reason: str | None = None
    group: str | None = None
    category: str | None = None
    uksic: str | None = None
    rule: int | None = None
    rule_name: str | None = None
    url: str | None = None
    url_cut: bool = False  # the helper cut the address short
    host: str | None = None
    who: str | None = None
    who_is_address: bool = False
    at: datetime | None = None  # in the school's time zone
    old: bool = False  # older than MAX_AGE_SECONDS
    fresh: bool = False  # dated, neither older than MAX_AGE_SECONDS nor more than a day ahead
    query: str | None = None  # the signed query string, for the review form

    @property
    def when(self) -> str | None:
        return None if self.at is None else format_when(self.at)

    @property
    def reviewable(self) -> bool:
        """A review can be asked for: not for a locked list (illegal content), which no rule unblocks."""
        return self.reason != "locked-list"

    @property
    def signature(self) -> str | None:
        """The signature of a trusted notice's address: what the review limits count it by."""
        return split_signed(self.query)[1] if self.trusted and self.query else None


def format_when(at: datetime) -> str:
    """'Tuesday 1 December 2026, 10:32' (English whatever the process's locale)."""
    return f"{DAY_NAMES[at.weekday()]} {at.day} {MONTH_NAMES[at.month - 1]} {at.year}, {at:%H:%M}"


def category_phrase(policy: Policy, category: str) -> str:
    """The plain words for a category: its own phrase, else its UKSIC category's, else its name."""
    phrase = CATEGORY_PHRASES.get(category)
    if phrase is None:
        declared = policy.categories.get(category)
        uksic = declared.uksic if declared is not None else None
        phrase = CATEGORY_PHRASES.get(uksic or "")
    if phrase is None:
        phrase = f'websites of the kind "{category.replace("-", " ").replace("_", " ")}"'
    return phrase


def plain_notice(policy: Policy) -> Notice:
    """The notice for an address that names nobody: this page is blocked, and nothing else."""
    return Notice(trusted=False, school=policy.school, why="The school's filter has blocked this page.")


def _single(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values and len(values) == 1 else None


def _printable(text: str) -> str:
    """Text safe to show: control and formatting characters (a right-to-left override that would
    make an address read backwards, say) become U+FFFD."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def decode_url64(text: str) -> str | None:
    try:
        raw = urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (Base64Error, ValueError):
        return None
    return _printable(raw.decode("utf-8", "replace"))


def host_of(url: str) -> str | None:
    """The host name of a requested URL (or of a CONNECT request's host:port), without `www.`."""
    try:
        host = urlsplit(url).hostname if "://" in url else urlsplit("//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.") if host.count(".") > 1 else host


def _is_address(who: str) -> bool:
    try:
        ipaddress.ip_address(who.strip("[]"))
    except ValueError:
        return False
    return True


def _why(policy: Policy, reason: str, category: str | None, rule: int | None) -> str:
    if reason == "locked-list":
        if category:
            return (
                f"This website is blocked for everyone at school, always: it is one of the "
                f"{category_phrase(policy, category)}."
            )
        return "This website is blocked for everyone at school, always."
    if reason == "rule":
        if category:
            return f"The school does not allow {category_phrase(policy, category)}."
        return "It is on the school's list of websites that are blocked."
    return _REASON_WORDS.get(reason, "The school's filter has blocked this page.")


def read_notice(key: bytes, query: str, policy: Policy, now: float) -> Notice:
    """The notice a block page address gives, checked against the key (see the module docstring)."""
    fields = parse_qs(query, keep_blank_values=True)
    reason = _single(fields, "reason")
    if not verify(key, query) or not reason:
        if reason == FILTER_UNAVAILABLE:
            return Notice(
                trusted=False, school=policy.school, why=_REASON_WORDS[reason], reason=FILTER_UNAVAILABLE
            )
        return plain_notice(policy)

    category = _single(fields, "category") or None
    declared = policy.categories.get(category) if category else None
    rule_text = _single(fields, "rule") or ""
    rule = int(rule_text) if len(rule_text) <= 6 and rule_text.isascii() and rule_text.isdigit() else None
    named = policy.rule(rule) if rule is not None else None  # a rule, or a grant (numbered after them)
    rule_name = named.title if named is not None else None
    url = decode_url64(_single(fields, "url64") or "")
    who = _single(fields, "who") or None
    at_text = _single(fields, "at")
    at: datetime | None = None
    old = fresh = False
    if at_text and len(at_text) <= 20 and at_text.isascii() and at_text.isdigit():
        try:
            at = datetime.fromtimestamp(int(at_text), UTC).astimezone(policy.timezone)
        except (OverflowError, ValueError, OSError):
            at = None
        else:
            old = now - int(at_text) > MAX_AGE_SECONDS
            fresh = not old and int(at_text) - now <= MAX_AHEAD_SECONDS
    group = _single(fields, "group")
    return Notice(
        trusted=True,
        school=policy.school,
        why=_why(policy, reason, category, rule),
        reason=reason,
        group=_printable(group) if group else None,
        category=_printable(category) if category else None,
        uksic=declared.uksic if declared is not None else None,
        rule=rule,
        rule_name=rule_name,
        url=url,
        url_cut=url is not None and len(url) >= MAX_BLOCKED_URL,
        host=host_of(url) if url else None,
        who=_printable(who) if who else None,
        who_is_address=who is not None and _is_address(who),
        at=at,
        old=old,
        fresh=fresh,
        query=query,
    )
