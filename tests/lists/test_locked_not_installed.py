"""A locked list whose file is not there yet (a new school, before its IWF or terrorism list arrives):
the policy loads, the list compiles empty, and every report says it is not installed and how to get
it, never refusing the whole policy and never pretending it blocks. Any other missing list is still
an error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from schoolgate.cli import main
from schoolgate.engine.decide import Reason, Request, decide
from schoolgate.engine.policy import Action, compile_policy
from schoolgate.lists.compile import compile_lists, open_index
from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.load import load_policy

AT = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)

POLICY = """\
schema_version = 1

[lists.iwf]
format = "domains"
path = "lists/iwf.txt"
locked = true

[lists.games]
format = "domains"
path = "games.txt"

[groups.default]
default = "block"

[categories.child-abuse]
sources = ["iwf"]
locked = true

[categories.games]
sources = ["games"]

[[rules]]
categories = ["games"]
action = "block"
"""


def _policy(tmp_path: Path, text: str = POLICY) -> Path:
    (tmp_path / "games.txt").write_text("games.example\n")
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_a_missing_locked_list_is_not_installed_and_compiles_empty(tmp_path: Path) -> None:
    loaded = load_policy(_policy(tmp_path))
    assert [(d.name, d.installed) for d in loaded.lists.values()] == [("iwf", False), ("games", True)]
    assert [d.name for d in loaded.lists_not_installed] == ["iwf"]
    result = compile_lists(loaded.lists, tmp_path / "lists.sgidx")
    assert result.problems == []
    index = open_index(tmp_path / "lists.sgidx")
    assert "iwf" in index.source_ids
    compiled = compile_policy(loaded.policy, index)  # the locked category still compiles
    decision = decide(compiled, Request("http://games.example/"), AT)
    assert (decision.verdict, decision.category) == (Action.BLOCK, "games")


def test_once_installed_it_blocks(tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "iwf.txt").write_text("abuse.example\n")
    loaded = load_policy(policy)
    assert loaded.lists_not_installed == ()
    compile_lists(loaded.lists, tmp_path / "lists.sgidx")
    compiled = compile_policy(loaded.policy, open_index(tmp_path / "lists.sgidx"))
    decision = decide(compiled, Request("http://abuse.example/"), AT)
    assert (decision.verdict, decision.reason, decision.category) == (
        Action.BLOCK,
        Reason.LOCKED,
        "child-abuse",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('path = "games.txt"', 'path = "no-games.txt"'), "no-games.txt is not a file"),  # not locked
        (('path = "lists/iwf.txt"', 'path = "lists"'), "is not a file"),  # a directory, not missing
    ],
)
def test_anything_else_missing_is_still_an_error(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    (tmp_path / "lists").mkdir()
    with pytest.raises(PolicyFileError) as refused:
        load_policy(_policy(tmp_path, POLICY.replace(*change)))
    assert message in str(refused.value)


def test_the_commands_say_it_is_not_installed_and_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, index = _policy(tmp_path), tmp_path / "lists.sgidx"
    assert main(["policy", "check", str(policy), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert f"{policy}: no problems" in out
    assert (
        f'{policy}: warning: locked list "iwf" not installed: there is no file at {tmp_path}/lists/iwf.txt'
        in out
    )
    assert "IWF member" in out
    assert main(["lists", "compile", "--policy", str(policy), "--index", str(index), "--quiet"]) == 0
    assert 'warning: locked list "iwf" not installed' in capsys.readouterr().err
    assert main(["policy", "check", str(policy), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert f"checked against {index}" in out and "not installed" in out
