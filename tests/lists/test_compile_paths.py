"""Where `schoolgate lists compile` and `schoolgate policy check` may read lists from: a policy that
names a file outside the list directories is refused before anything is read, and a link inside a
list's directory that leads out of it is not followed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from schoolgate.lists.compile import compile_lists, list_files
from schoolgate.policyfile.load import load_policy

POLICY = """\
schema_version = 1

[lists.ut1]
format = "squidguard"
path = "lists"

[lists.extra]
format = "{format}"
path = "{path}"

[groups.default]
default = "block"

[categories.gambling]
sources = ["ut1/gambling"]
"""


def school(root: Path, path: str, fmt: str = "hosts") -> Path:
    (root / "lists" / "gambling").mkdir(parents=True)
    (root / "lists" / "gambling" / "domains").write_text("bet365.com\n", encoding="utf-8")
    policy = root / "policy.toml"
    policy.write_text(POLICY.format(path=path, format=fmt), encoding="utf-8")
    return policy


def run(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, with no SCHOOLGATE_ setting but `settings`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCHOOLGATE_")}
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_lists_compile_refuses_a_list_outside_and_reads_nothing(tmp_path: Path) -> None:
    school(tmp_path, "/etc/passwd")
    done = run("lists", "compile", "--policy", "policy.toml", "--index", "lists.sgidx", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("schoolgate: policy.toml:9: lists.extra.path: '/etc/passwd' is outside the ")
    assert f"read from ({tmp_path}, " in first  # the policy's directory, which holds the data directory var
    assert first.endswith("put the list in one of them, or name its directory in SCHOOLGATE_LISTS_ROOT")
    assert "root" not in done.stderr.replace(str(tmp_path), "")  # nothing of /etc/passwd was read
    assert not (tmp_path / "lists.sgidx").exists()


def test_policy_check_refuses_it_too_and_schoolgate_lists_root_lets_it_in(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "extra.txt").write_text("0.0.0.0 games.example\n", encoding="utf-8")
    school(tmp_path / "school", "../shared/extra.txt")
    done = run("policy", "check", "policy.toml", cwd=tmp_path / "school")
    assert done.returncode == 2
    assert "policy.toml:9: lists.extra.path: '../shared/extra.txt' is outside the " in done.stderr
    roots = f"{tmp_path / 'school'}:{shared}"
    compile_args = ("lists", "compile", "--policy", "policy.toml", "--index", "lists.sgidx", "--quiet")
    done = run(*compile_args, cwd=tmp_path / "school", SCHOOLGATE_LISTS_ROOT=roots)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "school" / "lists.sgidx").exists()


def test_a_link_out_of_a_list_directory_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("secret.example\n", encoding="utf-8")
    (tmp_path / "domains").write_text("also-secret.example\n", encoding="utf-8")
    policy = school(tmp_path / "school", "more", "squidguard")
    more = tmp_path / "school" / "more"
    (more / "adult").mkdir(parents=True)
    (more / "adult" / "domains").symlink_to(tmp_path / "secret")
    (more / "games").symlink_to(tmp_path, target_is_directory=True)  # a category that is a way out
    (more / "chat").mkdir()
    (more / "chat" / "domains").write_text("chat.example\n", encoding="utf-8")
    (more / "webmail").mkdir()
    (more / "webmail" / "domains").symlink_to(more / "chat" / "domains")  # an alias inside is read
    declared = load_policy(policy).lists
    assert [source for source, _, _ in list_files(declared["extra"])] == ["extra/chat", "extra/webmail"]
    result = compile_lists(declared, tmp_path / "lists.sgidx")
    link_out = "a link to a file outside the list's directory, so it was not read"
    assert sorted((p.file, p.message) for p in result.problems) == [
        (str(more / "adult" / "domains"), link_out),
        (str(more / "games" / "domains"), link_out),
    ]
    assert result.domains == 3  # bet365.com, and chat.example twice
    assert b"secret" not in (tmp_path / "lists.sgidx").read_bytes()
