"""The `schoolgate` command, run as a real process: `check`, `policy check` and `lists compile`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

LONDON = ZoneInfo("Europe/London")

POLICY = """\
schema_version = 1

[school]
name = "Test School"
timezone = "Europe/London"

[lists.x]
format = "squidguard"
path = "lists"

[groups.pupils]
default = "allow"

[groups.default]
default = "block"

[[identities]]
group = "pupils"
users = ["alice"]

[windows.lessons]
days = ["mon-fri"]
times = ["09:00-15:00"]

[categories.gambling]
sources = ["x/gambling"]
uksic = "gambling"

[categories.games]
sources = ["x/games"]

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"

[[rules]]
name = "no games in lessons"
categories = ["games"]
window = "lessons"
action = "block"

[[rules]]
name = "everything else"
all_sites = true
action = "allow"
"""


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def schoolgate(*args: str | Path, cwd: Path) -> Ran:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCHOOLGATE_")}
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", *map(str, args)],
        capture_output=True,
        check=False,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Ran(done.returncode, done.stdout, done.stderr)


@dataclass
class School:
    root: Path

    @property
    def policy(self) -> Path:
        return self.root / "policy.toml"

    @property
    def index(self) -> Path:
        return self.root / "var" / "lists.sgidx"

    def run(self, *args: str | Path) -> Ran:
        return schoolgate(*args, "--policy", self.policy, "--index", self.index, cwd=self.root)


def make_school(root: Path, policy: str = POLICY) -> School:
    for category, domains in {"gambling": "bet365.com\ncasino.example\n", "games": "games.example\n"}.items():
        (root / "lists" / category).mkdir(parents=True)
        (root / "lists" / category / "domains").write_text(domains, encoding="utf-8")
    school = School(root)
    school.policy.write_text(policy, encoding="utf-8")
    return school


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> School:
    school = make_school(tmp_path_factory.mktemp("school"))
    assert school.run("lists", "compile").returncode == 0
    return school


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line of `text` that is `needle`."""
    lines = text.splitlines()
    assert lines.count(needle) == 1, needle
    return lines.index(needle) + 1


# ---------------------------------------------------------------------------------------------------------
# schoolgate check


def test_check_explains_each_url_in_one_line(school: School) -> None:
    ran = school.run(
        "check",
        "http://bet365.com/x",
        "http://games.example/",
        "http://example.org/",
        "--user",
        "Alice",
        "--at",
        "2026-11-23T10:30",  # a Monday, in lessons
    )
    assert ran.returncode == 0
    assert ran.stdout.splitlines() == [
        "http://bet365.com/x",
        "  blocked — category gambling (UKSIC: gambling), entry bet365.com in list x/gambling, "
        'rule 1 "no gambling", group pupils (user Alice)',
        "http://games.example/",
        '  blocked — category games, entry games.example in list x/games, rule 2 "no games in lessons", '
        "group pupils (user Alice), window lessons",
        "http://example.org/",
        '  allowed — rule 3 "everything else", group pupils (user Alice)',
    ]


def test_check_says_when_no_rule_matched_and_who_was_not_identified(tmp_path: Path) -> None:
    school = make_school(tmp_path, POLICY.replace("all_sites = true", 'domains = ["example.org"]'))
    school.run("lists", "compile")
    ran = school.run("check", "http://example.net/", "--ip", "10.9.9.9")
    assert ran.stdout.splitlines() == [
        "http://example.net/",
        "  blocked — no rule matched: the group's default, group default (unidentified)",
    ]


def test_check_json_gives_one_object_per_url(school: School) -> None:
    ran = school.run(
        "check",
        "http://bet365.com/x",
        "http://example.org/",
        "--json",
        "--user",
        "alice",
        "--at",
        "2026-11-23T10:30",
    )
    assert ran.returncode == 0
    first, second = (json.loads(line) for line in ran.stdout.splitlines())
    assert first == {
        "url": "http://bet365.com/x",
        "at": "2026-11-23T10:30:00+00:00",
        "verdict": "block",
        "reason": "rule",
        "group": "pupils",
        "identity": "user alice",
        "category": "gambling",
        "uksic": "gambling",
        "source": "x/gambling",
        "entry": "bet365.com",
        "rule": 1,
        "rule_name": "no gambling",
        "window": None,
        "alert": "none",
        "host": "bet365.com",
    }
    assert (second["url"], second["verdict"], second["rule"], second["category"]) == (
        "http://example.org/",
        "allow",
        3,
        None,
    )


