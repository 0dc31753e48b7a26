"""The policy in force for a gateway process, read again when its files change.

Every gateway (the Squid helper, the DNS tools) holds one: it loads the policy file and the compiled
list index with `load_snapshot` (policyfile/snapshot.py, the one load-and-compile every reader uses),
notices changes with `FileWatcher` (policyfile/watch.py, the one way every reader notices them), says
clearly on its log what is wrong with either, and keeps the last good policy when a new one cannot be
used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from schoolgate.engine.policy import CompiledPolicy
from schoolgate.policyfile.errors import ListIndexError, PolicyFileError, PolicyFitError
from schoolgate.policyfile.load import LISTS_NOT_READ
from schoolgate.policyfile.snapshot import load_snapshot
from schoolgate.policyfile.watch import FileWatcher

__all__ = ["DEFAULT_BLOCK_PAGE", "PolicyHolder"]

DEFAULT_BLOCK_PAGE = "http://127.0.0.1:8080/blocked"


class PolicyHolder:
    """The policy in force, reloaded when its files change."""

    def __init__(
        self, policy_path: Path, index_path: Path, log: TextIO, program: str = "squid-helper"
    ) -> None:
        self.program = program  # who speaks in the messages
        self.policy_path = policy_path
        self.index_path = index_path
        self.log = log
        self.compiled: CompiledPolicy | None = None
        # The block page of the newest policy file that could be read, even if its lists could not be
        # opened: a pupil blocked while the helper fails closed still lands on the school's block page.
        self.block_page = DEFAULT_BLOCK_PAGE
        self.watcher = FileWatcher(policy_path, index_path)
        self.reload(initial=True)

    def changed(self) -> bool:
        return self.watcher.changed()

    def reload(self, initial: bool = False) -> bool:
        states = self.watcher.look()  # before reading: a change made meanwhile is noticed next time
        try:
            snapshot = load_snapshot(self.policy_path, self.index_path, LISTS_NOT_READ)
        except (PolicyFitError, ListIndexError) as exc:
            if exc.policy_file is not None:
                self.block_page = exc.policy_file.policy.block_page
            if isinstance(exc, ListIndexError):
                self._complain(f"cannot open the list index {self.index_path}: {exc.reason}")
            else:
                self._complain(f"the policy does not fit the compiled lists:\n{exc}")
        except PolicyFileError as exc:
            self._complain(f"the policy has problems:\n{exc}")
        else:
            self.block_page = snapshot.policy.block_page
            self.compiled = snapshot.compiled
            self.watcher.settle(states)
            if not initial:
                self.log.write(
                    f"schoolgate {self.program}: reloaded {self.policy_path} and {self.index_path}\n"
                )
                self.log.flush()
            return True
        self.watcher.settle(states)  # do not retry a broken file until it changes again
        return False

    def _complain(self, message: str) -> None:
        if self.compiled is None:
            what = "blocking every request until it is fixed (failing closed)"
        else:
            what = "keeping the last good policy"
        self.log.write(f"schoolgate {self.program}: {message}\n{what}\n")
        self.log.flush()
