"""The policy in force: the policy file read, checked and compiled against the list index, in one place.

    load_snapshot(policy_path, index_path)   -> Snapshot (raises PolicyFileError)

Everything that puts a policy to use goes through here: `schoolgate check` and `policy check`, the
gateways' `PolicyHolder` (the Squid helper, `rpz watch`, `dns-log`), the block page, and the web
editor's check and "try a URL". So they all find the same problems, and say them the same way, each
naming the file, the line and the key:

- `PolicyFileError`: the file cannot be read, or what it says is not a policy (load.py);
- `ListIndexError`: the compiled lists cannot be opened (there are none yet, or the file is damaged);
- `PolicyFitError`: the policy reads, but cannot be put in force: checked against the lists when an
  index is given, and without them when not (`check_policy`: an allowing `default` group, unknown
  names, invalid inline sites or patterns) — so a policy the gateways would refuse is never called
  good because the lists have not been compiled yet.

The two subclasses carry `policy_file`, the file as read, when it could be read: a gateway that must
fail closed still learns the school's block page from it.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from schoolgate.engine.index import Index, IndexFileError
from schoolgate.engine.policy import CompiledPolicy, Policy, PolicyError, check_policy, compile_policy
from schoolgate.policyfile.errors import ListIndexError, PolicyFitError, Problem, render_key
from schoolgate.policyfile.load import PolicyFile, load_policy

__all__ = ["Snapshot", "compile_snapshot", "load_snapshot", "open_index"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A policy file read and checked, and compiled when the lists were given."""

    policy_file: PolicyFile
    compiled: CompiledPolicy | None  # None when no index was asked for
    index_path: Path | None

    @property
    def policy(self) -> Policy:
        return self.policy_file.policy

    @property
    def path(self) -> Path:
        return self.policy_file.path


def open_index(path: Path | str) -> Index:
    """Memory-map an index file read-only and open it. Raises OSError or engine IndexFileError."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise IndexFileError("the index file is empty: compile it again")
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return Index(memoryview(mapped))


def load_snapshot(
    policy_path: Path, index_path: Path | None, roots: Sequence[Path] | None = None
) -> Snapshot:
    """Read the policy file at `policy_path` and compile it against the index at `index_path`, or, with
    `index_path` None, make every check that needs no lists. `roots` are the directories its lists may
    lie in (see `load_policy`; `LISTS_NOT_READ` for readers that never open a list file).

    Raises PolicyFileError (or its subclasses ListIndexError and PolicyFitError) with every problem."""
    return compile_snapshot(load_policy(policy_path, roots), index_path)


def compile_snapshot(policy_file: PolicyFile, index_path: Path | None) -> Snapshot:
    """`policy_file` (already read, for example from the web editor's text) checked and compiled as
    `load_snapshot` does."""
    if index_path is None:
        problems = check_policy(policy_file.policy)
        if problems:
            raise _fit_error(policy_file, problems)
        return Snapshot(policy_file, None, None)
    index = _open(index_path, policy_file)
    try:
        compiled = compile_policy(policy_file.policy, index)
    except PolicyError as exc:
        raise _fit_error(policy_file, exc.problems) from None
    return Snapshot(policy_file, compiled, index_path)


def _open(index_path: Path, policy_file: PolicyFile) -> Index:
    try:
        return open_index(index_path)
    except FileNotFoundError:
        message = (
            f"no compiled lists at {index_path}: run `schoolgate lists compile --policy {policy_file.path}`"
        )
        error = ListIndexError(
            [Problem(str(index_path), 0, "", message)], missing=True, reason="there is no such file"
        )
    except (OSError, IndexFileError) as exc:
        reason = str(exc)
        message = f"cannot open the list index {index_path}: {reason}"
        error = ListIndexError([Problem(str(index_path), 0, "", message)], reason=reason)
    error.policy_file = policy_file
    raise error


def _fit_error(
    policy_file: PolicyFile, problems: Sequence[tuple[tuple[str | int, ...], str]]
) -> PolicyFitError:
    file = str(policy_file.path)
    error = PolicyFitError(
        Problem(file, policy_file.line_of(key), render_key(key), message) for key, message in problems
    )
    error.policy_file = policy_file
    return error
