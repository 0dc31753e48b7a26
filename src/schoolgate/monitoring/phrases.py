"""Risk phrases: does a search term (or any short text) say something the DSL must know about?

    >>> library = shipped()
    >>> [(m.phrase, m.area, m.severity) for m in library.scan("how 2 k1ll mys3lf")]
    [('how to kill myself', <Area.SUICIDE: 'suicide'>, <Severity.HIGH: 'high'>)]
    >>> library.scan("k1ll mys3lf")[0].why
    "'k1ll mys3lf' read as the suicide phrase 'kill myself' (numbers or symbols for letters), high"
    >>> library.scan("kill a process in linux")
    []

The API, which the alert rules, the web app and `schoolgate monitor scan` use:

- `Area` (suicide, self_harm, grooming, sexual, bullying, extremism, hate, weapons, violence, drugs,
  gambling) and `Severity` (high: tell the DSL now; medium: the same day; low: the weekly report;
  `Severity.rank` orders them, high > medium > low; never compare the strings).
- `Phrase(text, area, severity, language="en")`: one entry of a library.
- `Audience`: whose text it is (pupils by key stage, a pupil of unknown key stage, staff, a guest,
  unknown). The same phrase is graded differently by audience: see `GRADES` below.
- `Library.build(phrases, removed=..., regraded=...)`: an immutable, compiled library.
  `Library.scan(text, audience=None) -> list[Match]`; `Library.phrases()`.
- `Match(phrase, area, severity, start, end, matched, why)`: `start`/`end` index the text as given
  (`text[start:end] == matched`), `why` is one plain sentence for the DSL.
- `shipped()`: the library shipped with Schoolgate (schoolgate.monitoring.library), built once.
- `school_library(additions, removals, regrades)`: the shipped library with a school's own changes (the
  web app stores the DSL's changes and calls this).

What is matched. Text is normalised the way children's typing varies, and a phrase matches the
normalised text:

- case folded, NFKD compatibility forms (full-width letters, ligatures), accents and other combining
  marks dropped ("suïcide"); apostrophes dropped ("don't" is "dont"); in Arabic script the letter
  forms a phone keyboard may give are made one (ي ى ی ے; ك ک; ه ة ہ ھ; ں ن), so that Urdu typed on an
  Arabic keyboard matches;
- "l" and "i" are one letter (so "1" can stand for either: "k1ll", "ki11");
- letters for numbers and symbols: 0 o, 1 i, 3 e, 4 a, 5 s, 7 t, @ a, $ s, ! i, | i, but only inside
  a word with at least one real letter ("k1ll", "5uicide", "cut m3"), "!" and "|" only between letters
  (not "kill myself!"), "@" and "$" not at a word's end; "2024" stays a number;
- repeated letters count once ("killlll myselfff", "sooo");
- three or more single letters in a row are one word ("k.i.l.l m y s e l f", "k m s");
- misspellings: each library phrase also matches its common spellings (`library.SPELLINGS`: "urself",
  "myslef", "wanna", "u", "mein ... hun"; every mix of them) and, for a high or medium phrase of 8
  letters or more, every spelling one slip away in a word of five letters or more (a letter left out,
  or two neighbours swapped, never the first letter: "suicde", "kill mysefl"). Explicit and generated
  variants, not an edit distance at scan time: the variants are known in advance, tested against the
  look-alikes, and cost nothing when scanning.

A phrase matches whole words ("kms" matches "i wanna kms", not "kmsomething"). A phrase of 8 letters or
more also matches with its spaces left out or moved ("killmyself", "howtokillmyself", "kill my self")
when the letters line up with whole words at both ends, or fewer words were typed than the phrase has
(a space left out), or, for a one-word phrase, a word starts or ends with it ("thinspirationquotes");
so "upskill myself" and "herself harmony" match nothing. Shorter phrases never match inside a longer
word: that is how Scunthorpe is not an alert.

At most `MAX_TEXT` characters of a text are scanned (a search box sends less; the cap bounds the work a
hostile input can cause). Every `str` is accepted; nothing raises.

Where a match is reported: a match inside a longer one of the same area and at least its severity is
left out ("how to kill myself" is one match, not two); matches are in the order they start.

Speed (bench/monitoring_phrases.py; the goal is 200,000 search terms a second on one core). The library
is compiled once into dictionaries: a trie of the phrases' words, a trie of the long phrases' letters,
and the last 8 letters of each long phrase. A text is first put through a quick test that can only say
"no" or "perhaps": one `str.translate` (each character folded once and remembered), `split`, each word
normalised once and remembered, a walk of the word trie, and set look-ups of the 8-letter runs of the
words run together. Nearly every search term is a "no" there, in a few microseconds. A "perhaps" is
normalised again, exactly, with each letter's place in the text, and matched word by word and letter
by letter to say where and why. The quick test uses the same normalised words as the exact one, so it
cannot miss what that would find; the tests check it on random input. Regular expressions were
measured and not used: one alternation of every variant takes seconds to compile and is slower than
the tries (Python's matcher tries the branches one after another at every place).

Pure: no I/O, no clock, no Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from functools import cache, lru_cache
from itertools import groupby, product
from math import prod
from typing import Final, NamedTuple

__all__ = [
    "GRADES",
    "MAX_PHRASE",
    "MAX_TEXT",
    "MIN_SQUASHED",
    "Area",
    "Audience",
    "Library",
    "Match",
    "Phrase",
    "PhraseError",
    "Severity",
    "normalise",
    "school_library",
    "shipped",
]

MAX_TEXT: Final = 2000
"""How many characters of a text are scanned; the rest is ignored."""

MAX_PHRASE: Final = 200
"""The longest phrase a library takes (characters)."""

MAX_MIXES: Final = 512
"""At most this many mixes of a phrase's word spellings are made (a bound on the library's size)."""

MIN_SQUASHED: Final = 8
"""A phrase with at least this many letters also matches with its spaces left out or moved."""


class Area(StrEnum):
    SUICIDE = "suicide"
    SELF_HARM = "self_harm"  # eating disorders included
    GROOMING = "grooming"  # grooming and sexual exploitation
    SEXUAL = "sexual"  # sexual content
    BULLYING = "bullying"
    EXTREMISM = "extremism"  # radicalisation and extremism
    HATE = "hate"  # hate and discrimination
    WEAPONS = "weapons"
    VIOLENCE = "violence"
    DRUGS = "drugs"
    GAMBLING = "gambling"

    @property
    def words(self) -> str:
        """The area as a DSL says it ("self-harm")."""
        return _AREA_WORDS.get(self, self.value)


_AREA_WORDS: Final = {
    Area.SELF_HARM: "self-harm",
    Area.GROOMING: "grooming or exploitation",
    Area.SEXUAL: "sexual content",
    Area.EXTREMISM: "extremism",
}


class Severity(StrEnum):
    HIGH = "high"  # tell the DSL now
    MEDIUM = "medium"  # the same day
    LOW = "low"  # the weekly report

    @property
    def rank(self) -> int:
        """3, 2, 1 for high, medium, low: sort and compare by this, never by the strings."""
        return _RANK[self]


_RANK: Final = {Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}


class Audience(StrEnum):
    """Whose text it is: what alerts for a Year 2 pupil may only be logged for staff."""

    KS1 = "ks1"  # pupils aged 5-7 (Years 1-2; Reception graded with them)
    KS2 = "ks2"  # 7-11 (Years 3-6)
    KS3 = "ks3"  # 11-14 (Years 7-9)
    KS4 = "ks4"  # 14-16 (Years 10-11)
    KS5 = "ks5"  # 16-18 (sixth form)
    PUPIL = "pupil"  # a pupil whose key stage is not known
    STAFF = "staff"
    GUEST = "guest"  # a visitor on the guest network: usually an adult, not known to be
    UNKNOWN = "unknown"  # nobody is known: graded as a pupil, the safe assumption in a school


class Phrase(NamedTuple):
    """One entry of a library: `text` as a person would write it (normalised when the library is built),
    its area, its severity for a pupil, and the language it is in (an ISO 639-1 code)."""

    text: str
    area: Area
    severity: Severity
    language: str = "en"


class Match(NamedTuple):
    """A phrase found in a text: `text[start:end] == matched`, in the text as given (not normalised)."""

    phrase: str
    area: Area
    severity: Severity
    start: int
    end: int
    matched: str
    why: str


class PhraseError(ValueError):
    """A phrase that cannot be in a library (no letters, or too long), said in one sentence."""


# --- grades by audience -------------------------------------------------------------------------------

# What a phrase's severity (as the library has it: the severity for a pupil) becomes for each audience,
# per area. Three letters for what a high, a medium and a low phrase become: H, M, L, or "-" for "not
# reported": `scan` returns no match, and the search is still in the activity log like any other.
# Why the rows are as they are:
# - suicide, self-harm, grooming: never lowered, for anyone. For staff and guests too: an adult in
#   crisis on the school network matters, and alerts about staff go to the headteacher.
# - sexual: low for secondary pupils (curiosity, mostly), raised to medium for primary pupils (a young
#   child searching for sexual content may have been shown it); for staff and guests only the high
#   phrases (sexual content involving children) are reported.
# - extremism: the Prevent duty covers everyone in the school: never lowered.
# - weapons, violence, drugs, gambling: raised one step for primary pupils; staff and guests are adults,
#   for whom only the high ones (and for weapons and violence the medium ones) are a concern, and
#   gambling is not a safeguarding matter at all.
# - bullying and hate: as written for pupils; staff and guests from medium up.
_GRADES_TABLE: Final = """
area       ks1 ks2 ks3 ks4 ks5 pupil staff guest unknown
suicide    HML HML HML HML HML HML   HML   HML   HML
self_harm  HML HML HML HML HML HML   HML   HML   HML
grooming   HML HML HML HML HML HML   HML   HML   HML
sexual     HMM HMM HML HML HML HML   H--   H--   HML
bullying   HML HML HML HML HML HML   HM-   HM-   HML
extremism  HML HML HML HML HML HML   HML   HML   HML
hate       HML HML HML HML HML HML   HM-   HM-   HML
weapons    HHM HHM HML HML HML HML   HM-   HM-   HML
violence   HHM HHM HML HML HML HML   HM-   HM-   HML
drugs      HHM HHM HML HML HML HML   H--   H--   HML
gambling   HMM HMM HML HML HML HML   ---   ---   HML
"""

_LETTER_GRADE: Final = {"H": Severity.HIGH, "M": Severity.MEDIUM, "L": Severity.LOW, "-": None}


def _read_grades(table: str) -> dict[Area, dict[Audience, dict[Severity, Severity | None]]]:
    lines = [line.split() for line in table.strip().splitlines()]
    audiences = [Audience(name) for name in lines[0][1:]]
    grades: dict[Area, dict[Audience, dict[Severity, Severity | None]]] = {}
    for area_name, *cells in lines[1:]:
        grades[Area(area_name)] = {
            audience: {
                severity: _LETTER_GRADE[cell[index]]
                for index, severity in enumerate((Severity.HIGH, Severity.MEDIUM, Severity.LOW))
            }
            for audience, cell in zip(audiences, cells, strict=True)
        }
    return grades


GRADES: Final = _read_grades(_GRADES_TABLE)
"""GRADES[area][audience][severity]: the severity for that audience, or None (not reported)."""


# --- normalisation ----------------------------------------------------------------------------------

# Digits and symbols that stand for letters inside a word. "l" and "i" are one letter (below), so "1",
# "!" and "|" are both.
_LEET: Final = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "i",
}
_INSIDE_ONLY: Final = frozenset("!|")  # "kill myself!" is not "kill myselfi"
_NOT_LAST: Final = frozenset("@$")  # "$uicide", but "100$" is a price
_TRAILING: Final = _INSIDE_ONLY | _NOT_LAST

# Dropped without a trace: apostrophes ("don't" is "dont"), the Arabic tatweel (a stretch, no letter).
_IGNORED: Final = frozenset("'’‘`´ʼ\u0640")

# Letters made one: "l" is "i" (1 is both); letters NFKD leaves alone; Arabic-script forms that Urdu and
# Arabic keyboards give for the same letter.
_LETTER_FOLD: Final = {
    "l": "i",
    "ı": "i",
    "ł": "i",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ĸ": "k",
    "ي": "ی",
    "ى": "ی",
    "ے": "ی",
    "ك": "ک",
    "ه": "ہ",
    "ة": "ہ",
    "ھ": "ہ",
    "ۃ": "ہ",
    "ە": "ہ",
    "ں": "ن",
    "ٹ": "ت",
    "ڈ": "د",
    "ڑ": "ر",
}

_DROPPED_CATEGORIES: Final = frozenset({"Mn", "Me", "Cf"})


def _fold_char(char: str) -> str:
    """What one character of a text becomes: its letters folded, "" when it is dropped, " " when it
    separates words, or itself when it may stand for a letter (decided by its neighbours)."""
    if char in _LEET:
        return char
    if char in _IGNORED:
        return ""
    compatible = unicodedata.normalize("NFKD", char)
    if compatible in _LEET:  # a full-width digit
        return compatible
    category = unicodedata.category(char)
    if category in _DROPPED_CATEGORIES:
        return ""
    if category[0] not in "LM":
        return " "
    out = []
    for part in unicodedata.normalize("NFKD", compatible.casefold()):
        part_category = unicodedata.category(part)
        if part_category in _DROPPED_CATEGORIES:
            continue
        out.append(_LETTER_FOLD.get(part, part) if part_category[0] in "LM" else " ")
    return "".join(out)


class _Folds(dict[int, str]):
    """`str.translate`'s table: each character folded once, then remembered (up to a bound, so that a
    hostile text of many different characters cannot grow it without limit)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < 50_000:
            self[code] = folded
        return folded


