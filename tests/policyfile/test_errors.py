"""Tests for schoolgate.policyfile.errors: problems that name the file, the line and the key."""

from __future__ import annotations

import pickle
import tomllib

import pytest

from schoolgate.policyfile.errors import (
    PolicyFileError,
    Problem,
    render_key,
    suggest,
    toml_syntax_problem,
)
from schoolgate.policyfile.locate import KeyPath, Locator

CATEGORIES = ["adult", "gambling", "games", "social_networks", "ut1/adult", "ut1/gambling"]


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (
            Problem("policy.toml", 14, "rules[3].categories", 'unknown category "gamblng"'),
            'policy.toml:14: rules[3].categories: unknown category "gamblng"',
        ),
        (Problem("policy.toml", 1, "", "the file is empty"), "policy.toml:1: the file is empty"),
        (
            Problem("/etc/schoolgate/policy.toml", 7, "groups.ks2.youtube", "expected one of ..."),
            "/etc/schoolgate/policy.toml:7: groups.ks2.youtube: expected one of ...",
        ),
    ],
)
def test_problem_str(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_problem_is_a_frozen_value() -> None:
    problem = Problem("policy.toml", 3, "a", "m")
    assert problem == Problem("policy.toml", 3, "a", "m")
    assert len({problem, Problem("policy.toml", 3, "a", "m")}) == 1
    with pytest.raises(AttributeError):
        problem.line = 4  # type: ignore[misc]


def test_problem_at_a_key_path() -> None:
    locator = Locator(
        '[[rules]]\nname = "a"\n\n[[rules]]\nname = "b"\ncategories = [\n  "adult",\n  "gamblng",\n]\n'
    )
    problem = Problem.at("policy.toml", locator, ("rules", 1, "categories", 1), 'unknown category "gamblng"')
    assert str(problem) == 'policy.toml:8: rules[2].categories[2]: unknown category "gamblng"'


def test_policy_file_error_lists_every_problem_then_counts_them() -> None:
    error = PolicyFileError(
        [
            Problem("policy.toml", 30, "rules[2].action", 'unknown action "alow" (did you mean "allow"?)'),
            Problem("policy.toml", 4, "", "the file is empty"),
            Problem("policy.toml", 14, "groups.ks2", "unknown key"),
        ]
    )
    assert [problem.line for problem in error.problems] == [4, 14, 30]  # in the order of the file
    assert str(error) == (
        "policy.toml:4: the file is empty\n"
        "policy.toml:14: groups.ks2: unknown key\n"
        'policy.toml:30: rules[2].action: unknown action "alow" (did you mean "allow"?)\n'
        "3 problems in policy.toml"
    )


@pytest.mark.parametrize(
    ("problems", "last_line"),
    [
        ([Problem("policy.toml", 2, "a", "m")], "1 problem in policy.toml"),
        ([Problem("b.toml", 2, "a", "m"), Problem("a.toml", 1, "", "m")], "2 problems in a.toml, b.toml"),
        ([], "0 problems"),
    ],
)
def test_policy_file_error_count_line(problems: list[Problem], last_line: str) -> None:
    assert str(PolicyFileError(problems)).splitlines()[-1] == last_line


def test_policy_file_error_is_an_exception_that_pickles() -> None:
    error = PolicyFileError([Problem("policy.toml", 2, "a", "m"), Problem("policy.toml", 1, "b", "n")])
    with pytest.raises(PolicyFileError) as raised:
        raise error
    assert raised.value.problems == error.problems
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems
    assert str(copy) == str(error)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("version",), "version"),
        (("rules", 0), "rules[1]"),
        (("rules", 2, "categories"), "rules[3].categories"),
        (("rules", 2, "categories", 0), "rules[3].categories[1]"),
        (("rules", 1, "sites", 0, 1), "rules[2].sites[1][2]"),
        (("rules", 1, "when", "days"), "rules[2].when.days"),
        (("groups", "ks2", "youtube"), "groups.ks2.youtube"),
        (("groups", "key-stage_2", "youtube"), "groups.key-stage_2.youtube"),
        (("categories", "ut1/adult", "action"), 'categories."ut1/adult".action'),
        (("defaults", "log", "export.format"), 'defaults.log."export.format"'),
        (("a b",), '"a b"'),
        (("",), '""'),
        (('say "hi"',), r'"say \"hi\""'),
        (("back\\slash",), r'"back\\slash"'),
        (("tab\there",), r'"tab\there"'),
        (("café",), '"café"'),
        ((0,), "[1]"),
        ((3, "x"), "[4].x"),
    ],
)
def test_render_key(path: KeyPath, text: str) -> None:
    assert render_key(path) == text


