"""Reading a policy file: every problem reported with its line, key and a useful message; a good file
read into the engine's Policy."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schoolgate.engine.policy import Action, AlertLevel, Category, Group, Network, Rule, SiteList, YouTubeMode
from schoolgate.engine.windows import make_window
from schoolgate.policyfile.errors import PolicyFileError, Problem
from schoolgate.policyfile.load import (
    ListDeclaration,
    builtin_lists_dir,
    list_roots,
    load_policy,
    parse_policy,
)

LONDON = ZoneInfo("Europe/London")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policy.toml"

P = partial(Problem, "policy.toml")

# Every snippet below goes between these two: it starts on line 2, and may name what TABLES declares.
HEAD = "schema_version = 1\n"
TABLES = """
[school]
name = "Test School"
timezone = "Europe/London"

[lists.x]
format = "squidguard"
path = "lists"

[lists.iwf]
format = "domains"
path = "iwf.txt"
locked = true

[groups.pupils]
default = "allow"

[groups.default]
default = "block"

[windows.lessons]
days = ["mon-fri"]
times = ["09:00-15:00"]

[categories.gambling]
sources = ["x/gambling"]

[sites.curriculum]
domains = ["bbc.co.uk"]
"""


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The directory a policy's relative list paths start from, holding the lists TABLES names."""
    for category in ("gambling", "games"):
        (tmp_path / "lists" / category).mkdir(parents=True)
        (tmp_path / "lists" / category / "domains").write_text("example.com\n", encoding="utf-8")
    (tmp_path / "iwf.txt").write_text("abuse.example\n", encoding="utf-8")
    return tmp_path


def problems_of(text: str, base: Path) -> list[Problem]:
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(text, "policy.toml", base)
    return list(caught.value.problems)


def test_the_tables_alone_are_a_good_policy(base: Path) -> None:
    assert parse_policy(HEAD + TABLES, "policy.toml", base).policy.school == "Test School"


