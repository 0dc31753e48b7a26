"""cli/__init__.py and cli/common.py: the subsystems' registration in one place, the shared options
declared once with their environment defaults, and a command's failure as one line (exit status 2)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import schoolgate.cli
from schoolgate.cli import build_parser, main
from schoolgate.cli.common import CommandError, Commands

# Every command that takes each shared option, with the arguments it needs besides.
TAKES = {
    "policy": [
        ["check", "http://example.org/"],
        ["policy", "check"],
        ["lists", "compile"],
        ["squid-helper"],
        ["squid", "config"],
        ["rpz", "export"],
        ["rpz", "watch"],
        ["unbound", "config", "--zones", "z"],
        ["dns-log", "--log", "l"],
        ["ca", "init"],
        ["block-page", "serve"],
    ],
    "index": [
        ["check", "http://example.org/"],
        ["policy", "check"],
        ["lists", "compile"],
        ["squid-helper"],
        ["squid", "config"],
        ["rpz", "export"],
        ["rpz", "watch"],
        ["dns-log", "--log", "l"],
    ],
    "spool": [["squid-helper"], ["squid", "config"], ["dns-log", "--log", "l"], ["block-page", "serve"]],
}
VARIABLES = {"policy": "SCHOOLGATE_POLICY", "index": "SCHOOLGATE_INDEX", "spool": "SCHOOLGATE_SPOOL"}
DEFAULTS = {"policy": "policy.toml", "index": "var/lists.sgidx", "spool": "var/spool"}


@pytest.mark.parametrize("option", sorted(TAKES))
def test_each_shared_option_has_one_default_everywhere_from_the_environment(
    option: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(VARIABLES[option], raising=False)
    for command in TAKES[option]:
        assert getattr(build_parser().parse_args(command), option) == Path(DEFAULTS[option]), command
    monkeypatch.setenv(VARIABLES[option], str(tmp_path / option))
    for command in TAKES[option]:
        assert getattr(build_parser().parse_args(command), option) == tmp_path / option, command


def test_the_block_page_key_defaults_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCHOOLGATE_BLOCK_PAGE_KEY", str(tmp_path / "key"))
    assert build_parser().parse_args(["block-page", "serve"]).key == tmp_path / "key"
    assert build_parser().parse_args(["block-page", "key"]).file == tmp_path / "key"
    # The gateways that sign take no default path: without a key they say so (see cli/squid.py).
    assert build_parser().parse_args(["squid-helper"]).block_page_key is None


def test_a_new_subsystem_is_one_register_function_in_the_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def register(commands: Commands) -> None:
        hello = commands.add_parser("hello", help="say hello")
        hello.set_defaults(handler=lambda args: print("hello") or 0)

    monkeypatch.setattr(schoolgate.cli, "SUBSYSTEMS", (*schoolgate.cli.SUBSYSTEMS, register))
    assert main(["hello"]) == 0
    assert capsys.readouterr().out == "hello\n"


def test_a_command_error_is_one_line_and_exit_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: argparse.Namespace) -> int:
        raise CommandError("the policy file is not there")

    def register(commands: Commands) -> None:
        commands.add_parser("fail").set_defaults(handler=fail)

    monkeypatch.setattr(schoolgate.cli, "SUBSYSTEMS", (register,))
    assert main(["fail"]) == 2
    assert capsys.readouterr().err == "schoolgate: the policy file is not there\n"


def test_the_console_script_and_python_m_both_run_main() -> None:
    [script] = [e for e in entry_points(group="console_scripts") if e.name == "schoolgate"]
    assert script.load() is main
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: schoolgate [-h] COMMAND ...")
    assert "explain how the policy decides a URL" in done.stdout
