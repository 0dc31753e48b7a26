"""cli/check.py, run as a real process: `schoolgate check` and `schoolgate policy check`."""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path

import pytest

from tests.cli.school import LONDON, POLICY, line_of, make_school, schoolgate
from tests.school import School

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


def test_policy_check_counts_the_grants_of_approved_requests(tmp_path: Path) -> None:
    make_school(tmp_path)
    with (tmp_path / "policy.toml").open("a") as text:
        text.write('\n[[grants]]\nrequest = 14\ndomains = ["maths.example"]\naction = "allow"\n')
    ran = schoolgate("policy", "check", "policy.toml", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "(2 groups, 2 categories, 1 window, 3 rules, 1 grant)" in ran.stdout


def test_policy_check_takes_the_file_as_an_argument_and_works_before_any_compile(tmp_path: Path) -> None:
    make_school(tmp_path)
    ran = schoolgate("policy", "check", "policy.toml", cwd=tmp_path)
    assert ran.returncode == 0
    assert ran.stdout == (
        "policy.toml: no problems (2 groups, 2 categories, 1 window, 3 rules); "
        "var/lists.sgidx does not exist yet, so the lists were not checked\n"
    )


def test_policy_check_before_any_compile_still_refuses_what_the_gateways_would(tmp_path: Path) -> None:
    # The Squid helper fails closed on a `default` group that allows: `policy check` must not call
    # such a policy good just because the lists are not compiled yet.
    text = POLICY.replace('[groups.default]\ndefault = "block"', '[groups.default]\ndefault = "allow"')
    text += '\n[[rules]]\nname = "bad pattern"\npatterns = ["(unclosed"]\naction = "block"\n'
    make_school(tmp_path, text)
    ran = schoolgate("policy", "check", "policy.toml", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stdout == ""
    default_line = line_of(text, "[groups.default]") + 1
    pattern_line = line_of(text, 'patterns = ["(unclosed"]')
    assert ran.stderr.splitlines() == [
        f"schoolgate: policy.toml:{pattern_line}: rules[4].patterns[1]: not a valid regular expression: "
        "missing ): (unclosed",
        f"policy.toml:{default_line}: groups.default.default: "
        'the "default" group is for unidentified users and must be the most restrictive: '
        'its default must be "block"',
    ]


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