SNIPPETS = [
    pytest.param(
        'window = "lessons"\n',
        [P(2, "window", 'unknown key "window" (did you mean "windows"?)')],
        id="top-level-key",
    ),
    pytest.param(
        '[[rules]]\ngroups = ["pupil"]\ncategories = ["gambling"]\naction = "block"\n',
        [P(3, "rules[1].groups[1]", 'unknown group "pupil" (did you mean "pupils"?)')],
        id="rule-group",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gamblng"]\naction = "block"\n',
        [P(3, "rules[1].categories[1]", 'unknown category "gamblng" (did you mean "gambling"?)')],
        id="rule-category",
    ),
    pytest.param(
        '[[rules]]\ncategories = [\n  "gambling",\n  "Gambling",\n]\naction = "block"\n',
        [P(5, "rules[1].categories[2]", 'unknown category "Gambling" (did you mean "gambling"?)')],
        id="rule-category-on-its-own-line",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\nwindow = "lesson"\naction = "block"\n',
        [P(4, "rules[1].window", 'unknown window "lesson" (did you mean "lessons"?)')],
        id="rule-window",
    ),
    pytest.param(
        '[[rules]]\nsites = ["curriculm"]\naction = "allow"\n',
        [P(3, "rules[1].sites[1]", 'unknown site list "curriculm" (did you mean "curriculum"?)')],
        id="rule-site-list",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\naction = "blok"\n',
        [P(4, "rules[1].action", '"blok" is not one of "allow", "block" (did you mean "block"?)')],
        id="rule-action",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\n',
        [P(2, "rules[1]", 'missing "action": "allow" or "block"')],
        id="rule-without-action",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\naction = "block"\nalert = "hihg"\n',
        [
            P(
                5,
                "rules[1].alert",
                '"hihg" is not one of "none", "low", "medium", "high" (did you mean "high"?)',
            )
        ],
        id="rule-alert",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\naction = "block"\nactoin = "allow"\n',
        [P(5, "rules[1].actoin", 'unknown key "actoin" (did you mean "action"?)')],
        id="rule-key",
    ),
    pytest.param(
        '[[rules]]\nname = "oops"\naction = "block"\n',
        [
            P(
                2,
                "rules[1]",
                'rule 1 "oops" matches nothing: give categories, sites, domains, urls, patterns, '
                "or all_sites = true",
            )
        ],
        id="rule-matching-nothing",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\naction = "allow"\n'
        "starts = 2026-12-01\nexpires = 2026-11-01T09:00:00\n",
        [P(6, "rules[1].expires", "the rule expires before it starts")],
        id="rule-expiring-before-it-starts",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\naction = "allow"\n'
        "starts = 2026-12-01T09:00:00\nexpires = 2026-12-01T09:00:00\n",
        [P(6, "rules[1].expires", "the rule expires before it starts")],
        id="rule-expiring-as-it-starts",
    ),
    pytest.param(
        '[[rules]]\ncategories = ["gambling"]\naction = "allow"\nexpires = "next week"\n',
        [P(5, "rules[1].expires", "expected a date or date-time such as 2026-12-18T15:30:00, found text")],
        id="rule-expiry-not-a-date",
    ),
    pytest.param(
        '[categories.betting]\nsources = ["x/gambling"]\nuksic = "gamblng"\n',
        [P(4, "categories.betting.uksic", '"gamblng" is not a UKSIC category (did you mean "gambling"?)')],
        id="uksic",
    ),
    pytest.param(
        '[windows.w]\ntimezone = "Europe/Londn"\n',
        [P(3, "windows.w.timezone", 'unknown time zone "Europe/Londn" (use a name such as "Europe/London")')],
        id="window-time-zone",
    ),
    pytest.param(
        '[[identities]]\ngroup = "pupils"\nnetworks = ["10.0.0.0/8", "10.0.0.300/24"]\n',
        [P(4, "identities[1].networks[2]", '"10.0.0.300/24" is not an address or range such as 10.1.0.0/16')],
        id="network",
    ),
    pytest.param(
        '[[identities]]\ngroup = "pupil"\nusers = ["alice"]\n',
        [P(3, "identities[1].group", 'unknown group "pupil" (did you mean "pupils"?)')],
        id="identity-group",
    ),
    pytest.param(
        '[[identities]]\ngroup = "pupils"\nusers = ["Alice"]\n\n'
        '[[identities]]\ngroup = "default"\nusers = ["bob", "ALICE"]\n',
        [P(8, "identities[2].users[2]", 'user "ALICE" is already in group "pupils" (line 4)')],
        id="user-in-two-groups",
    ),
    pytest.param(
        '[windows.w]\ndays = ["mon"]\ntimes = ["08:00-09:00", "25:00-26:00"]\n',
        [
            P(
                4,
                "windows.w.times[2]",
                'window "w": time span "25:00-26:00": hour must be 00 to 23 (or 24:00 as an end time)',
            )
        ],
        id="window-span",
    ),
    pytest.param(
        '[windows.w]\ntimes = ["9-10"]\n',
        [
            P(
                3,
                "windows.w.times[1]",
                'window "w": time span "9-10": expected HH:MM-HH:MM, for example "08:45-12:00" '
                '(or "22:00-06:00" to cross midnight)',
            )
        ],
        id="window-span-format",
    ),
    pytest.param(
        '[windows.w]\ndays = ["mon", "frday"]\n',
        [P(3, "windows.w.days[2]", 'window "w": unknown day "frday" (did you mean "friday"?)')],
        id="window-day",
    ),
    pytest.param(
        '[windows.w]\nterms = ["2026-02-30..2026-03-10"]\n',
        [
            P(
                3,
                "windows.w.terms[1]",
                'window "w": date range "2026-02-30..2026-03-10": 2026-02-30 is not a real date '
                "(February 2026 has 28 days)",
            )
        ],
        id="window-date",
    ),
    pytest.param(
        '[windows.w]\nholidays = [\n  "2026-10-26..2026-10-30",\n  "2026-12-18..2026-09-03",\n]\n',
        [
            P(
                5,
                "windows.w.holidays[2]",
                'window "w": date range "2026-12-18..2026-09-03": the first date is after the last '
                "(write the earlier date first)",
            )
        ],
        id="window-date-range",
    ),
    pytest.param(
        '[lists.y]\nformat = "squidguard"\npath = "nope"\n',
        [P(4, "lists.y.path", "{base}/nope is not a directory of category lists")],
        id="list-directory",
    ),
    pytest.param(
        '[lists.y]\nformat = "domains"\npath = "nope.txt"\n',
        [P(4, "lists.y.path", "{base}/nope.txt is not a file")],
        id="list-file",
    ),
    pytest.param(
        '[lists.y]\nformat = "squidgaurd"\npath = "lists"\n',
        [
            P(
                3,
                "lists.y.format",
                '"squidgaurd" is not one of "squidguard", "domains", "hosts" (did you mean "squidguard"?)',
            )
        ],
        id="list-format",
    ),
    pytest.param(
        '[categories.c]\nsources = ["x/gambling", "xx/gambling"]\n',
        [P(3, "categories.c.sources[2]", 'unknown list "xx" in "xx/gambling" (did you mean "x"?)')],
        id="source-list",
    ),
    pytest.param(
        '[categories.c]\nsources = ["x/gamblng"]\n',
        [P(3, "categories.c.sources[1]", 'list "x" has no category "gamblng" (did you mean "gambling"?)')],
        id="source-category",
    ),
    pytest.param(
        '[categories.c]\nsources = ["x/../../etc", "x/gambling/../games", "x/.."]\n',
        [
            P(
                3,
                f"categories.c.sources[{n}]",
                f'"{source}": a category is one folder name of the list (letters, digits, "_", "-", ".")',
            )
            for n, source in ((1, "x/../../etc"), (2, "x/gambling/../games"), (3, "x/.."))
        ],
        id="source-category-leading-out",
    ),
    pytest.param(
        '[categories.c]\nsources = ["x"]\n',
        [P(3, "categories.c.sources[1]", '"x": name a category of the list, such as "x/gambling"')],
        id="source-without-category",
    ),
    pytest.param(
        '[categories.c]\nsources = ["iwf/abuse"]\n',
        [P(3, "categories.c.sources[1]", '"iwf/abuse": list "iwf" is a single list; write just "iwf"')],
        id="source-category-of-a-single-list",
    ),
    pytest.param(
        "[school\n",
        [P(2, "", "TOML syntax error at column 8: expected ']' at the end of a table declaration")],
        id="toml-syntax",
    ),
    pytest.param(
        '[groups.default]\ndefault = "block"\n',
        [P(21, "", "TOML syntax error at column 16: cannot declare ('groups', 'default') twice")],
        id="toml-table-twice",
    ),
]