_FOLDS: Final = _Folds()


class Normal(NamedTuple):
    """A text normalised: its words, and for each letter of each word where it came from in the text
    (`starts[w][i]` to `ends[w][i]`), and which places were read as letters for numbers, repeats, or
    letters spaced out."""

    words: tuple[str, ...]
    starts: tuple[tuple[int, ...], ...]
    ends: tuple[tuple[int, ...], ...]
    leet: frozenset[int]
    repeated: frozenset[int]
    spaced: frozenset[int]


def normalise(text: str) -> Normal:
    """`text` (its first MAX_TEXT characters) as the phrases are matched against it."""
    text = text[:MAX_TEXT]
    # Raw words: runs of characters that do not separate words, each character's folded letters with
    # the place of that character.
    raw: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    folds = _FOLDS
    for index, char in enumerate(text):
        folded = folds[ord(char)]
        if folded == " ":
            if current:
                raw.append(current)
                current = []
        elif len(folded) == 1:
            current.append((folded, index))
        else:  # dropped (""), or more than one letter ("ß", "ﬁ", a ligature with a space)
            for part in folded:
                if part != " ":
                    current.append((part, index))
                elif current:
                    raw.append(current)
                    current = []
    if current:
        raw.append(current)

    leet: set[int] = set()
    repeated: set[int] = set()
    spaced: set[int] = set()
    words: list[list[tuple[str, int, int]]] = []  # (letter, start, end)
    singles: list[int] = []  # indexes in `words` of a run of one-letter words

    def close_singles() -> None:
        if len(singles) >= 3:  # "k m s": three single letters are one word
            first = singles[0]
            joined = [letter for index in singles for letter in words[index]]
            spaced.update(start for _, start, _ in joined)
            words[first:] = [joined]
        singles.clear()

    for word in raw:
        letters = _resolve_leet([part for part, _ in word], [index for _, index in word], leet)
        if not letters:
            continue  # a number, or punctuation only: separates words like a space
        collapsed = _collapse(letters, repeated)
        one_char = len(word) == 1 and len(collapsed) == 1
        if not one_char:
            close_singles()
        words.append(collapsed)
        if one_char:
            singles.append(len(words) - 1)
    close_singles()
    words = [_collapse(word, repeated) for word in words]

    def grapheme_end(end: int) -> int:
        # A letter ends after the accents and other marks that follow it, so that no slice of the text
        # leaves a mark without its letter ("suicidé" is matched whole, not "suicide" and a lone accent).
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        return end

    return Normal(
        words=tuple("".join(letter for letter, _, _ in word) for word in words),
        starts=tuple(tuple(start for _, start, _ in word) for word in words),
        ends=tuple(tuple(grapheme_end(end) for _, _, end in word) for word in words),
        leet=frozenset(leet),
        repeated=frozenset(repeated),
        spaced=frozenset(spaced),
    )


