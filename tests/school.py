"""A school on disk for the tests that run Schoolgate as a school does: its policy file, the lists it
names and their compiled index in one directory, and the real `schoolgate` command run on them.

One home for what the CLI, policy file, Squid, DNS and block page tests all set up; each test module
keeps its own policy text (what it tests), and writes it through these.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SCHOOLGATE = [sys.executable, "-m", "schoolgate.cli"]


def run_schoolgate(
    *args: str | Path, ok: bool = True, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`schoolgate ARGS` as a real process, as a school's network manager runs it. The environment's
    SCHOOLGATE_* settings are left out, so that only what the test says counts. With `ok`, a failure
    fails the test with the command's own words; never may the command end in a traceback."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCHOOLGATE_")}
    done = subprocess.run(
        [*SCHOOLGATE, *map(str, args)],
        capture_output=True,
        check=False,
        text=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    if ok:
        assert done.returncode == 0, f"schoolgate {' '.join(map(str, args))}:\n{done.stdout}{done.stderr}"
    return done


def write_lists(lists: Path, domains: Mapping[str, str]) -> None:
    """A squidGuard-style list directory: `lists/NAME/domains` holding each text of `domains`."""
    for name, text in domains.items():
        (lists / name).mkdir(parents=True, exist_ok=True)
        (lists / name / "domains").write_text(text, encoding="utf-8")


def compile_index(policy: Path, index: Path, cwd: Path | None = None) -> None:
    """The policy's lists compiled into `index` by the real `schoolgate lists compile`."""
    run_schoolgate("lists", "compile", "--policy", policy, "--index", index, "--quiet", cwd=cwd)


@dataclass
class School:
    """A school's policy file (policy.toml), its squidGuard-style lists (lists/) and their compiled
    index (var/lists.sgidx), in one directory."""

    root: Path

    @property
    def policy(self) -> Path:
        return self.root / "policy.toml"

    @property
    def index(self) -> Path:
        return self.root / "var" / "lists.sgidx"

    def write_lists(self, domains: Mapping[str, str]) -> None:
        write_lists(self.root / "lists", domains)

    def write_policy(self, text: str) -> None:
        self.policy.write_text(text, encoding="utf-8")

    def compile(self) -> None:
        compile_index(self.policy, self.index, cwd=self.root)

    def run(self, *args: str | Path, ok: bool = False) -> subprocess.CompletedProcess[str]:
        """`schoolgate ARGS --policy … --index …` in the school's directory."""
        return run_schoolgate(*args, "--policy", self.policy, "--index", self.index, ok=ok, cwd=self.root)