@pytest.mark.parametrize(("snippet", "expected"), SNIPPETS)
def test_a_bad_policy_names_the_line_the_key_and_the_fix(
    snippet: str, expected: list[Problem], base: Path
) -> None:
    expected = [Problem(p.file, p.line, p.key, p.message.replace("{base}", str(base))) for p in expected]
    assert problems_of(HEAD + snippet + TABLES, base) == expected


WHOLE_FILES = [
    pytest.param(
        TABLES,
        [P(1, "", "missing schema_version: add `schema_version = 1` at the top")],
        id="no-schema-version",
    ),
    pytest.param(
        "schema_version = 2\n" + TABLES,
        [P(1, "schema_version", "this policy file is schema version 2; this Schoolgate reads version 1")],
        id="newer-schema-version",
    ),
    pytest.param(
        '# comment\nschema_version = "1"\n' + TABLES,
        [P(2, "schema_version", "this policy file is schema version '1'; this Schoolgate reads version 1")],
        id="schema-version-as-text",
    ),
    pytest.param(
        HEAD + TABLES.replace('timezone = "Europe/London"', 'timezone = "Europe/Londn"'),
        [P(5, "school.timezone", 'unknown time zone "Europe/Londn" (use a name such as "Europe/London")')],
        id="school-time-zone",
    ),
    pytest.param(
        HEAD + TABLES.replace('name = "Test School"', 'name = "Test School"\nblock_page = "blocked.html"'),
        [
            P(
                5,
                "school.block_page",
                "'blocked.html' is not a usable block page address: give an http:// or https:// URL "
                "without spaces or quotes",
            )
        ],
        id="block-page-not-a-url",
    ),
    pytest.param(
        HEAD
        + TABLES.replace('name = "Test School"', 'name = "Test School"\nblock_page = "http://b.test/a b"'),
        [
            P(
                5,
                "school.block_page",
                "'http://b.test/a b' is not a usable block page address: give an http:// or https:// URL "
                "without spaces or quotes",
            )
        ],
        id="block-page-with-a-space",
    ),
    pytest.param(
        HEAD + TABLES.replace('[groups.default]\ndefault = "block"\n', ""),
        [P(16, "groups", 'add a group "default": unidentified users and devices get it')],
        id="no-default-group",
    ),
    pytest.param(
        HEAD + TABLES.replace("[groups.pupils]", "[groups.everyone]"),
        [P(16, "groups.everyone", '"everyone" is reserved: rules use it to mean every group')],
        id="group-called-everyone",
    ),
    pytest.param(
        # an error at the very end is reported on the last line, not the first
        'schema_version = 1\n\n[school]\nname = "Test School"\nblock_page =',
        [P(5, "", "TOML syntax error at end of file: invalid value")],
        id="toml-syntax-at-end-of-file",
    ),
]


