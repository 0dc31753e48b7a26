"""cli/lists.py, run as a real process: `schoolgate lists compile`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.school import Ran, make_school, schoolgate

# ---------------------------------------------------------------------------------------------------------
# schoolgate lists compile

SUMMARY = re.compile(
    r"compiled (?P<sources>\d+) list sources \((?P<domains>\d+) domains, (?P<urls>\d+) URLs, "
    r"(?P<expressions>\d+) expressions\) into (?P<path>.+) \(\d+\.\d MB\) in \d+\.\d\d s; "
    r"(?P<skipped>\d+) lines skipped"
)


def test_lists_compile_summarises_and_reports_skipped_lines_with_file_and_line(tmp_path: Path) -> None:
    school = make_school(tmp_path)
    lists = tmp_path.resolve() / "lists"
    (lists / "gambling" / "domains").write_text(
        "# gambling\nbet365.com\nbad_host!\n\ncasino.example\n", encoding="utf-8"
    )
    (lists / "games" / "urls").write_text("games.example/play\nhttp://[::1\n", encoding="utf-8")
    (lists / "games" / "expressions").write_text("game[sz]\\.example\n", encoding="utf-8")
    ran = school.run("lists", "compile")
    assert ran.returncode == 0
    summary = SUMMARY.fullmatch(ran.stdout.rstrip("\n"))
    assert summary is not None, ran.stdout
    assert summary.groupdict() == {
        "sources": "2",
        "domains": "3",
        "urls": "1",
        "expressions": "1",
        "path": str(school.index),
        "skipped": "2",
    }
    assert ran.stderr.splitlines() == [
        f"skipped {lists}/gambling/domains:3: not a valid domain name or address: 'bad_host!'",
        f"skipped {lists}/games/urls:2: not a valid URL entry: 'http://[::1'",
    ]
    assert school.index.is_file()


def compile_with_a_bad_expression(tmp_path: Path) -> tuple[Ran, Path]:
    school = make_school(tmp_path)
    expressions = tmp_path.resolve() / "lists" / "games" / "expressions"
    expressions.write_text("game[sz]\\.example\n(unclosed\n", encoding="utf-8")
    ran = school.run("lists", "compile")
    assert ran.returncode == 0
    return ran, expressions


def test_lists_compile_says_nothing_on_stderr_but_the_skipped_lines(tmp_path: Path) -> None:
    # RE2 logs its own copy of every parse error to stderr unless told not to (Options.log_errors)
    ran, expressions = compile_with_a_bad_expression(tmp_path)
    lines = ran.stderr.splitlines()
    assert [
        line.startswith(f"skipped {expressions}:2: not a valid regular expression (") for line in lines
    ] == [True]


def test_a_skipped_expression_is_explained_in_words(tmp_path: Path) -> None:
    ran, expressions = compile_with_a_bad_expression(tmp_path)
    skipped = [line for line in ran.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped == [
        f"skipped {expressions}:2: not a valid regular expression (missing ): (unclosed): '(unclosed'"
    ]


def test_lists_compile_shows_ten_skipped_lines_unless_asked_for_all(tmp_path: Path) -> None:
    school = make_school(tmp_path)
    bad = "".join(f"bad_{n}!\n" for n in range(12))
    (tmp_path / "lists" / "games" / "domains").write_text(bad, encoding="utf-8")
    ran = school.run("lists", "compile")
    assert ran.returncode == 0
    lines = ran.stderr.splitlines()
    assert len(lines) == 11
    assert lines[9].endswith("games/domains:10: not a valid domain name or address: 'bad_9!'")
    assert lines[10] == "... and 2 more skipped lines (--show-problems lists them all)"
    assert ran.stdout.rstrip().endswith("; 12 lines skipped")
    every = school.run("lists", "compile", "--show-problems").stderr.splitlines()
    assert [line.rsplit("'", 2)[1] for line in every] == [f"bad_{n}!" for n in range(12)]


def test_lists_compile_without_lists_says_so(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(
        'schema_version = 1\n[groups.default]\ndefault = "block"\n', encoding="utf-8"
    )
    ran = schoolgate("lists", "compile", "--policy", "policy.toml", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr == "schoolgate: policy.toml declares no [lists]: nothing to compile\n"
