"""Tests for schoolgate.policyfile.locate: line numbers for key paths of a TOML policy file."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolgate.policyfile.locate import KeyPath, Locator, _scan

# A realistic hand-written policy file. Line 1 is the first line of the string.
POLICY = r'''# Schoolgate policy for Hillside Primary School
# Comments may hold [brackets], [[double brackets]], "quotes", = signs and 'apostrophes'.

version = 1
school = "Hillside Primary"
notice = """
Access to this site is restricted [by policy].
# This is not a comment, and "this" is not a key = value.
Ask your teacher: "why?" \""" is fine.
"""

[defaults]
action = "block"     # [not a table]
log.retention_days = 365
log."export.format" = 'csv'

[groups.staff]
description = "All staff"
youtube = "full"

[groups.ks2]
description = 'Key Stage 2 (years 3-6)'
youtube = "restricted"
safe_search = true

[[identities]]
match = "10.1.0.0/16"
group = "staff"

[[identities]]
match = "10.2.0.0/16"    # the KS2 wing
group = "ks2"
devices = [
    "ipad-01",
    "ipad-02",  # has a comment [with brackets]
    "ipad-03", ]

[windows]
school_day = { days = ["mon", "tue", "wed", "thu", "fri"], from = "08:30", to = "15:30" }
lunch = { days = [
    "mon", "tue",
    "wed",
], from = "12:00", to = "13:00" }

[categories]
"ut1/adult" = { action = "block", alert = true }
"ut1/gambling" = { action = "block" }
'ut1/social_networks' = { action = "allow", log = true }
"ut1/games".action = "allow"

[[rules]]
name = "Block adult content"
categories = ["ut1/adult"]
action = "block"

[[rules]]
name = 'Social media only at lunch'
groups = ["ks2"]
categories = [
    "ut1/social_networks",
    # "ut1/chat",  -- commented out [for now]
    "ut1/games",
]
action = "allow"

[rules.when]
window = "lunch"
days = ["mon",
        "fri"]

[[rules]]
name = "Staff exceptions"
groups = [ "staff", ]
sites = [
    ["youtube.com", "www.youtube.com"],
    ["bbc.co.uk",
     "www.bbc.co.uk"],
    { host = "example.org", paths = ["/a", "/b"] },
]
message = """
No [brackets] or # comments here, nor 'quotes' nor "keys = values".
"""
action = "allow"