@pytest.mark.parametrize(("text", "expected"), WHOLE_FILES)
def test_a_bad_policy_file_as_a_whole(text: str, expected: list[Problem], base: Path) -> None:
    assert problems_of(text, base) == expected


SEVERAL = (
    HEAD
    + """\
colour = "blue"

[[rules]]
categories = ["gamblng"]
groups = ["pupil"]
action = "blok"

[[identities]]
group = "pupils"
networks = ["10.0.0.300/24"]

[windows.w]
times = ["25:00-26:00"]
"""
    + TABLES.replace('sources = ["x/gambling"]', 'sources = ["x/gambling", "x/gamblng"]')
)


def test_every_problem_in_a_file_is_reported_in_line_order(base: Path) -> None:
    problems = problems_of(SEVERAL, base)
    assert [(p.line, p.key) for p in problems] == [
        (2, "colour"),
        (5, "rules[1].categories[1]"),
        (6, "rules[1].groups[1]"),
        (7, "rules[1].action"),
        (11, "identities[1].networks[1]"),
        (14, "windows.w.times[1]"),
        (40, "categories.gambling.sources[2]"),
    ]
    assert str(PolicyFileError(problems)).splitlines()[-1] == "7 problems in policy.toml"


GOOD = """\
schema_version = 1

[school]
name = "Example Primary"
timezone = "Europe/London"
block_page = "https://filter.example.sch.uk/blocked"
unparsable = "allow"

[lists.x]
format = "squidguard"
path = "lists"
description = "UT1, trimmed"

[lists.iwf]
format = "domains"
path = "iwf.txt"
locked = true

[lists.sample]
path = "builtin:ut1-sample"

[groups.pupils]
description = "Key Stage 2"
default = "allow"
youtube = "strict"

[groups.staff]
default = "allow"
safe_search = false
youtube = "moderate"

[groups.default]
default = "block"

[[identities]]
group = "pupils"
users = ["Alice", "BOB.Smith"]
networks = ["10.10.1.5/24"]
label = "KS2 tablets"

[[identities]]
group = "staff"
users = "Mr.Patel"
networks = ["fd00::/64"]

[windows.lessons]
days = ["mon-fri"]
times = ["08:45-12:00", "13:15-15:15"]
terms = ["2026-09-03..2026-12-18"]
holidays = ["2026-10-26..2026-10-30"]

[windows.night]
timezone = "UTC"
times = ["22:00-06:00"]

[categories.abuse]
sources = ["iwf"]
uksic = "illegal"
locked = true

[categories.gambling]
sources = ["x/gambling"]
uksic = "gambling"
description = "Betting"

[categories.games]
sources = ["x/games", "sample/games"]

[sites.curriculum]
domains = ["bbc.co.uk"]
urls = ["example.org/maths"]

[[rules]]
name = "curriculum"
sites = ["curriculum"]
action = "allow"

[[rules]]
name = "games for a lesson"
groups = ["pupils"]
categories = ["games"]
window = "lessons"
starts = 2026-11-23T09:00:00
expires = 2026-11-24
action = "allow"

[[rules]]
categories = ["gambling"]
domains = ["bet.example"]
urls = ["example.net/casino"]
patterns = ["poker"]
starts = 2026-06-01T09:00:00+02:00
action = "block"
alert = "high"

[[rules]]
name = "everything else"
all_sites = true
action = "allow"
"""