def _resolve_leet(parts: Sequence[str], places: Sequence[int], leet: set[int]) -> list[tuple[str, int, int]]:
    """The letters of one raw word (`parts`, from `places` in the text), its digits and symbols read as
    letters where they stand for them: only in a word with a real letter; "!" and "|" only between
    letters, "@" and "$" never last."""
    if all(part in _LEET for part in parts):
        return []
    first = 0
    last = len(parts)
    while first < last and parts[first] in _INSIDE_ONLY:
        first += 1
    while first < last and parts[last - 1] in _TRAILING:
        last -= 1
    letters = []
    for at in range(first, last):
        part = parts[at]
        if part in _LEET:
            leet.add(places[at])
            part = _LEET[part]
        letters.append((part, places[at], places[at] + 1))
    return letters


class _Words(dict[str, str]):
    """A raw word of the translated text (`str.translate(_FOLDS)`) normalised, as `normalise` does it
    inside a text ("" for a number or punctuation), remembered: the quick test's words. Bounded like
    _Folds."""

    def __missing__(self, raw: str) -> str:
        if _LEET.keys().isdisjoint(raw):  # nearly every word: letters only, so only repeats to drop
            word = "".join(letter for letter, _ in groupby(raw)) if _DOUBLE.search(raw) else raw
        else:
            letters = _resolve_leet(raw, range(len(raw)), set())
            word = "".join(letter for letter, _, _ in _collapse(letters, set()))
        if len(raw) <= 40 and len(self) < 200_000:  # words, not a hostile text
            self[raw] = word
        return word