[[rules.exceptions]]
site = "intranet.hillside.sch.uk"
'''

# (key path, its line, text found on that line: a check on the table itself)
POLICY_LINES: list[tuple[KeyPath, int, str]] = [
    (("version",), 4, "version = 1"),
    (("school",), 5, "school ="),
    (("notice",), 6, 'notice = """'),
    (("defaults",), 12, "[defaults]"),
    (("defaults", "action"), 13, 'action = "block"     # [not a table]'),
    (("defaults", "log"), 14, "log.retention_days"),
    (("defaults", "log", "retention_days"), 14, "log.retention_days"),
    (("defaults", "log", "export.format"), 15, 'log."export.format"'),
    (("groups",), 17, "[groups.staff]"),
    (("groups", "staff"), 17, "[groups.staff]"),
    (("groups", "staff", "youtube"), 19, 'youtube = "full"'),
    (("groups", "ks2"), 21, "[groups.ks2]"),
    (("groups", "ks2", "youtube"), 23, 'youtube = "restricted"'),
    (("groups", "ks2", "safe_search"), 24, "safe_search"),
    (("identities",), 26, "[[identities]]"),
    (("identities", 0), 26, "[[identities]]"),
    (("identities", 0, "group"), 28, 'group = "staff"'),
    (("identities", 1), 30, "[[identities]]"),
    (("identities", 1, "match"), 31, '"10.2.0.0/16"'),
    (("identities", 1, "group"), 32, 'group = "ks2"'),
    (("identities", 1, "devices"), 33, "devices = ["),
    (("identities", 1, "devices", 0), 34, '"ipad-01"'),
    (("identities", 1, "devices", 1), 35, '"ipad-02"'),
    (("identities", 1, "devices", 2), 36, '"ipad-03"'),
    (("windows",), 38, "[windows]"),
    (("windows", "school_day"), 39, "school_day"),
    (("windows", "school_day", "days", 4), 39, '"fri"'),
    (("windows", "school_day", "to"), 39, 'to = "15:30"'),
    (("windows", "lunch"), 40, "lunch = {"),
    (("windows", "lunch", "days"), 40, "days = ["),
    (("windows", "lunch", "days", 0), 41, '"mon"'),
    (("windows", "lunch", "days", 1), 41, '"tue"'),
    (("windows", "lunch", "days", 2), 42, '"wed"'),
    (("windows", "lunch", "from"), 43, 'from = "12:00"'),
    (("windows", "lunch", "to"), 43, 'to = "13:00"'),
    (("categories",), 45, "[categories]"),
    (("categories", "ut1/adult"), 46, '"ut1/adult"'),
    (("categories", "ut1/adult", "alert"), 46, "alert = true"),
    (("categories", "ut1/gambling", "action"), 47, '"ut1/gambling"'),
    (("categories", "ut1/social_networks", "log"), 48, "'ut1/social_networks'"),
    (("categories", "ut1/games"), 49, '"ut1/games".action'),
    (("categories", "ut1/games", "action"), 49, '"ut1/games".action'),
    (("rules",), 51, "[[rules]]"),
    (("rules", 0), 51, "[[rules]]"),
    (("rules", 0, "categories"), 53, 'categories = ["ut1/adult"]'),
    (("rules", 0, "categories", 0), 53, 'categories = ["ut1/adult"]'),
    (("rules", 1), 56, "[[rules]]"),
    (("rules", 1, "name"), 57, "Social media only at lunch"),
    (("rules", 1, "groups", 0), 58, 'groups = ["ks2"]'),
    (("rules", 1, "categories"), 59, "categories = ["),
    (("rules", 1, "categories", 0), 60, '"ut1/social_networks"'),
    (("rules", 1, "categories", 1), 62, '"ut1/games"'),  # not the commented-out "ut1/chat" on line 61
    (("rules", 1, "action"), 64, 'action = "allow"'),
    (("rules", 1, "when"), 66, "[rules.when]"),
    (("rules", 1, "when", "window"), 67, 'window = "lunch"'),
    (("rules", 1, "when", "days", 0), 68, 'days = ["mon",'),
    (("rules", 1, "when", "days", 1), 69, '"fri"]'),
    (("rules", 2), 71, "[[rules]]"),
    (("rules", 2, "name"), 72, "Staff exceptions"),
    (("rules", 2, "groups", 0), 73, 'groups = [ "staff", ]'),
    (("rules", 2, "sites"), 74, "sites = ["),
    (("rules", 2, "sites", 0), 75, '["youtube.com", "www.youtube.com"]'),
    (("rules", 2, "sites", 0, 1), 75, '"www.youtube.com"'),
    (("rules", 2, "sites", 1), 76, '["bbc.co.uk",'),
    (("rules", 2, "sites", 1, 0), 76, '"bbc.co.uk"'),
    (("rules", 2, "sites", 1, 1), 77, '"www.bbc.co.uk"'),
    (("rules", 2, "sites", 2), 78, '{ host = "example.org"'),
    (("rules", 2, "sites", 2, "paths", 1), 78, '"/b"'),
    (("rules", 2, "message"), 80, 'message = """'),
    (("rules", 2, "action"), 83, 'action = "allow"'),  # after a multi-line string full of [ # = and quotes
    (("rules", 2, "exceptions"), 85, "[[rules.exceptions]]"),
    (("rules", 2, "exceptions", 0), 85, "[[rules.exceptions]]"),
    (("rules", 2, "exceptions", 0, "site"), 86, 'site = "intranet.hillside.sch.uk"'),
    # Paths not in the document: the deepest known prefix.
    (("groups", "ks2", "unknown_key"), 21, "[groups.ks2]"),
    (("groups", "ks3", "youtube"), 17, "[groups.staff]"),
    (("rules", 1, "when", "days", 7), 68, 'days = ["mon",'),
    (("rules", 2, "sites", 1, 1, "deeper"), 77, '"www.bbc.co.uk"'),
    (("rules", 9, "name"), 51, "[[rules]]"),
    (("identities", 1, "devices", 3), 33, "devices = ["),
]


def paths(value: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path in a document as tomllib gives it."""
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        yield (*prefix, key)
        yield from paths(item, (*prefix, key))


def test_the_policy_document_is_valid_toml() -> None:
    assert tomllib.loads(POLICY)["rules"][2]["exceptions"][0]["site"] == "intranet.hillside.sch.uk"


@pytest.mark.parametrize(("path", "line", "text"), POLICY_LINES, ids=[str(p) for p, _, _ in POLICY_LINES])
def test_line_of_each_path_in_the_policy(path: KeyPath, line: int, text: str) -> None:
    assert text in POLICY.splitlines()[line - 1], "the table is out of step with POLICY"
    assert Locator(POLICY).line(path) == line


@pytest.mark.parametrize("path", [(), ("nonexistent",), ("nonexistent", 3, "key"), (0,)])
def test_unknown_paths_are_on_line_1(path: KeyPath) -> None:
    assert Locator(POLICY).line(path) == 1


def test_the_paths_known_are_exactly_those_tomllib_sees() -> None:
    assert set(_scan(POLICY)) == set(paths(tomllib.loads(POLICY)))


# Small documents for one feature each: (document, key path, expected line).
CASES: list[tuple[str, KeyPath, int]] = [
    # Headers: quoted and spaced keys, a super-table declared after its sub-table.
    ('[categories."ut1/adult"]\naction = "block"\n', ("categories", "ut1/adult", "action"), 2),
    ("[ a . 'b.c' . \"d\" ]\nx = 1\n", ("a", "b.c", "d", "x"), 2),
    ("[a.b]\nx = 1\n[a]\ny = 2\n", ("a",), 3),
    ("[a.b]\nx = 1\n[a]\ny = 2\n", ("a", "b"), 1),
    ("[a.b]\nx = 1\n[a]\ny = 2\n", ("a", "y"), 4),
    ("[a] # [b]\nx = 1 # [c]\n[b]\n", ("a", "x"), 2),
    # Arrays of tables, nested ones and sub-tables of their entries.
    ("[[a]]\n[[a.b]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\nx = 2\n", ("a", 0, "b", 1, "x"), 4),
    ("[[a]]\n[[a.b]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\nx = 2\n", ("a", 1, "b", 0, "x"), 7),
    ("[[a]]\n[[a.b]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\nx = 2\n", ("a", 1), 5),
    ("[[rules]]\n[rules.when]\nx = 1\n[[rules]]\n[rules.when]\nx = 2\n", ("rules", 1, "when", "x"), 6),
    ("[[rules]]\n[rules.when]\nx = 1\n[[rules]]\n[rules.when]\nx = 2\n", ("rules", 0, "when"), 2),
    ("[[ rules ]]\nx = 1\n[[ rules ]]\nx = 2\n", ("rules", 1, "x"), 4),
    # Keys: dotted, quoted, escaped, numeric, with spaces around the dots.
    ("a.b.c = 1\na.b.d = 2\n", ("a", "b"), 1),
    ("a.b.c = 1\na.b.d = 2\n", ("a", "b", "d"), 2),
    ('a . "b c" . d = 1\n', ("a", "b c", "d"), 1),
    ('x = 0\n"a\\"b" = 1\n', ('a"b',), 2),
    ('x = 0\n"caf\\u00e9" = 1\n', ("café",), 2),
    ("x = 0\n'C:\\dir' = 1\n", ("C:\\dir",), 2),
    ('x = 0\n"" = 1\n', ("",), 2),
    ("x = 0\n3.14 = 'pi'\n", ("3", "14"), 2),
    # Strings holding what looks like syntax.
    ('a = "x # [y] = z" # c\nb = 1\n', ("b",), 2),
    ("a = 'x \" [y]'\nb = 1\n", ("b",), 2),
    ('a = "x \\" [y] = z"\nb = 1\n', ("b",), 2),
    ('a = """\nb = [\n"""\nc = 1\n', ("c",), 4),
    ('a = """one "" two \\""" three"""\nb = 1\n', ("b",), 2),
    ('a = """ends with quotes"""""\nb = 1\n', ("b",), 2),
    ("a = '''\n[x]\n'''\nb = 1\n", ("b",), 4),
    ('a = """x \\"""\nb = 1\n"""\nc = 2\n', ("c",), 4),
    ('a = [\n"""x \\""" y""",\n"z"\n]\n', ("a", 1), 3),
    ("a = '''C:\\'''\nb = 1\n", ("b",), 2),  # no escapes in literal strings
    ("x = 0\n'C:\\' = 1\n", ("C:\\",), 2),
    ("a = 'C:\\'\nb = 1\n", ("b",), 2),
    ('a = """line \\\n  continued"""\nb = 1\n', ("b",), 3),
    ("a = ''''quoted'''' \nb = 1\n", ("b",), 2),
    # Arrays: items on their own lines, comments, trailing commas, nesting, inline tables, empty ones.
    ("a = [\n  1,\n  # 2,\n  3, # [4]\n]\n", ("a", 1), 4),
    ("a = [\n  1,\n  2,\n]\nb = 1\n", ("b",), 5),
    ("a = [[1, 2], [\n3]]\n", ("a", 1, 0), 2),
    ("a = [[1, 2], [\n3]]\n", ("a", 1), 1),
    ("a = [[], [], [\n[]]]\n", ("a", 2, 0), 2),
    ("a = [\n{ x = 1 },\n{ y = [\n2] },\n]\n", ("a", 1, "y", 0), 4),
    ("a = [\n{ x = 1 },\n{ y = [\n2] },\n]\n", ("a", 1, "y"), 3),
    ('a = [\n  "x,y",\n  "]",\n  \'[\',\n  "z"\n]\n', ("a", 3), 5),
    ('a = [\n  """\n],\n""",\n  "z"\n]\n', ("a", 1), 5),
    ("a = []\nb = [\n]\nc = 1\n", ("c",), 4),
    # Other values.
    ("d = 1979-05-27 07:32:00Z\nn = -1_000\nf = 6.02e+23\nb = true\ni = inf\nx = 1\n", ("x",), 6),
    ("a = { b = { c = 1 }, d.e = 2 }\n", ("a", "d", "e"), 1),
    ("a = {}\nb = 1\n", ("b",), 2),
    # Line endings and whitespace.
    ("a = 1\r\nb = [\r\n  1,\r\n  2,\r\n]\r\n", ("b", 1), 4),
    ("\n\n   \t[t]  \n\n  x = 1\n", ("t", "x"), 5),
    ("x = 1", ("x",), 1),
]


@pytest.mark.parametrize(("text", "path", "line"), CASES)
def test_line(text: str, path: KeyPath, line: int) -> None:
    assert Locator(text).line(path) == line


@pytest.mark.parametrize("text", sorted({text for text, _, _ in CASES}))
def test_the_paths_known_are_exactly_those_tomllib_sees_in_each_case(text: str) -> None:
    assert set(_scan(text)) == set(paths(tomllib.loads(text)))


# Invalid TOML: no exception, no endless loop, and the lines that can still be known are.
BROKEN = [
    "",
    "[",
    "[[",
    "[[a]",
    "[a",
    "a",
    "a =",
    "= 1",
    'a = "unterminated\nb = 1',
    "a = 'unterminated\nb = 1",
    'a = """unterminated',
    'a = """unterminated\\',
    "a = '''unterminated",
    "a = [1, 2",
    "a = [,,, ]]]",
    "a = {",
    "a = { b = 1, , = 2 ]",
    "a = { ] }",
    "a = [ } ]",
    '"unterminated key = 1',
    "\\",
    '"\\',
    'x = "\\',
    '"\\uZZZZ" = 1',
    '"\\U99999999" = 1',
    '"\\u00" = 1',
    "\ufeffa = 1",
    "a = " + "[" * 10_000,
    "a = " + "{ b = " * 10_000,
    "[" * 10_000,
]


