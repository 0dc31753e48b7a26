"""`schoolgate rpz watch`: the zones kept as the policy stands, and unbound told at once.

The zones say what the policy says at the moment of the export. They must be written again when the
policy or its lists are published, and when a rule's time window opens or closes (or a temporary
unblock starts or expires). `Publisher.step` checks both, cheaply: the files' identity, and the set
of timed rules in force (`timed_rules_in_force`); only when one changed does it export the zones again
and ask unbound to reload them (unbound is not restarted; it holds queries while it reads the zones).
Run it every minute or so; `schoolgate rpz watch` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from schoolgate.engine.decide import timed_rules_in_force
from schoolgate.gateways.dns.rpz import ExportResult, export_zones
from schoolgate.gateways.dns.unbound import ConfigError, ReloadError, read_zones, reload_zones
from schoolgate.gateways.policy import PolicyHolder

__all__ = ["Publisher"]


@dataclass
class Publisher:
    policy: Path
    index: Path
    out: Path
    conf: Path | None  # unbound's configuration and control socket; None: export only
    control: Path | None
    log: TextIO
    block_with: str = "nxdomain"
    holder: PolicyHolder = field(init=False)
    _in_force: frozenset[int] | None = field(default=None, init=False)
    _zones: tuple[str, ...] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.holder = PolicyHolder(self.policy, self.index, self.log, "rpz watch")

    def step(self, at: datetime) -> ExportResult | None:
        """Export and reload if the policy, its lists or the rules in force changed since the last
        export; returns what was exported, or None when nothing needed it (or it could not be done:
        the log says why, and the zones in force stay)."""
        changed = self.holder.changed()
        if changed and not self.holder.reload():
            changed = False  # a broken policy: the zones of the last good one stay (the log says why)
        compiled = self.holder.compiled
        if compiled is None:
            return None
        in_force = timed_rules_in_force(compiled, at)
        if not changed and in_force == self._in_force:
            return None
        try:
            result = export_zones(compiled, self.out, at, self.block_with)
        except (OSError, ValueError) as exc:
            self._say(f"the zones were not written: {exc}")
            return None
        zones = tuple(sorted(result.zones))
        if self._zones is not None and zones != self._zones:
            self._say(
                "the policy's groups changed: write unbound's configuration again "
                "(`schoolgate unbound config`) and restart it, so that it has a zone for each"
            )
        self._zones = zones
        self._say(f"exported the zones, serial {result.serial}, as the policy stands at {at:%Y-%m-%d %H:%M}")
        if self.conf is not None and self.control is not None:
            try:
                reloaded = reload_zones(self.conf, self.control, read_zones(self.out))
            except (ConfigError, ReloadError) as exc:
                self._say(f"unbound did not reload the zones: {exc}; trying again at the next check")
                self._in_force = None
                return result
            failed = [r.zone.name for r in reloaded if not r.ok]
            if failed:
                self._say(
                    f"unbound did not reload {', '.join(failed)}; it keeps the zones it had; "
                    "trying again at the next check"
                )
                self._in_force = None
                return result
            self._say(f"unbound reloaded {len(reloaded)} zones")
        self._in_force = in_force  # done: only now is this export the one in force
        return result

    def _say(self, text: str) -> None:
        self.log.write(f"schoolgate rpz watch: {text}\n")
        self.log.flush()