_WORDS: Final = _Words()
_DOUBLE: Final = re.compile(r"(.)\1")


def _collapse(letters: list[tuple[str, int, int]], repeated: set[int]) -> list[tuple[str, int, int]]:
    """Repeated letters once: the letter keeps the place of the first, and ends where the last ends."""
    out: list[tuple[str, int, int]] = []
    for letter, start, end in letters:
        if out and out[-1][0] == letter:
            repeated.add(start)
            out[-1] = (letter, out[-1][1], end)
        else:
            out.append((letter, start, end))
    return out


# --- the library ------------------------------------------------------------------------------------


class _Entry(NamedTuple):
    """What a key found in the text stands for: the library's phrase, how this spelling of it differs in
    words for the DSL ("written 'urself'", "without 'to'", "a typing slip"; "" for the phrase itself),
    and how many words the spelling has."""

    phrase: Phrase
    spelling: str
    words: int


class _Trie:
    """A node of a trie: its children by word (or letter), and the entries of the keys that end here."""

    __slots__ = ("children", "entries")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.entries: list[_Entry] = []

    def insert(self, key: Iterable[str], entry: _Entry | None) -> None:
        node = self
        for part in key:
            node = node.children.setdefault(part, _Trie())
        if entry is None:
            if not node.entries:
                node.entries.append(_Entry(Phrase("", Area.SUICIDE, Severity.LOW), "", 0))  # a mark only
        elif all(known.phrase != entry.phrase for known in node.entries):
            node.entries.append(entry)


