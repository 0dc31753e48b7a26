"""The `schoolgate` command.

    schoolgate check URL [--user U] [--ip A] [--at TIME] [--json]   explain a decision
    schoolgate policy check [FILE]                                  report every problem in a policy file
    schoolgate lists compile                                        compile the policy's lists into the index
    schoolgate lists update                                         download the full UT1 lists
    schoolgate squid-helper                                         serve Squid (url_rewrite or external ACL)
    schoolgate squid config                                         write a squid.conf for the policy
    schoolgate squid passwd FILE USER                               add a proxy login or change its password
    schoolgate rpz export [--out DIR]                               the policy as DNS zones, one per group
    schoolgate rpz watch [--conf UNBOUND_CONF]                      keep the zones current; reload unbound
    schoolgate unbound config --zones DIR                           write an unbound.conf applying the zones
    schoolgate unbound reload --zones DIR                           make unbound read the zones again
    schoolgate dns-log --log FILE [--follow]                        unbound's log as activity events
    schoolgate ca init [--dir DIR]                                  make the school's CA (HTTPS interception)
    schoolgate ca issue NAME... --out PREFIX                        a server certificate signed by that CA
    schoolgate block-page serve                                     serve the block page and review requests
    schoolgate block-page key [FILE]                                make the key that signs block page URLs
    schoolgate web serve|demo|demo-day|manage                       the web application
    schoolgate audit verify                                         check the audit trail's hash chain
    schoolgate backup FILE                                          the records, evidence and policies
    schoolgate restore FILE [--force]                               restore them; check the audit trail
    schoolgate school create NAME --urn URN --head NAME             a new school, its policy and first login
    schoolgate worker [--once]                                      the activity spool into the database
    schoolgate monitor term URL... | scan TEXT... [--audience A]    a URL's search term, a text's risk phrases
    schoolgate selftest [--school SLUG] [--json]                    the filtering self-test, now

Paths default to the environment (SCHOOLGATE_POLICY, SCHOOLGATE_INDEX, SCHOOLGATE_SPOOL,
SCHOOLGATE_LISTS, SCHOOLGATE_BLOCK_PAGE_KEY), else policy.toml, var/lists.sgidx, var/spool,
var/lists/ut1 and var/block-page.key.

One module per subsystem (check.py: `check` and `policy check`; lists.py; squid.py: the helper,
`squid config`, `squid passwd`; dns.py: `rpz`, `unbound`, `dns-log`; ca.py; blockpage.py; web.py:
`web` and `audit`; backup.py: `backup` and `restore`), each with a `register(commands)` that adds
its parsers; `SUBSYSTEMS` below lists them in the order `schoolgate --help` shows them, so a new
subsystem is one module and one line there.
The options several commands share (`--policy`, `--index`, `--spool`, the block page and its key) are
declared once, with their environment defaults, in common.py; so is `CommandError`, the one way a
command fails (one line on stderr, exit status 2, never a traceback).

Why argparse and not click: the commands are plain functions of their parsed arguments, tested through
`main(argv)` and as a subprocess; argparse is in the standard library (nothing more to install on a
proxy or DNS server that runs only the gateways), it already gives the nested sub-commands, the
`REMAINDER` that `web manage` passes to Django, and help texts people and tests rely on, and moving
to click would change every help text and exit status (click exits 2 for usage but formats it
differently) for no gain in what the commands can do. The only repetition click would remove, the
shared options, is gone already (common.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from schoolgate.cli import (
    backup,
    blockpage,
    ca,
    check,
    dns,
    lists,
    monitor,
    school,
    selftest,
    squid,
    web,
    worker,
)
from schoolgate.cli.common import CommandError, Commands

__all__ = ["SUBSYSTEMS", "CommandError", "build_parser", "main"]

# Each subsystem adds its commands, in the order the help lists them. A new one is one line here.
SUBSYSTEMS: tuple[Callable[[Commands], None], ...] = (
    check.register,
    lists.register,
    squid.register,
    dns.register,
    ca.register,
    blockpage.register,
    web.register,
    school.register,
    worker.register,
    monitor.register,
    selftest.register,
    backup.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="schoolgate", description="Schoolgate: online safety for schools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in SUBSYSTEMS:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if not getattr(args, "passes_options_on", False):
            parser.parse_args(argv)  # says which arguments it did not know, and exits 2
        # `web manage --help`, `web manage --version`: argparse's remainder takes nothing that starts
        # with "-", so what it left is Django's, in the order given.
        args.args = [*unknown, *args.args]
    try:
        return int(args.handler(args))
    except CommandError as exc:
        print(f"schoolgate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
