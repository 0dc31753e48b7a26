"""`schoolgate block-page serve` and `schoolgate block-page key`: the block page server and its key."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from schoolgate.cli.common import (
    BLOCK_PAGE_KEY_DEFAULT,
    CommandError,
    Commands,
    add_policy,
    add_spool,
    env_path,
)

__all__ = ["register"]


def cmd_block_page_serve(args: argparse.Namespace) -> int:
    from schoolgate.gateways.blockpage.server import ServeError, ServerConfig, serve

    config = ServerConfig(
        listen=args.listen,
        key=args.key,
        policy=args.policy,
        spool=args.spool,
        requests_status=args.requests_status,
        web=args.web_address or None,
    )
    try:
        return serve(config)
    except ServeError as exc:
        raise CommandError(str(exc)) from None


def cmd_block_page_key(args: argparse.Namespace) -> int:
    from schoolgate.gateways.blockpage.signing import create_key

    path: Path = args.file
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_key(path)
    except FileExistsError:
        raise CommandError(
            f"{path} already exists: not overwriting it (a new key makes every block page address "
            "signed with the old one unreadable; remove the file first if that is what you want)"
        ) from None
    except OSError as exc:
        raise CommandError(f"cannot write the block page key {path}: {exc.strerror or exc}") from None
    print(f"wrote a new block page key to {path}; give it to the Squid helper and the block page server")
    return 0


def register(commands: Commands) -> None:
    key_default = env_path("SCHOOLGATE_BLOCK_PAGE_KEY", BLOCK_PAGE_KEY_DEFAULT)
    block_page = commands.add_parser("block-page", help="the block page server and its key")
    block_page_commands = block_page.add_subparsers(
        dest="block_page_command", metavar="COMMAND", required=True
    )
    serve = block_page_commands.add_parser("serve", help="serve the block page and its review form")
    serve.add_argument(
        "--listen", default="127.0.0.1:8080", help="ADDRESS:PORT or PORT to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--key",
        type=Path,
        default=key_default,
        help="block page key (default: $SCHOOLGATE_BLOCK_PAGE_KEY or var/block-page.key)",
    )
    add_policy(serve)
    add_spool(serve, "where review requests are written")
    serve.add_argument(
        "--requests-status",
        type=Path,
        help="the requests status file the web application writes, which tells pupils what became of "
        "their requests (default: beside the policy file, POLICY-STEM-requests.json)",
    )
    serve.add_argument(
        "--web-address",
        default=os.environ.get("SCHOOLGATE_URL", ""),
        help="the web application's address, for staff's link to ask for a blocked page to be unblocked "
        "(default: $SCHOOLGATE_URL; none: no link)",
    )
    serve.set_defaults(handler=cmd_block_page_serve)
    key = block_page_commands.add_parser("key", help="make a new block page key (never overwrites one)")
    key.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=key_default,
        help="where to write it (default: $SCHOOLGATE_BLOCK_PAGE_KEY or var/block-page.key)",
    )
    key.set_defaults(handler=cmd_block_page_key)
