"""The phrase matcher: normalisation, where a match is and why, grades by audience, a school's changes,
hostile input, and the quick test never saying "no" where the exact one matches.

The shipped library's own table (what must and must not match) is in test_library.py.
"""

from __future__ import annotations

import doctest
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolgate.monitoring import phrases
from schoolgate.monitoring.library import PHRASES
from schoolgate.monitoring.phrases import (
    GRADES,
    MAX_TEXT,
    Area,
    Audience,
    Library,
    Match,
    Phrase,
    PhraseError,
    Severity,
    normalise,
    school_library,
    shipped,
)

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW


def test_the_examples_in_the_docstring_hold() -> None:
    assert doctest.testmod(phrases).failed == 0


# --- normalisation ----------------------------------------------------------------------------------

NORMALISED = [
    ("Kill  MYSELF", ("ki", "myseif")),  # case; "l" is "i"; repeats once
    ("k1ll mys3lf", ("ki", "myseif")),
    ("ki11 myse1f", ("ki", "myseif")),
    ("k!ll", ("ki",)),
    ("kill!!!", ("ki",)),  # "!" only between letters
    ("!!!kill", ("ki",)),
    ("$uicide", ("suicide",)),  # "$" at the start of a word
    ("100$", ()),  # a price: no letters
    ("me@home", ("meahome",)),
    ("2024 1337", ()),  # numbers stay numbers
    ("50mg", ("somg",)),  # a number inside a word with letters is read as letters
    ("sooooo", ("so",)),
    ("don't", ("dont",)),
    ("self-harm", ("seif", "harm")),
    ("k.i.l.l", ("ki",)),  # three or more single letters are one word
    ("k m s", ("kms",)),
    ("k ! m ! s", ("kms",)),
    ("a b", ("a", "b")),  # two are two words
    ("suïcide", ("suicide",)),
    ("ＫＩＬＬ", ("ki",)),  # full-width letters
    ("ﬁne", ("fine",)),  # a ligature
    ("straße", ("strase",)),
    ("chcę się zabić", ("chce", "sie", "zabic")),
    ("łódź", ("iodz",)),
    ("k\u200bill", ("ki",)),  # a zero-width space hides nothing
    ("ki\u0301ll", ("ki",)),  # a combining accent
    ("\u202ekill", ("ki",)),  # a right-to-left override
    ("ميں", ("مین",)),  # Arabic-keyboard ye is Urdu ye; noon ghunna is noon
    ("چاهتا", ("چاہتا",)),  # Arabic heh is Urdu heh
    ("أموت", ("اموت",)),  # hamza on alif dropped
    ("مـــوت", ("موت",)),  # tatweel dropped
    ("", ()),
    ("   ", ()),
]


@pytest.mark.parametrize(("text", "words"), NORMALISED, ids=[row[0] or "empty" for row in NORMALISED])
def test_normalise_reads_text_as_the_phrases_are_matched(text: str, words: tuple[str, ...]) -> None:
    assert normalise(text).words == words


def test_normalise_keeps_where_each_letter_came_from() -> None:
    text = "K.i.l.l  my5elff"
    normal = normalise(text)
    assert normal.words == ("ki", "myseif")
    assert [text[start:end] for start, end in zip(normal.starts[0], normal.ends[0], strict=True)] == [
        "K",
        "i.l.l",
    ]
    assert text[normal.starts[1][0] : normal.ends[1][-1]] == "my5elff"
    assert normal.leet == {11}
    assert normal.spaced == {0, 2, 4, 6}


# --- matches: where and why -----------------------------------------------------------------------------

TINY = Library.build(
    [
        Phrase("kill myself", Area.SUICIDE, H),
        Phrase("how to kill myself", Area.SUICIDE, H),
        Phrase("kms", Area.SUICIDE, M),
        Phrase("self harm", Area.SELF_HARM, M),
        Phrase("thinspiration", Area.SELF_HARM, H),
        Phrase("porn", Area.SEXUAL, L),
        Phrase("kill yourself", Area.BULLYING, H),
        Phrase("chcę umrzeć", Area.SUICIDE, H, "pl"),
    ],
    spellings={"yourself": ["urself"], "to": [""]},
)