def test_check_exit_status_tells_whether_anything_was_blocked(school: School) -> None:
    assert school.run("check", "http://example.org/", "--exit-status").returncode == 0
    assert school.run("check", "http://example.org/", "http://bet365.com/", "--exit-status").returncode == 1
    assert school.run("check", "http://bet365.com/").returncode == 0  # only when asked


def today_at(hour: int, minute: int) -> str:
    return datetime.combine(datetime.now(LONDON).date(), time(hour, minute), tzinfo=LONDON).isoformat()


@pytest.mark.parametrize(
    ("at", "instant", "games"),
    [
        ("2026-11-23T10:30", "2026-11-23T10:30:00+00:00", "block"),  # school time, GMT
        ("2026-11-23T15:30", "2026-11-23T15:30:00+00:00", "allow"),  # after lessons
        ("2026-06-15T09:30", "2026-06-15T09:30:00+01:00", "block"),  # school time, BST
        ("2026-06-15T08:30", "2026-06-15T08:30:00+01:00", "allow"),  # before lessons
        ("2026-06-15T08:30+00:00", "2026-06-15T08:30:00+00:00", "block"),  # 09:30 in London
        ("2026-06-15T08:30:00Z", "2026-06-15T08:30:00+00:00", "block"),
        ("2026-11-22T10:30", "2026-11-22T10:30:00+00:00", "allow"),  # a Sunday
        ("2026-11-23", "2026-11-23T00:00:00+00:00", "allow"),  # a date alone is its midnight
    ],
)
def test_check_at_reads_times_in_school_time(school: School, at: str, instant: str, games: str) -> None:
    ran = school.run("check", "http://games.example/", "--json", "--at", at)
    record = json.loads(ran.stdout)
    assert (record["at"], record["verdict"]) == (instant, games)


@pytest.mark.parametrize(("at", "hour", "minute"), [("10:30", 10, 30), ("9:05", 9, 5), ("00:00", 0, 0)])
def test_check_at_a_clock_time_means_today(school: School, at: str, hour: int, minute: int) -> None:
    ran = school.run("check", "http://example.org/", "--json", "--at", at)
    assert json.loads(ran.stdout)["at"] == today_at(hour, minute)


@pytest.mark.parametrize(
    "at", ["nonsense", "25:00", "10:61", "10.30", "2026-13-01T10:00", "2026-11-23T10:30+25:00", ""]
)
def test_check_at_a_bad_time_says_what_to_give(school: School, at: str) -> None:
    ran = school.run("check", "http://example.org/", "--at", at)
    assert ran.returncode == 2
    assert ran.stdout == ""
    assert ran.stderr == (
        f'schoolgate: --at "{at}": give a time such as 10:30 (today) or 2026-11-23T10:30 (school time)\n'
    )


def test_check_without_compiled_lists_says_to_compile_them(school: School, tmp_path: Path) -> None:
    missing = tmp_path / "var" / "lists.sgidx"
    ran = schoolgate(
        "check", "http://example.org/", "--policy", school.policy, "--index", missing, cwd=school.root
    )
    assert ran.returncode == 2
    assert ran.stdout == ""
    assert ran.stderr == (
        f"schoolgate: no compiled lists at {missing}: "
        f"run `schoolgate lists compile --policy {school.policy}`\n"
    )


def test_check_with_a_broken_policy_lists_its_problems(school: School, tmp_path: Path) -> None:
    broken = school.root / "broken-window.toml"  # beside the lists it names
    text = POLICY.replace('window = "lessons"', 'window = "lesson"')
    broken.write_text(text, encoding="utf-8")
    ran = schoolgate(
        "check", "http://example.org/", "--policy", broken, "--index", school.index, cwd=tmp_path
    )
    assert ran.returncode == 2
    line = line_of(text, 'window = "lesson"')
    assert ran.stderr == (
        f"schoolgate: {broken}:{line}: rules[2].window: "
        'unknown window "lesson" (did you mean "lessons"?)\n'
        f"1 problem in {broken}\n"
    )


# ---------------------------------------------------------------------------------------------------------
# schoolgate policy check


