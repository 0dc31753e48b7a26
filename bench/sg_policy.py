#!/usr/bin/env python3
"""Write the Schoolgate policy that matches the squidGuard yardstick configuration.

squidGuard's `gen_conf.py` blocks a set of categories for everyone and allows the rest. The same
policy in Schoolgate: one UT1 list, one category per UT1 category, a rule that blocks them all for
everyone, and a last rule that allows every other site (the `default` group itself must block, so
the allowance is an explicit rule for everyone).

    sg_policy.py --lists ../shared/data/ut1 --categories adult,gambling,... --out /tmp/sgbench.toml
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

GEN_CONF = Path(__file__).resolve().parents[2] / "shared" / "bench" / "squidguard" / "gen_conf.py"


def yardstick_categories(lists: Path) -> list[str]:
    """The categories squidGuard's yardstick configuration blocks (`gen_conf.py --list`): every bench
    that compares with squidGuard, or uses its policy, blocks the same ones."""
    if not GEN_CONF.is_file():
        raise SystemExit(f"{GEN_CONF} not found: the squidGuard yardstick is not beside the project")
    done = subprocess.run(
        [sys.executable, str(GEN_CONF), "--dbhome", str(lists), "--logdir", "/tmp", "--list"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.split()


def policy_text(lists: Path, categories: list[str], block_page: str) -> str:
    lines = [
        "schema_version = 1",
        "",
        "[school]",
        'name = "squidGuard yardstick"',
        f"block_page = {json.dumps(block_page)}",
        "",
        "[lists.ut1]",
        'format = "squidguard"',
        f"path = {json.dumps(str(lists.resolve()))}",
        "",
        "[groups.default]",
        'default = "block"',
        "# squidGuard neither locks safe search on nor notes YouTube's strictness: compared like for",
        "# like, Schoolgate does neither here (its rewrites would count as redirects).",
        "safe_search = false",
        'youtube = "off"',
        "",
    ]
    for name in categories:
        lines += [f"[categories.{json.dumps(name)}]", f"sources = [{json.dumps('ut1/' + name)}]", ""]
    lines += [
        "[[rules]]",
        'name = "the yardstick categories"',
        f"categories = {json.dumps(categories)}",
        'action = "block"',
        "",
        "[[rules]]",
        'name = "everything else"',
        "all_sites = true",
        'action = "allow"',
        "",
    ]
    return "\n".join(lines)


def read_lists_from(*directories: Path) -> None:
    """Let every schoolgate command this process starts (and the helpers a Squid it starts runs) read
    lists from `directories`: the yardstick's lists (shared/data/ut1) lie outside the directories a
    policy's lists are read from by default, and its policies are written in a work directory."""
    os.environ["SCHOOLGATE_LISTS_ROOT"] = os.pathsep.join(str(d.resolve()) for d in directories)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lists", type=Path, required=True, help="squidGuard-format lists directory")
    parser.add_argument("--categories", required=True, help="comma-separated categories to block")
    parser.add_argument("--block-page", default="http://127.0.0.1/blocked.html")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    categories = [c for c in args.categories.split(",") if c]
    args.out.write_text(policy_text(args.lists, categories, args.block_page), encoding="utf-8")


if __name__ == "__main__":
    main()