def only(text: str, library: Library = TINY, audience: Audience | None = None) -> Match:
    matches = library.scan(text, audience)
    assert len(matches) == 1, matches
    return matches[0]


WHERE_AND_WHY = [
    ("how 2 k1ll mys3lf", "how to kill myself", "how 2 k1ll mys3lf", "numbers or symbols for letters"),
    ("please,  killlll myselfff now", "kill myself", "killlll myselfff", "repeated letters"),
    ("killmyself", "kill myself", "killmyself", "spaces left out"),
    ("so howtokillmyself?", "how to kill myself", "howtokillmyself", "spaces left out"),
    ("kill my self", "kill myself", "kill my self", "spaces moved or added"),
    ("k.i.l.l m y s e l f", "kill myself", "k.i.l.l m y s e l f", "letters spaced out"),
    ("thinspirationquotes", "thinspiration", "thinspiration", "part of a longer word"),
    ("kill urself", "kill yourself", "kill urself", "written 'urself'"),
    ("how kill myself", "how to kill myself", "how kill myself", "without 'to'"),
    ("kill mysefl", "kill myself", "kill mysefl", "a typing slip"),
    ("commit suïcide? no: self harm", "self harm", "self harm", ""),
    ("chce umrzec", "chcę umrzeć", "chce umrzec", "accents or marks"),
    ("Kill Myself!", "kill myself", "Kill Myself", ""),
]


@pytest.mark.parametrize(
    ("text", "phrase", "matched", "how"), WHERE_AND_WHY, ids=[r[0] for r in WHERE_AND_WHY]
)
def test_a_match_says_where_it_is_in_the_text_as_given_and_why(
    text: str, phrase: str, matched: str, how: str
) -> None:
    match = only(text)
    assert match.phrase == phrase
    assert match.matched == matched == text[match.start : match.end]
    assert f"{phrase!r}" in match.why
    assert f"{matched!r}" in match.why
    assert match.why.endswith(match.severity.value)
    if how:
        assert " read as the " in match.why
        assert f"{match.area.words} phrase" in match.why
        assert how in match.why
    else:
        assert " is the " in match.why


def test_a_match_never_cuts_an_accent_from_its_letter() -> None:
    assert TINY.scan("self harme\u0301") == []  # "harmé" is another word
    match = only("commit... self harm\u0301!")
    assert match.matched == "self harm\u0301"
    assert "accents or marks" in match.why


def test_the_why_names_the_language_and_the_audience() -> None:
    assert only("chcę umrzeć").why == "'chcę umrzeć' is the Polish suicide phrase 'chcę umrzeć', high"
    assert only("porn", audience=Audience.KS1).why == (
        "'porn' is the sexual content phrase 'porn', medium for a Key Stage 1 pupil (low in the library)"
    )


def test_repeated_letters_the_phrase_has_itself_are_not_called_repeats() -> None:
    assert only("kill myself").why == "'kill myself' is the suicide phrase 'kill myself', high"


def test_a_match_inside_a_longer_one_of_the_same_area_is_not_reported_twice() -> None:
    assert [m.phrase for m in TINY.scan("how to kill myself")] == ["how to kill myself"]


def test_matches_in_different_areas_are_all_reported_in_order() -> None:
    matches = TINY.scan("porn? kms. kill yourself, self-harm")
    assert [(m.phrase, m.start) for m in matches] == [
        ("porn", 0),
        ("kms", 6),
        ("kill yourself", 11),
        ("self harm", 26),
    ]


def test_short_phrases_match_whole_words_only() -> None:
    assert TINY.scan("kmsomething") == []
    assert TINY.scan("pornography history") == []
    assert only("i wanna kms").matched == "kms"


# --- grades by audience ---------------------------------------------------------------------------------


