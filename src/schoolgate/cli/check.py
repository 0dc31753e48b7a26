"""`schoolgate check` (how the policy decides a URL) and `schoolgate policy check` (every problem in a
policy file, with or without the compiled lists)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from schoolgate.cli.common import (
    Commands,
    add_index,
    add_policy,
    count,
    load,
    load_compiled,
    parse_at,
    snapshot,
)
from schoolgate.engine.decide import Request, decide, explain
from schoolgate.policyfile.load import not_installed_words

__all__ = ["register"]


def cmd_check(args: argparse.Namespace) -> int:
    compiled = load_compiled(args.policy, args.index)
    at = parse_at(args.at, compiled.policy.timezone)
    status = 0
    for url in args.url:
        decision = decide(compiled, Request(url, args.user, args.ip), at)
        if args.json:
            record = {k: (v.value if hasattr(v, "value") else v) for k, v in decision._asdict().items()}
            record["url"] = url
            record["at"] = at.isoformat()
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{url}\n  {explain(decision)}")
        status = max(status, 1 if decision.blocked and args.exit_status else 0)
    return status


def cmd_policy_check(args: argparse.Namespace) -> int:
    path = args.file if args.file is not None else args.policy
    policy_file = load(path)
    policy = policy_file.policy
    summary = ", ".join(
        count(len(items), noun)
        for items, noun in (
            (policy.groups, "group"),
            (policy.categories, "category"),
            (policy.windows, "window"),
            (policy.rules, "rule"),
        )
    )
    if policy.grants:  # approved requests' grants (the requests section), when there are any
        summary += ", " + count(len(policy.grants), "grant")
    if args.index.exists():
        snapshot(policy_file, args.index)
        print(f"{path}: no problems ({summary}; checked against {args.index})")
    else:
        # Every check that needs no lists is still made: the gateways would refuse what it finds.
        snapshot(policy_file, None)
        print(
            f"{path}: no problems ({summary}); {args.index} does not exist yet, so the lists were not checked"
        )
    for declaration in policy_file.lists_not_installed:  # not a problem: the rest of the policy works
        print(f"{path}: warning: {not_installed_words(declaration)}")
    return 0


def register(commands: Commands) -> None:
    check = commands.add_parser("check", help="explain how the policy decides a URL")
    check.add_argument("url", nargs="+", help="URL(s) to check, or host:port as in a CONNECT request")
    check.add_argument("--user", help="user name, as the proxy sees it")
    check.add_argument("--ip", help="client address")
    check.add_argument("--at", help="when: 10:30 (today) or 2026-11-23T10:30, in school time (default: now)")
    check.add_argument("--json", action="store_true", help="one JSON object per URL")
    check.add_argument("--exit-status", action="store_true", help="exit 1 if any URL is blocked")
    add_policy(check)
    add_index(check)
    check.set_defaults(handler=cmd_check)

    policy = commands.add_parser("policy", help="policy file commands")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    policy_check = policy_commands.add_parser("check", help="report every problem in a policy file")
    policy_check.add_argument("file", nargs="?", type=Path, help="policy file (default: --policy)")
    add_policy(policy_check)
    add_index(policy_check)
    policy_check.set_defaults(handler=cmd_policy_check)