class Library:
    """An immutable, compiled phrase library. Build it with `Library.build`; scan with `scan`."""

    __slots__ = ("_by_letters", "_by_words", "_endings", "_phrases")

    def __init__(
        self,
        phrases: tuple[Phrase, ...],
        by_words: _Trie,
        by_letters: _Trie,
        endings: dict[str, frozenset[str]],
    ) -> None:
        self._phrases = phrases
        self._by_words = by_words
        self._by_letters = by_letters
        # The last MIN_SQUASHED letters of every key in by_letters, each with the first MIN_SQUASHED
        # letters of the keys that end so: a text with a key has both. The end is looked up first,
        # as it says more than the beginning, which is often "how to".
        self._endings = endings

    @classmethod
    def build(
        cls,
        phrases: Iterable[Phrase],
        *,
        removed: Iterable[str] = (),
        regraded: Mapping[str, Severity] | None = None,
        spellings: Mapping[str, Iterable[str]] | None = None,
    ) -> Library:
        """A library of `phrases`, less those `removed`, with the severities in `regraded`.

        Phrases are told apart by their normalised words, so removing "Kill Myself" removes "kill
        myself", and a phrase given twice is kept once (the last one given wins). `spellings` maps a
        word to the other ways it is commonly written (the shipped library's SPELLINGS when not given).
        Raises PhraseError for a phrase with no letters or too long to be a phrase."""
        if spellings is None:
            from schoolgate.monitoring.library import SPELLINGS

            spellings = SPELLINGS
        gone = {_key(text) for text in removed}
        grade = {_key(text): severity for text, severity in (regraded or {}).items()}
        kept: dict[tuple[str, ...], Phrase] = {}
        for phrase in phrases:
            if len(phrase.text) > MAX_PHRASE:
                raise PhraseError(
                    f"the phrase {phrase.text[:40]!r}... is longer than {MAX_PHRASE} characters"
                )
            key = _key(phrase.text)
            if not key:
                raise PhraseError(f"the phrase {phrase.text!r} has no letters to match")
            if key in gone:
                continue
            if key in grade:
                phrase = phrase._replace(severity=grade[key])
            kept[key] = phrase
        word_spellings = {
            _key(word): [(_key(other), other) for other in others] for word, others in spellings.items()
        }
        by_words = _Trie()
        by_letters = _Trie()
        endings: dict[str, set[str]] = {}
        for key, phrase in kept.items():
            for variant, spelling in _variants(key, word_spellings, slips=phrase.severity != Severity.LOW):
                entry = _Entry(phrase, spelling, len(variant))
                by_words.insert(variant, entry)
                for letters in _squashed(variant):
                    by_letters.insert(letters, entry)
                    endings.setdefault(letters[-MIN_SQUASHED:], set()).add(letters[:MIN_SQUASHED])
        return cls(
            tuple(kept.values()),
            by_words,
            by_letters,
            {ending: frozenset(beginnings) for ending, beginnings in endings.items()},
        )

    def phrases(self) -> tuple[Phrase, ...]:
        """Every phrase of the library (spellings and slips are not phrases), in the order given."""
        return self._phrases

    def scan(self, text: str, audience: Audience | None = None) -> list[Match]:
        """The phrases in `text`, by where they start, each graded for `audience` (None: as written for a
        pupil) and dropped where the audience's grade says "not reported". Never raises on a `str`."""
        maybe = self._maybe(text)
        if not maybe:
            return []
        normal = normalise(text)
        found: dict[tuple[Phrase, int, int], tuple[_Entry, str]] = {}
        for entry, start, end, spacing in self._find(normal, squashed=bool(maybe & _LETTERS)):
            known = found.get((entry.phrase, start, end))
            if known is None or (known[0].spelling and not entry.spelling) or (known[1] and not spacing):
                found[(entry.phrase, start, end)] = (entry, spacing)
        spans = list(found)
        matches = []
        for phrase, start, end in spans:
            if _inside_another(phrase, start, end, spans):
                continue
            severity = phrase.severity if audience is None else GRADES[phrase.area][audience][phrase.severity]
            if severity is None:
                continue
            entry, spacing = found[(phrase, start, end)]
            matched = text[start:end]
            why = _explain(entry, matched, normal, start, end, spacing, severity, audience)
            matches.append(Match(phrase.text, phrase.area, severity, start, end, matched, why))
        matches.sort(key=lambda match: (match.start, -match.severity.rank, match.end, match.phrase))
        return matches

    def _maybe(self, text: str) -> int:
        """The quick test: 0 only if no phrase can match (see the module docstring), else which of the
        exact matchers may find something (_WHOLE_WORDS | _LETTERS). The words are the ones `normalise`
        makes (each normalised once, then remembered), without their places in the text; a text where
        single letters may be joined into a word is left to `normalise`, all of it. One function, not
        three: it runs for every search term, and a call costs as much as a look-up."""
        raw = (text if len(text) <= MAX_TEXT else text[:MAX_TEXT]).translate(_FOLDS).split()
        if list(map(len, raw)).count(1) >= 2 and _joins_letters(raw):
            return _WHOLE_WORDS | _LETTERS
        words = list(filter(None, map(_WORDS.__getitem__, raw)))
        may = 0
        trie = self._by_words.children
        count = len(words) if not trie.keys().isdisjoint(words) else 0  # most texts: no phrase starts
        for first in range(count):
            node = trie.get(words[first])
            at = first
            while node is not None:
                if node.entries:
                    may = _WHOLE_WORDS
                    break
                at += 1
                if at == count:
                    break
                node = node.children.get(words[at])
            if may:
                break
        letters = "".join(words)
        if len(letters) < MIN_SQUASHED:
            return may
        endings = self._endings
        windows = _WINDOWS[: len(letters) - MIN_SQUASHED + 1]
        if endings.keys().isdisjoint(map(letters.__getitem__, windows)):
            return may
        seen = set(map(letters.__getitem__, windows))
        if any(not endings[window].isdisjoint(seen) for window in seen if window in endings):
            may |= _LETTERS
        return may

    def _find(self, normal: Normal, *, squashed: bool = True) -> Iterator[tuple[_Entry, int, int, str]]:
        """Every (entry, start, end, spacing) found: whole words first (spacing ""), then, if
        `squashed`, the long phrases letter by letter where their spaces were left out or moved
        (spacing says how)."""
        words = normal.words
        for first in range(len(words)):
            node = self._by_words
            for last in range(first, len(words)):
                child = node.children.get(words[last])
                if child is None:
                    break
                node = child
                for entry in node.entries:
                    yield entry, normal.starts[first][0], normal.ends[last][-1], ""
        if squashed and self._by_letters.children:
            yield from self._find_squashed(normal)

    def _find_squashed(self, normal: Normal) -> Iterator[tuple[_Entry, int, int, str]]:
        # The letters of all the words in a row, with where each came from and which word it is in.
        letters: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        word_of: list[int] = []
        word_starts: set[int] = set()  # places in `letters` where a word starts
        word_ends: set[int] = set()
        for number, word in enumerate(normal.words):
            word_starts.add(len(letters))
            letters.extend(word)
            starts.extend(normal.starts[number])
            ends.extend(normal.ends[number])
            word_of.extend([number] * len(word))
            word_ends.add(len(letters) - 1)
        for begin in range(len(letters)):
            node = self._by_letters
            for at in range(begin, len(letters)):
                child = node.children.get(letters[at])
                if child is None:
                    break
                node = child
                if not node.entries:
                    continue
                starts_word = begin in word_starts
                ends_word = at in word_ends
                spanned = word_of[at] - word_of[begin] + 1
                for entry in node.entries:
                    if spanned < entry.words:
                        yield entry, starts[begin], ends[at], "spaces left out"
                    elif starts_word and ends_word:
                        yield entry, starts[begin], ends[at], "spaces moved or added"
                    elif entry.words == 1 and (starts_word or ends_word):
                        yield entry, starts[begin], ends[at], "part of a longer word"