def test_every_area_has_a_grade_for_every_audience_and_severity() -> None:
    assert set(GRADES) == set(Area)
    for area in Area:
        assert set(GRADES[area]) == set(Audience)
        for audience in Audience:
            assert set(GRADES[area][audience]) == set(Severity)


PUPILS = (
    Audience.KS1,
    Audience.KS2,
    Audience.KS3,
    Audience.KS4,
    Audience.KS5,
    Audience.PUPIL,
    Audience.UNKNOWN,
)


@pytest.mark.parametrize("area", [Area.SUICIDE, Area.SELF_HARM, Area.GROOMING, Area.EXTREMISM])
def test_suicide_self_harm_grooming_and_extremism_are_never_lowered(area: Area) -> None:
    for audience in Audience:
        for severity in Severity:
            assert GRADES[area][audience][severity] == severity, (audience, severity)


def test_nothing_is_lowered_or_dropped_for_a_pupil_of_unknown_key_stage() -> None:
    for area in Area:
        for audience in (Audience.PUPIL, Audience.UNKNOWN):
            assert all(GRADES[area][audience][s] == s for s in Severity), (area, audience)


def test_grades_never_turn_a_phrase_upside_down() -> None:
    for area in Area:
        for audience in Audience:
            ranks = [
                (GRADES[area][audience][s] or s).rank if GRADES[area][audience][s] else 0 for s in Severity
            ]
            assert ranks == sorted(ranks, reverse=True), (area, audience)


SEXUAL_BY_AUDIENCE = [
    (Audience.KS1, M),  # what alerts for a Year 2 pupil...
    (Audience.KS2, M),
    (Audience.KS3, L),
    (Audience.KS4, L),
    (Audience.KS5, L),
    (Audience.PUPIL, L),
    (Audience.UNKNOWN, L),
    (Audience.STAFF, None),  # ...is only logged for staff
    (Audience.GUEST, None),
    (None, L),
]


@pytest.mark.parametrize(("audience", "severity"), SEXUAL_BY_AUDIENCE)
def test_the_same_match_is_graded_by_audience(audience: Audience | None, severity: Severity | None) -> None:
    matches = TINY.scan("porn", audience)
    assert [m.severity for m in matches] == ([] if severity is None else [severity])
    assert [m.severity for m in TINY.scan("kill myself", audience)] == [H]  # never lowered


def test_staff_are_still_reported_for_sexual_content_involving_children() -> None:
    assert [m.phrase for m in shipped().scan("child porn", Audience.STAFF)] == ["child porn"]
    assert shipped().scan("free porn", Audience.STAFF) == []
    assert shipped().scan("online casino", Audience.STAFF) == []
    assert [m.severity for m in shipped().scan("online casino", Audience.KS2)] == [M]


# --- a school's library ---------------------------------------------------------------------------------


def test_a_school_adds_removes_and_regrades_phrases() -> None:
    library = school_library(
        additions=[Phrase("Mr Smith is a creep", Area.GROOMING, M)],
        removals=["Online Casino", "not a phrase at all"],
        regrades={"KMS": H, "mr smith is a creep": H},
    )
    assert [(m.phrase, m.severity) for m in library.scan("mr smith is a creep")] == [
        ("Mr Smith is a creep", H)
    ]
    assert library.scan("online casino") == []
    assert [m.severity for m in library.scan("kms")] == [H]
    assert [m.severity for m in shipped().scan("kms")] == [M]  # the shipped library is untouched
    assert len(library.phrases()) == len(shipped().phrases())


def test_a_phrase_given_twice_is_kept_once_the_last_one() -> None:
    library = Library.build([Phrase("kms", Area.SUICIDE, L), Phrase("KMS", Area.SUICIDE, H)], spellings={})
    assert [(p.text, p.severity) for p in library.phrases()] == [("KMS", H)]


@pytest.mark.parametrize("text", ["", "   ", "!!!", "2024", "\x00"])
def test_a_phrase_with_no_letters_is_refused_in_words(text: str) -> None:
    with pytest.raises(PhraseError, match="no letters"):
        Library.build([Phrase(text, Area.HATE, M)])