def test_policy_check_of_a_good_file_summarises_it(school: School) -> None:
    ran = school.run("policy", "check")
    assert ran.returncode == 0
    assert ran.stdout == (
        f"{school.policy}: no problems (2 groups, 2 categories, 1 window, 3 rules; "
        f"checked against {school.index})\n"
    )


def test_policy_check_takes_the_file_as_an_argument_and_works_before_any_compile(tmp_path: Path) -> None:
    make_school(tmp_path)
    ran = schoolgate("policy", "check", "policy.toml", cwd=tmp_path)
    assert ran.returncode == 0
    assert ran.stdout == (
        "policy.toml: no problems (2 groups, 2 categories, 1 window, 3 rules); "
        "var/lists.sgidx does not exist yet, so the lists were not checked\n"
    )


SEVERAL_PROBLEMS = """\
schema_version = 1
colour = "blue"

[school]
timezone = "Europe/Londn"

[lists.x]
format = "squidguard"
path = "lists"

[groups.pupils]
default = "allow"
youtube = "strcit"

[groups.default]
default = "block"

[categories.gambling]
sources = [
    "x/gambling",
    "x/gamblng",
]
uksic = "gamble"

[[rules]]
categories = ["gambling"]
action = "block"

[[rules]]
categories = ["gamblin"]
groups = ["pupil"]
action = "alow"
"""


def test_policy_check_lists_every_problem_with_file_line_and_key(tmp_path: Path) -> None:
    make_school(tmp_path, SEVERAL_PROBLEMS)
    ran = schoolgate("policy", "check", "policy.toml", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stdout == ""
    lists = tmp_path.resolve() / "lists"
    assert lists.is_dir()
    assert ran.stderr.splitlines() == [
        'schoolgate: policy.toml:2: colour: unknown key "colour"',
        'policy.toml:5: school.timezone: unknown time zone "Europe/Londn" '
        '(use a name such as "Europe/London")',
        'policy.toml:13: groups.pupils.youtube: "strcit" is not one of "strict", "moderate", "off" '
        '(did you mean "strict"?)',
        'policy.toml:21: categories.gambling.sources[2]: list "x" has no category "gamblng" '
        '(did you mean "gambling"?)',
        'policy.toml:23: categories.gambling.uksic: "gamble" is not a UKSIC category '
        '(did you mean "gambling"?)',
        'policy.toml:30: rules[2].categories[1]: unknown category "gamblin" (did you mean "gambling"?)',
        'policy.toml:31: rules[2].groups[1]: unknown group "pupil" (did you mean "pupils"?)',
        'policy.toml:32: rules[2].action: "alow" is not one of "allow", "block" (did you mean "allow"?)',
        "8 problems in policy.toml",
    ]


def test_policy_check_reports_what_does_not_fit_the_compiled_lists_with_file_line_and_key(
    tmp_path: Path,
) -> None:
    text = POLICY.replace('[groups.default]\ndefault = "block"', '[groups.default]\ndefault = "allow"')
    text = text.replace('sources = ["x/games"]', 'sources = ["x/games", "x/violence"]')
    school = make_school(tmp_path, POLICY)
    assert school.run("lists", "compile").returncode == 0  # compiled before the policy named x/violence
    (tmp_path / "lists" / "violence").mkdir()
    (tmp_path / "lists" / "violence" / "domains").write_text("weapons.example\n", encoding="utf-8")
    school.policy.write_text(text, encoding="utf-8")
    ran = school.run("policy", "check")
    assert ran.returncode == 2
    sources_line = line_of(text, 'sources = ["x/games", "x/violence"]')
    default_line = line_of(text, "[groups.default]") + 1
    assert ran.stderr.splitlines() == [
        f"schoolgate: {school.policy}:{sources_line}: "
        'categories.games.sources: list source "x/violence" is not in the compiled lists: '
        'run "schoolgate lists compile"',
        f"{school.policy}:{default_line}: groups.default.default: "
        'the "default" group is for unidentified users and must be the most restrictive: '
        'its default must be "block"',
    ]


def test_policy_check_of_a_missing_file(tmp_path: Path) -> None:
    ran = schoolgate("policy", "check", "nowhere.toml", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr == (
        "schoolgate: nowhere.toml:0: cannot read the policy file: No such file or directory\n"
        "1 problem in nowhere.toml\n"
    )


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
