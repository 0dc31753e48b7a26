"""What the `schoolgate` commands share: the error they report, and the options named in more than one.

Each shared option is declared here once, with its environment default, so that `--spool` means the
same directory, with the same help, for the Squid helper, `squid config`, `dns-log` and the block page.
The defaults are read when the parser is built (at each run), so a test or a service may set the
environment before calling `main`.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, time, tzinfo
from pathlib import Path
from typing import TypeAlias

from schoolgate.engine.policy import CompiledPolicy
from schoolgate.files import write_atomically
from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.load import PolicyFile, load_policy
from schoolgate.policyfile.snapshot import Snapshot, compile_snapshot, load_snapshot

__all__ = [
    "BLOCK_PAGE_KEY_DEFAULT",
    "CommandError",
    "Commands",
    "add_block_page_key",
    "add_block_page_url",
    "add_index",
    "add_policy",
    "add_spool",
    "count",
    "env_path",
    "load",
    "load_compiled",
    "parse_at",
    "snapshot",
    "write_config",
]

# The `commands` each subsystem's `register` adds its parsers to.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

BLOCK_PAGE_KEY_DEFAULT = "var/block-page.key"


class CommandError(Exception):
    """A failure to report in one clear message (exit status 2), never as a traceback."""


def env_path(name: str, default: str) -> Path:
    """The path in the environment variable `name`, else `default`."""
    return Path(os.environ.get(name) or default)


def add_env_path(parser: argparse.ArgumentParser, flag: str, variable: str, default: str, help: str) -> None:
    """A path option whose default is the environment variable `variable`, else `default`: the way a
    service's unit file sets the paths once for every command it runs, and the help says so."""
    parser.add_argument(
        flag,
        type=Path,
        default=env_path(variable, default),
        help=f"{help} (default: ${variable} or {default})",
    )


def add_policy(parser: argparse.ArgumentParser, help: str = "policy file") -> None:
    add_env_path(parser, "--policy", "SCHOOLGATE_POLICY", "policy.toml", help)


def add_index(parser: argparse.ArgumentParser) -> None:
    add_env_path(parser, "--index", "SCHOOLGATE_INDEX", "var/lists.sgidx", "compiled list index")


def add_spool(parser: argparse.ArgumentParser, help: str = "activity spool directory") -> None:
    add_env_path(parser, "--spool", "SCHOOLGATE_SPOOL", "var/spool", help)


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_block_page_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--block-page", help="block page address (default: the policy's school.block_page)")


def add_block_page_key(parser: argparse.ArgumentParser) -> None:
    """The key option of the gateways that sign block page addresses: no default path here, so that a
    missing key can be said (see `squid.block_page_key`)."""
    parser.add_argument(
        "--block-page-key",
        type=Path,
        help="the key that signs block page addresses "
        f"(default: $SCHOOLGATE_BLOCK_PAGE_KEY, else {BLOCK_PAGE_KEY_DEFAULT} if it exists)",
    )


def load(policy_path: Path) -> PolicyFile:
    """The policy file read and checked (its lists' paths too), or a CommandError listing every problem."""
    try:
        return load_policy(policy_path)
    except PolicyFileError as exc:
        raise CommandError(str(exc)) from None


def snapshot(policy_file: PolicyFile, index_path: Path | None) -> Snapshot:
    """`policy_file` compiled against the index (or, with None, checked without the lists), or a
    CommandError saying every problem with its file and line."""
    try:
        return compile_snapshot(policy_file, index_path)
    except PolicyFileError as exc:
        raise CommandError(str(exc)) from None


def load_compiled(policy_path: Path, index_path: Path) -> CompiledPolicy:
    """The policy file read and compiled against the index, or a CommandError."""
    try:
        compiled = load_snapshot(policy_path, index_path).compiled
    except PolicyFileError as exc:
        raise CommandError(str(exc)) from None
    assert compiled is not None  # an index was given
    return compiled


def parse_at(text: str | None, zone: tzinfo) -> datetime:
    """The instant `--at` names: a clock time today or a date-time, in school time; now if not given."""
    if text is None:
        return datetime.now(UTC)
    try:
        if len(text) <= 5 and ":" in text:
            clock = time.fromisoformat(text.zfill(5))
            return datetime.combine(datetime.now(zone).date(), clock, tzinfo=zone)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f'--at "{text}": give a time such as 10:30 (today) or 2026-11-23T10:30 (school time)'
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=zone)


def count(number: int, noun: str) -> str:
    plural = "categories" if noun == "category" else noun + "s"
    return f"{number:,} {noun if number == 1 else plural}"


def write_config(text: str, output: Path | None, check: str) -> int:
    """A configuration to standard output, or to `output` with a word on how to check it."""
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_atomically(output, text, make_parents=False)  # never half a configuration
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc}") from None
    print(f"wrote {output}; check it with `{check} {output}`", file=sys.stderr)
    return 0