def test_rendered_keys_are_toml_keys() -> None:
    path = ("categories", "ut1/adult", 'say "hi"', "back\\slash", "café", "a b", "")
    assert tomllib.loads(f"{render_key(path)} = 1") == {
        "categories": {"ut1/adult": {'say "hi"': {"back\\slash": {"café": {"a b": {"": 1}}}}}}
    }


@pytest.mark.parametrize(
    ("word", "choices", "text"),
    [
        ("gamblng", CATEGORIES, ' (did you mean "gambling"?)'),
        ("gambling", CATEGORIES, ""),  # known: nothing to suggest
        ("Gambling", CATEGORIES, ' (did you mean "gambling"?)'),  # case is ignored when comparing
        ("GAMBLING", CATEGORIES, ' (did you mean "gambling"?)'),
        ("ut1/adlt", CATEGORIES, ' (did you mean "ut1/adult"?)'),
        ("social-networks", CATEGORIES, ' (did you mean "social_networks"?)'),
        ("shopping", CATEGORIES, ""),  # nothing close
        ("", CATEGORIES, ""),
        ("gamblng", [], ""),
        ("alow", iter(["allow", "block"]), ' (did you mean "allow"?)'),  # any iterable, read once
        ("blok", {"allow", "block"}, ' (did you mean "block"?)'),
        ("youtub", ("youtube", "YouTube"), ' (did you mean "YouTube"?)'),  # same folded: the first sorted
    ],
)
def test_suggest(word: str, choices: list[str], text: str) -> None:
    assert suggest(word, choices) == text


def toml_error(text: str) -> tomllib.TOMLDecodeError:
    with pytest.raises(tomllib.TOMLDecodeError) as raised:
        tomllib.loads(text)
    return raised.value


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            'version = 1\n\n[groups.ks2]\nyoutube = "full" "restricted"\n',
            4,
            "TOML syntax error at column 18: expected newline or end of document after a statement",
        ),
        (
            "a = 1\n[groups\nb = 2\n",
            2,
            "TOML syntax error at column 8: expected ']' at the end of a table declaration",
        ),
        ("[a]\nx = 1\n[a]\n", 3, "TOML syntax error at column 3: cannot declare ('a',) twice"),
        ("a = 1\n\n\nb = \n", 4, "TOML syntax error at column 5: invalid value"),
        ('a = "\\q"\n', 1, "TOML syntax error at column 8: unescaped '\\' in a string"),
        # At the end of the document: the last line of the text.
        ("a = 1\nb = [1,\n  2\n", 3, "TOML syntax error at end of file: unclosed array"),
        ('a = 1\nb = """never closed\n\nc = 2', 4, "TOML syntax error at end of file: unterminated string"),
    ],
)
def test_toml_syntax_problem(text: str, line: int, message: str) -> None:
    problem = toml_syntax_problem("policy.toml", toml_error(text), text)
    assert problem == Problem("policy.toml", line, "", message)
    assert str(problem) == f"policy.toml:{line}: {message}"


def test_toml_syntax_problem_at_end_of_document_without_the_text() -> None:
    exc = toml_error("a = [1,\n2\n")
    problem = toml_syntax_problem("policy.toml", exc)
    assert problem.message == "TOML syntax error at end of file: unclosed array"
    assert problem.line == getattr(exc, "lineno", 1)  # Python 3.14 gives the line; before, there is none


def test_toml_syntax_problem_with_an_unexpected_message() -> None:
    problem = toml_syntax_problem("policy.toml", tomllib.TOMLDecodeError("Something new"))
    assert problem == Problem("policy.toml", 1, "", "TOML syntax error: something new")