def test_a_good_file_gives_the_policy_it_describes(base: Path) -> None:
    read = parse_policy(GOOD, "policy.toml", base)
    policy = read.policy
    assert read.path == Path("policy.toml")
    assert read.text == GOOD
    assert policy.school == "Example Primary"
    assert policy.timezone == LONDON
    assert policy.block_page == "https://filter.example.sch.uk/blocked"
    assert policy.unparsable_action is Action.ALLOW
    assert dict(policy.groups) == {
        "pupils": Group("pupils", Action.ALLOW, "Key Stage 2", True, YouTubeMode.STRICT),
        "staff": Group("staff", Action.ALLOW, "", False, YouTubeMode.MODERATE),
        "default": Group("default", Action.BLOCK, "", True, YouTubeMode.STRICT),
    }
    assert dict(policy.users) == {"alice": "pupils", "bob.smith": "pupils", "mr.patel": "staff"}
    assert policy.networks == (
        Network(ipaddress.ip_network("10.10.1.0/24"), "pupils", "KS2 tablets"),
        Network(ipaddress.ip_network("fd00::/64"), "staff", ""),
    )
    assert dict(policy.windows) == {
        "lessons": make_window(
            "lessons",
            LONDON,
            days=["mon-fri"],
            spans=["08:45-12:00", "13:15-15:15"],
            terms=["2026-09-03..2026-12-18"],
            holidays=["2026-10-26..2026-10-30"],
        ),
        "night": make_window("night", ZoneInfo("UTC"), spans=["22:00-06:00"]),
    }
    assert dict(policy.categories) == {
        "abuse": Category("abuse", ("iwf",), "illegal", "", True),
        "gambling": Category("gambling", ("x/gambling",), "gambling", "Betting", False),
        "games": Category("games", ("x/games", "sample/games"), None, "", False),
    }
    assert policy.locked_sources == frozenset({"iwf"})
    assert dict(policy.sites) == {
        "curriculum": SiteList("curriculum", ("bbc.co.uk",), ("example.org/maths",), "")
    }
    assert policy.rules == (
        Rule(1, "curriculum", Action.ALLOW, sites=("curriculum",)),
        Rule(
            2,
            "games for a lesson",
            Action.ALLOW,
            groups=("pupils",),
            categories=("games",),
            window="lessons",
            starts=datetime(2026, 11, 23, 9, 0, tzinfo=LONDON),
            expires=datetime(2026, 11, 24, 0, 0, tzinfo=LONDON),
        ),
        Rule(
            3,
            "rule 3",
            Action.BLOCK,
            categories=("gambling",),
            domains=("bet.example",),
            urls=("example.net/casino",),
            patterns=("poker",),
            starts=datetime(2026, 6, 1, 7, 0, tzinfo=UTC),
            alert=AlertLevel.HIGH,
        ),
        Rule(4, "everything else", Action.ALLOW, all_sites=True),
    )
    lessons_rule = policy.rules[1]
    assert lessons_rule.starts is not None
    assert lessons_rule.starts.tzinfo == LONDON  # written without an offset: school time
    assert dict(read.lists) == {
        "x": ListDeclaration("x", "squidguard", base / "lists", False, "UT1, trimmed"),
        "iwf": ListDeclaration("iwf", "domains", base / "iwf.txt", True, ""),
        "sample": ListDeclaration("sample", "squidguard", builtin_lists_dir() / "ut1-sample", False, ""),
    }


def test_local_times_are_read_in_the_schools_own_time_zone(base: Path) -> None:
    text = GOOD.replace('timezone = "Europe/London"', 'timezone = "Asia/Dubai"')
    rule = parse_policy(text, "policy.toml", base).policy.rules[1]
    assert rule.starts == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 09:00 in Dubai (UTC+4)
    assert rule.expires == datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # midnight in Dubai
    assert rule.starts.tzinfo == ZoneInfo("Asia/Dubai")