def _key(text: str) -> tuple[str, ...]:
    """A phrase's words, normalised as a text is."""
    return normalise(text).words


def _variants(
    key: tuple[str, ...],
    spellings: Mapping[tuple[str, ...], list[tuple[tuple[str, ...], str]]],
    *,
    slips: bool,
) -> Iterator[tuple[tuple[str, ...], str]]:
    """The ways a phrase is written, each with how it differs (see _Entry): itself; its words' common
    spellings one at a time, then every mix of its one-word spellings ("mein marna chahti hun"), up to
    MAX_MIXES; and, with `slips` and a phrase of MIN_SQUASHED letters or more, one slip in one word.
    Generated slips are for the high and medium phrases only: they are where a missed match matters,
    and the more variants, the more chance of a look-alike."""
    yield key, ""
    seen = {key}
    for at in range(len(key)):
        for length in (1, 2, 3):
            words = key[at : at + length]
            if len(words) < length:
                break
            for other, written in spellings.get(words, ()):
                variant = key[:at] + other + key[at + length :]
                if variant and variant not in seen:
                    seen.add(variant)
                    yield variant, f"written {written!r}" if written else f"without {' '.join(words)!r}"
    choices = [[(word,), *(other for other, _ in spellings.get((word,), ()))] for word in key]
    if prod(len(choice) for choice in choices) <= MAX_MIXES:
        for parts in product(*choices):
            variant = tuple(word for part in parts for word in part)
            if variant and variant not in seen:
                seen.add(variant)
                yield variant, "common spellings"
    if not slips or len("".join(key)) < MIN_SQUASHED:
        return
    for at, word in enumerate(key):
        for slip in _slips(word):
            variant = (*key[:at], slip, *key[at + 1 :])
            if variant not in seen:
                seen.add(variant)
                yield variant, "a typing slip"


