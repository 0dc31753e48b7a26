"""What the tests of the `schoolgate` command share: running it as a real process, and a small school
(a policy and its lists) to run it on."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

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


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line of `text` that is `needle`."""
    lines = text.splitlines()
    assert lines.count(needle) == 1, needle
    return lines.index(needle) + 1
