"""What the tests of the `schoolgate` command share: running it as a real process, and a small school
(a policy and its lists) to run it on."""

from __future__ import annotations

import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.school import School, run_schoolgate

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


Ran = subprocess.CompletedProcess[str]


def schoolgate(*args: str | Path, cwd: Path) -> Ran:
    """`schoolgate ARGS` in `cwd`, whatever it answers: the tests read its words and exit status."""
    return run_schoolgate(*args, ok=False, cwd=cwd)


def make_school(root: Path, policy: str = POLICY) -> School:
    """A school with the two lists POLICY names, its policy written but not compiled."""
    school = School(root)
    school.write_lists({"gambling": "bet365.com\ncasino.example\n", "games": "games.example\n"})
    school.write_policy(policy)
    return school


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line of `text` that is `needle`."""
    lines = text.splitlines()
    assert lines.count(needle) == 1, needle
    return lines.index(needle) + 1