def _slips(word: str) -> Iterator[str]:
    """`word` one slip away: a letter left out, or two neighbours swapped; never the first letter, and
    only in words of five letters or more (shorter ones slip into other words: "bomb", "bob")."""
    if len(word) < 5:
        return
    for at in range(1, len(word)):
        yield word[:at] + word[at + 1 :]
    for at in range(1, len(word) - 1):
        if word[at] != word[at + 1]:
            yield word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def _inside_another(phrase: Phrase, start: int, end: int, spans: list[tuple[Phrase, int, int]]) -> bool:
    """Whether another match of the same area, at least as severe, covers this one ("how to kill
    myself" covers "kill myself": one match, the longer)."""
    return any(
        other.area == phrase.area
        and other.severity.rank >= phrase.severity.rank
        and other_start <= start
        and end <= other_end
        and (other_start, other_end) != (start, end)
        for other, other_start, other_end in spans
    )


def _explain(
    entry: _Entry,
    matched: str,
    normal: Normal,
    start: int,
    end: int,
    spacing: str,
    severity: Severity,
    audience: Audience | None,
) -> str:
    """One sentence: what was read as which phrase, how, and how severe it is for whom."""
    phrase = entry.phrase
    how = []
    if any(start <= at < end for at in normal.leet):
        how.append("numbers or symbols for letters")
    if sum(start <= at < end for at in normal.repeated) > _repeats(phrase.text):
        how.append("repeated letters")
    if any(start <= at < end for at in normal.spaced):
        how.append("letters spaced out")
    elif spacing:
        how.append(spacing)
    if _marks(matched) != _marks(phrase.text):
        how.append("accents or marks")
    if entry.spelling:
        how.append(entry.spelling)
    language = f"{_LANGUAGES.get(phrase.language, phrase.language)} " if phrase.language != "en" else ""
    said = f"the {language}{phrase.area.words} phrase {phrase.text!r}"
    grade = severity.value
    if severity != phrase.severity and audience is not None:
        grade += f" for {_AUDIENCE_WORDS[audience]} ({phrase.severity.value} in the library)"
    if how:
        return f"{matched!r} read as {said} ({', '.join(how)}), {grade}"
    return f"{matched!r} is {said}, {grade}"


