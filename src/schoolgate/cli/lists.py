"""`schoolgate lists compile` and `schoolgate lists update`: the category lists and their index."""

from __future__ import annotations

import argparse
import sys

from schoolgate.cli.common import (
    CommandError,
    Commands,
    add_env_path,
    add_index,
    add_policy,
    add_quiet,
    count,
    load,
)
from schoolgate.lists.update import DEFAULT_UT1_URL
from schoolgate.policyfile.load import not_installed_words

__all__ = ["register"]


def cmd_lists_compile(args: argparse.Namespace) -> int:
    from schoolgate.lists.compile import compile_lists

    policy_file = load(args.policy)
    if not policy_file.lists:
        raise CommandError(f"{args.policy} declares no [lists]: nothing to compile")
    result = compile_lists(policy_file.lists, args.index, progress=not args.quiet and sys.stderr.isatty())
    shown = result.problems if args.show_problems else result.problems[:10]
    for problem in shown:
        print(f"skipped {problem}", file=sys.stderr)
    if len(result.problems) > len(shown):
        print(
            f"... and {len(result.problems) - len(shown)} more skipped lines "
            "(--show-problems lists them all)",
            file=sys.stderr,
        )
    for declaration in policy_file.lists_not_installed:
        print(f"warning: {not_installed_words(declaration)}", file=sys.stderr)
    print(
        f"compiled {result.sources} list sources ({result.domains:,} domains, {result.urls:,} URLs, "
        f"{result.expressions} expressions) into {result.path} ({result.bytes / 1e6:.1f} MB) "
        f"in {result.seconds:.2f} s; {count(len(result.problems), 'line')} skipped"
    )
    return 0


def cmd_lists_update(args: argparse.Namespace) -> int:
    from schoolgate.lists.update import UpdateError, update_lists

    try:
        result = update_lists(args.dest, args.url, progress=not args.quiet and sys.stderr.isatty())
    except UpdateError as exc:
        raise CommandError(str(exc)) from None
    print(
        f"installed {result.categories} categories ({result.domains:,} domains, {result.urls:,} URLs) "
        f"in {result.dest}; now run `schoolgate lists compile`"
    )
    return 0


def register(commands: Commands) -> None:
    lists = commands.add_parser("lists", help="category list commands")
    list_commands = lists.add_subparsers(dest="lists_command", metavar="COMMAND", required=True)
    compile_ = list_commands.add_parser("compile", help="compile the policy's lists into the index file")
    add_policy(compile_)
    add_index(compile_)
    add_quiet(compile_)
    compile_.add_argument("--show-problems", action="store_true", help="list every skipped line")
    compile_.set_defaults(handler=cmd_lists_compile)
    update = list_commands.add_parser("update", help="download the full UT1 category lists")
    add_env_path(update, "--dest", "SCHOOLGATE_LISTS", "var/lists/ut1", "where to install them")
    update.add_argument("--url", default=DEFAULT_UT1_URL, help="archive address (default: %(default)s)")
    add_quiet(update)
    update.set_defaults(handler=cmd_lists_update)
