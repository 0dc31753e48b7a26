"""The policy in force for a gateway process, read again when its files change.

Every gateway (the Squid helper, the DNS tools) holds one: it loads the policy file and the compiled
list index, says clearly on its log what is wrong with either, and keeps the last good policy when a
new one cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from schoolgate.engine.index import IndexFileError
from schoolgate.engine.policy import CompiledPolicy, PolicyError, compile_policy
from schoolgate.lists.compile import open_index
from schoolgate.policyfile.errors import PolicyFileError, render_key
from schoolgate.policyfile.load import LISTS_NOT_READ, load_policy

__all__ = ["DEFAULT_BLOCK_PAGE", "PolicyHolder"]

DEFAULT_BLOCK_PAGE = "http://127.0.0.1:8080/blocked"


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


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
        self._signatures: tuple[object, object] = (None, None)
        self.reload(initial=True)

    def _current(self) -> tuple[object, object]:
        return (_signature(self.policy_path), _signature(self.index_path))

    def changed(self) -> bool:
        return self._current() != self._signatures

    def reload(self, initial: bool = False) -> bool:
        signatures = self._current()
        try:
            policy_file = load_policy(self.policy_path, LISTS_NOT_READ)
            self.block_page = policy_file.policy.block_page
            index = open_index(self.index_path)
            compiled = compile_policy(policy_file.policy, index)
        except PolicyFileError as exc:
            self._complain(initial, f"the policy has problems:\n{exc}")
        except PolicyError as exc:
            lines = "\n".join(
                f"{self.policy_path}:{policy_file.line_of(key)}: {render_key(key)}: {message}"
                for key, message in exc.problems
            )
            self._complain(initial, f"the policy does not fit the compiled lists:\n{lines}")
        except (OSError, IndexFileError) as exc:
            self._complain(initial, f"cannot open the list index {self.index_path}: {exc}")
        else:
            self.compiled = compiled
            self._signatures = signatures
            if not initial:
                self.log.write(
                    f"schoolgate {self.program}: reloaded {self.policy_path} and {self.index_path}\n"
                )
                self.log.flush()
            return True
        self._signatures = signatures  # do not retry a broken file until it changes again
        return False

    def _complain(self, initial: bool, message: str) -> None:
        if self.compiled is None:
            what = "blocking every request until it is fixed (failing closed)"
        else:
            what = "keeping the last good policy"
        self.log.write(f"schoolgate {self.program}: {message}\n{what}\n")
        self.log.flush()