def test_a_phrase_too_long_is_refused_in_words() -> None:
    with pytest.raises(PhraseError, match="longer than"):
        Library.build([Phrase("word " * 100, Area.HATE, M)])


def test_an_empty_library_matches_nothing() -> None:
    assert Library.build([]).scan("kill myself") == []


# --- hostile input --------------------------------------------------------------------------------------


def test_only_the_first_max_text_characters_are_scanned() -> None:
    assert only("x" * (MAX_TEXT - 12) + " kill myself").end == MAX_TEXT
    assert TINY.scan("x" * (MAX_TEXT - 8) + " kill myself") == []  # " kill m" is left
    assert TINY.scan("kill myself " * 10_000)[0].start == 0


HOSTILE = [
    "\x00kill\x00myself\x00",
    "kill\r\nmyself",
    "\ud800kill myself\udfff",  # lone surrogates
    "\u202ekill myself\u202c",
    "k" * MAX_TEXT * 3,
    "a " * MAX_TEXT,
    "1" * MAX_TEXT,
    "!" * MAX_TEXT,
    "".join(chr(code) for code in range(0, 0x3000, 7)),
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_raises(text: str) -> None:
    for audience in (None, *Audience):
        for match in shipped().scan(text, audience):
            assert text[match.start : match.end] == match.matched


def test_control_characters_do_not_hide_a_phrase() -> None:
    assert only("\x00kill\x00myself\x00").matched == "kill\x00myself"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_scanned_without_raising(text: str) -> None:
    for match in shipped().scan(text):
        assert text[match.start : match.end] == match.matched
        assert match.why


# --- the quick test -----------------------------------------------------------------------------------

# Texts made of pieces of phrases, spaces, punctuation, digits and symbols, so that the exact matcher
# often finds something: wherever it does, the quick test must have said "perhaps".
_PIECES = sorted({word for phrase in PHRASES for word in phrase.text.split()} | {"kms", "k", "m", "s", "my"})
_NOISE = [" ", "  ", ".", "-", "!", "1", "3", "4", "5", "0", "@", "$", "'", "\u200b", "ll", "e", "2"]


@st.composite
def phrase_like(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(_PIECES + _NOISE), max_size=10))
    text = "".join(part if part in _NOISE else f" {part}" for part in parts)
    if draw(st.booleans()):  # leave the spaces out
        text = text.replace(" ", "")
    if draw(st.booleans()):  # letters for numbers, and back
        text = text.translate(str.maketrans("oiesa", "01354"))
    return text


@settings(max_examples=1500, deadline=None)
@given(phrase_like())
def test_the_quick_test_never_says_no_where_the_exact_one_matches(text: str) -> None:
    library = shipped()
    maybe = library._maybe(text)
    for _, _, _, spacing in library._find(normalise(text)):
        assert maybe & (phrases._LETTERS if spacing else phrases._WHOLE_WORDS), (text, spacing)


def test_the_quick_test_says_no_to_ordinary_searches() -> None:
    ordinary = ["how to make pancakes", "what is the holocaust", "minecraft seeds 1.20", "times tables"]
    assert [text for text in ordinary if shipped()._maybe(text)] == []


@settings(max_examples=500, deadline=None)
@given(st.one_of(phrase_like(), st.text(max_size=40)))
def test_the_quick_words_are_the_exact_words(text: str) -> None:
    folded = text.translate(phrases._FOLDS).split()
    if phrases._joins_letters(folded):
        return  # single letters joined: the quick test leaves those texts to the exact one
    quick = [word for word in map(phrases._WORDS.__getitem__, folded) if word]
    assert tuple(quick) == normalise(text).words


def test_random_noise_finds_nothing_much() -> None:
    chooser = random.Random(15)
    texts = ["".join(chooser.choices(string.ascii_lowercase + " ", k=25)) for _ in range(2000)]
    assert sum(bool(shipped().scan(text)) for text in texts) <= 2