@pytest.mark.parametrize("text", BROKEN, ids=range(len(BROKEN)))
def test_invalid_toml_does_not_raise(text: str) -> None:
    _scan(text)
    assert Locator(text).line(("a", "b", 0)) >= 1


def test_invalid_toml_keeps_what_it_can() -> None:
    assert Locator('x = 1\na = "unterminated\nb = 1\n').line(("b",)) == 3
    assert Locator("\ufeffa = 1\nb = 2").line(("b",)) == 2


TOML_ISH = st.text(alphabet=st.sampled_from(list("[]{}\"'#=.,\n\r\t \\abuU0123-_")) | st.characters())
PATHS = st.lists(st.text(max_size=3) | st.integers(min_value=-1, max_value=5), max_size=5).map(tuple)


@settings(max_examples=500)
@given(text=st.text() | TOML_ISH, path=PATHS)
def test_never_raises_on_any_text(text: str, path: KeyPath) -> None:
    _scan(text)  # the scanner itself, without the safety net in Locator
    assert 1 <= Locator(text).line(path) <= text.count("\n") + 1


@settings(max_examples=200)
@given(
    lines=st.lists(st.sampled_from(POLICY.splitlines()), max_size=40),
    path=st.sampled_from([path for path, _, _ in POLICY_LINES]),
)
def test_never_raises_on_policy_shaped_fragments(lines: list[str], path: KeyPath) -> None:
    text = "\n".join(lines)
    _scan(text)
    assert 1 <= Locator(text).line(path) <= len(lines) + 1