def _marks(text: str) -> list[str]:
    """The accents and other combining marks of `text`, in order."""
    return [char for char in unicodedata.normalize("NFKD", text) if unicodedata.combining(char)]


@lru_cache(maxsize=4096)
def _repeats(text: str) -> int:
    """How many letters of `text` are repeats of the one before (as normalised: "kill" has two)."""
    return len(normalise(text).repeated)


_LANGUAGES: Final = {
    "pl": "Polish",
    "ur": "Urdu",
    "pa": "Punjabi",
    "bn": "Bengali",
    "ro": "Romanian",
    "ar": "Arabic",
}

_AUDIENCE_WORDS: Final = {
    Audience.KS1: "a Key Stage 1 pupil",
    Audience.KS2: "a Key Stage 2 pupil",
    Audience.KS3: "a Key Stage 3 pupil",
    Audience.KS4: "a Key Stage 4 pupil",
    Audience.KS5: "a sixth-form pupil",
    Audience.PUPIL: "a pupil",
    Audience.STAFF: "staff",
    Audience.GUEST: "a guest",
    Audience.UNKNOWN: "someone unknown",
}


# --- the quick test ---------------------------------------------------------------------------------


# What the quick test says may match: whole words, letters with the spaces left out or moved.
_WHOLE_WORDS: Final = 1
_LETTERS: Final = 2

# Every run of MIN_SQUASHED letters in a text of MAX_TEXT letters, made once.
_WINDOWS: Final = tuple(slice(at, at + MIN_SQUASHED) for at in range(MAX_TEXT))


def _joins_letters(raw: list[str]) -> bool:
    """Whether `normalise` may join single letters in a text of these raw words: two one-letter words
    in a row, perhaps with numbers or symbols between (it joins three or more)."""
    single = False
    for word in raw:
        if len(word) == 1 and word not in _LEET:
            if single:
                return True
            single = True
        elif any(part not in _LEET for part in word):
            single = False
    return False


def _squashed(key: tuple[str, ...]) -> Iterator[str]:
    """The letters of a key of MIN_SQUASHED letters or more, with no spaces, as matched when its spaces
    were left out or moved: joined as they are ("bomb blast": bombbiast) and with a letter repeated
    where two words meet made one, as it is when typed as one word ("bombblast": bombiast)."""
    joined = "".join(key)
    if len(joined) < MIN_SQUASHED:
        return
    yield joined
    merged = key[0]
    for word in key[1:]:
        merged += word[1:] if merged[-1] == word[0] else word
    if merged != joined and len(merged) >= MIN_SQUASHED:
        yield merged


# --- the shipped library and a school's -----------------------------------------------------------------


@cache
def shipped() -> Library:
    """The library shipped with Schoolgate (schoolgate.monitoring.library), built once per process."""
    from schoolgate.monitoring.library import PHRASES

    return Library.build(PHRASES)


def school_library(
    additions: Iterable[Phrase], removals: Iterable[str], regrades: Mapping[str, Severity]
) -> Library:
    """The shipped library with a school's own changes: its phrases added, the phrases it removed taken
    out (shipped or its own), and its re-grades applied (to shipped phrases and its own)."""
    from schoolgate.monitoring.library import PHRASES

    return Library.build((*PHRASES, *additions), removed=removals, regraded=regrades)