def test_the_date_time_a_message_suggests_can_be_written(base: Path) -> None:
    # "expected a date or date-time such as 2026-12-18T15:30": TOML 1.0 (tomllib before Python 3.14)
    # needs the seconds, so the example given must be one the loader itself accepts
    [problem] = problems_of(
        HEAD + '[[rules]]\ncategories = ["gambling"]\naction = "allow"\nexpires = "x"\n' + TABLES, base
    )
    example = problem.message.split("such as ", 1)[1].split(",", 1)[0]
    text = HEAD + f'[[rules]]\ncategories = ["gambling"]\naction = "allow"\nexpires = {example}\n' + TABLES
    assert parse_policy(text, "policy.toml", base).policy.rules[0].expires is not None


def test_the_example_policy_is_good() -> None:
    read = load_policy(EXAMPLE)
    assert read.policy.school == "Example Primary School"
    assert "default" in read.policy.groups
    assert read.lists["iwf"].path == EXAMPLE.parent / "lists" / "iwf-test.txt"


# ---------------------------------------------------------------------------------------------------------
# load_policy: the file itself


def test_load_policy_reads_list_paths_from_the_policy_files_directory(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (base / "policy.toml").write_text(HEAD + TABLES, encoding="utf-8")
    monkeypatch.chdir("/")
    read = load_policy(base / "policy.toml")
    assert read.path == base / "policy.toml"
    assert read.lists["x"].path == base.resolve() / "lists"


def test_load_policy_names_the_file_in_each_problem(base: Path) -> None:
    path = base / "school.toml"
    path.write_text(
        HEAD + '[[rules]]\ncategories = ["gambling"]\naction = "blok"\n' + TABLES, encoding="utf-8"
    )
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    assert caught.value.problems == (
        Problem(
            str(path), 4, "rules[1].action", '"blok" is not one of "allow", "block" (did you mean "block"?)'
        ),
    )


def test_a_file_that_is_not_utf8_names_the_line(base: Path) -> None:
    path = base / "policy.toml"
    path.write_bytes(b'schema_version = 1\n\n[school]\nname = "\xe9cole"\n')
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    assert caught.value.problems == (Problem(str(path), 4, "", "the file is not UTF-8 text"),)


@pytest.mark.parametrize(
    ("name", "reason"), [("missing.toml", "No such file or directory"), ("lists", "Is a directory")]
)
def test_a_file_that_cannot_be_read_says_why(base: Path, name: str, reason: str) -> None:
    with pytest.raises(PolicyFileError) as caught:
        load_policy(base / name)
    assert caught.value.problems == (
        Problem(str(base / name), 0, "", f"cannot read the policy file: {reason}"),
    )


def test_a_file_saved_with_a_byte_order_mark_is_read(base: Path) -> None:
    # Windows Notepad saves UTF-8 with a BOM; the locator already skips one, the loader must too
    path = base / "policy.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + TABLES).encode())
    assert load_policy(path).policy.school == "Test School"


# ---------------------------------------------------------------------------------------------------------
# Where lists may be read from: the data directory, the policy's own directory, SCHOOLGATE_LISTS_ROOT


def one_list(path: str, fmt: str = "domains") -> str:
    return HEAD + f'[lists.y]\nformat = "{fmt}"\npath = "{path}"\n\n[groups.default]\ndefault = "block"\n'


@pytest.fixture
def roots_from_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No SCHOOLGATE_LISTS_ROOT, and a data directory of the test's own (not the policy's)."""
    monkeypatch.delenv("SCHOOLGATE_LISTS_ROOT", raising=False)
    monkeypatch.delenv("SCHOOLGATE_LISTS", raising=False)
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("SCHOOLGATE_DATA", str(data))
    return data


def outside_message(text: str, roots: tuple[Path, ...]) -> str:
    shown = ", ".join(str(root) for root in roots)
    return (
        f"{text!r} is outside the directories lists are read from ({shown}): put the list in one of them, "
        "or name its directory in SCHOOLGATE_LISTS_ROOT"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",  # a file that is there
        "/etc/no-such-file-here",  # and one that is not: the same answer, so nothing is learned
        "../outside/passwd",  # up out of the policy's directory
        "lists/../../outside/passwd",
        "builtin:../../../../../../etc/passwd",  # up out of the sample lists
        "~/.ssh/id_rsa",
        "~no-such-user-here/lists",  # no home directory to take it from: a problem, not a traceback
    ],
)
def test_a_list_outside_the_list_directories_is_refused(
    base: Path, roots_from_defaults: Path, path: str
) -> None:
    (base.parent / "outside").mkdir(exist_ok=True)
    (base.parent / "outside" / "passwd").write_text("root.example\n", encoding="utf-8")
    roots = list_roots(base)
    assert problems_of(one_list(path), base) == [P(4, "lists.y.path", outside_message(path, roots))]


def test_the_default_directories_are_the_data_directory_the_policys_and_the_samples(
    base: Path, roots_from_defaults: Path
) -> None:
    assert list_roots(base) == (
        roots_from_defaults,
        (Path("var") / "lists" / "ut1").resolve(),
        base,
        builtin_lists_dir(),
    )
    (roots_from_defaults / "iwf.txt").write_text("abuse.example\n", encoding="utf-8")
    read = parse_policy(one_list(str(roots_from_defaults / "iwf.txt")), "policy.toml", base)
    assert read.lists["y"].path == roots_from_defaults / "iwf.txt"


def test_a_symlink_out_of_a_list_directory_is_followed_and_refused(
    base: Path, roots_from_defaults: Path
) -> None:
    secret = base.parent / "secret.txt"
    secret.write_text("secret.example\n", encoding="utf-8")
    (base / "innocent.txt").symlink_to(secret)
    (base / "elsewhere").symlink_to("/etc", target_is_directory=True)
    assert problems_of(one_list("innocent.txt"), base)[0].message == outside_message(
        "innocent.txt", list_roots(base)
    )
    assert problems_of(one_list("elsewhere", "squidguard"), base)[0].key == "lists.y.path"


def test_a_symlink_that_stays_inside_is_read_where_it_leads(base: Path, roots_from_defaults: Path) -> None:
    (base / "current.txt").symlink_to(base / "iwf.txt")
    assert parse_policy(one_list("current.txt"), "policy.toml", base).lists["y"].path == base / "iwf.txt"


def test_categories_of_a_refused_list_are_not_looked_at(base: Path, roots_from_defaults: Path) -> None:
    text = one_list("/etc", "squidguard") + '\n[categories.c]\nsources = ["y/ssl"]\n'
    assert [p.key for p in problems_of(text, base)] == ["lists.y.path"]  # not: no category "ssl" in /etc


def test_schoolgate_lists_root_names_the_directories_instead(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-lists"
    (shared / "more").mkdir(parents=True)
    (shared / "more" / "iwf.txt").write_text("abuse.example\n", encoding="utf-8")
    monkeypatch.setenv("SCHOOLGATE_LISTS_ROOT", f"{shared}:{tmp_path / 'missing'}:")
    assert list_roots(base) == (shared, tmp_path / "missing", builtin_lists_dir())
    assert parse_policy(one_list(f"{shared}/more/iwf.txt"), "policy.toml", base).lists["y"].path == (
        shared / "more" / "iwf.txt"
    )
    # the policy's own directory is no longer one of them
    assert problems_of(one_list("iwf.txt"), base)[0].key == "lists.y.path"
    # the sample shipped with Schoolgate always is
    text = HEAD + '[lists.s]\npath = "builtin:ut1-sample"\n\n[groups.default]\ndefault = "block"\n'
    assert parse_policy(text, "policy.toml", base).lists["s"].path == builtin_lists_dir() / "ut1-sample"


def test_roots_can_be_given_and_a_nul_byte_is_a_problem_not_a_crash(base: Path) -> None:
    text = one_list("iwf.txt")
    assert parse_policy(text, "policy.toml", base, roots=[base]).lists["y"].path == base / "iwf.txt"
    assert [p.key for p in problems_of(one_list("a\\u0000b"), base)] == ["lists.y.path"]
    with pytest.raises(PolicyFileError):
        parse_policy(text, "policy.toml", base, roots=[base / "lists"])


def test_load_policy_refuses_a_list_outside_with_file_line_and_key(
    base: Path, roots_from_defaults: Path
) -> None:
    path = base / "policy.toml"
    path.write_text(one_list("/etc/passwd", "hosts"), encoding="utf-8")
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{path}:4: lists.y.path: '/etc/passwd' is outside the directories lists")
    assert "SCHOOLGATE_LISTS_ROOT" in str(problem)
