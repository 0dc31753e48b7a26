"""`schoolgate squid-helper` (what Squid runs), `schoolgate squid config` and `schoolgate squid passwd`."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from schoolgate.cli.common import (
    BLOCK_PAGE_KEY_DEFAULT,
    CommandError,
    Commands,
    add_block_page_key,
    add_block_page_url,
    add_index,
    add_policy,
    add_spool,
    load,
    write_config,
)
from schoolgate.policyfile.load import valid_block_page

__all__ = ["block_page_key", "register"]

DEFAULT_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10")


def cmd_squid_helper(args: argparse.Namespace) -> int:
    from schoolgate.gateways.squid.helper import HelperConfig, run
    from schoolgate.gateways.squid.protocol import Concurrency, Mode

    _check_block_page(args.block_page)
    config = HelperConfig(
        policy=args.policy,
        index=args.index,
        spool=None if args.no_spool else args.spool,
        mode=Mode(args.mode),
        concurrency=Concurrency(args.concurrency),
        block_page=args.block_page,
        block_page_key=key[1] if (key := block_page_key(args.block_page_key, "squid-helper")) else None,
    )
    return run(config)


def cmd_squid_agreement(args: argparse.Namespace) -> int:
    from schoolgate.gateways.squid.agreement import HelperSettings, agreements_path, run_helper

    key = block_page_key(args.block_page_key, "squid-agreement")
    if key is None:
        raise CommandError("squid-agreement: the agreement page needs the block page key (--block-page-key)")
    path = args.agreements or agreements_path(args.policy)
    return run_helper(HelperSettings(path, args.spool, key[1], channels=args.concurrency == "on"))


def _check_block_page(url: str | None) -> None:
    """--block-page goes into every helper answer as it is: refuse one that could not."""
    if url is not None and not valid_block_page(url):
        raise CommandError(f"--block-page {url!r}: give an http:// or https:// URL without spaces")


def block_page_key(path: Path | None, command: str) -> tuple[Path, bytes] | None:
    """The key that signs block page addresses, and where it is: the one named, else
    $SCHOOLGATE_BLOCK_PAGE_KEY, else var/block-page.key if there is one. Without one (said on stderr)
    the addresses go unsigned, and the block page shows who and why for none of them."""
    from schoolgate.gateways.blockpage.signing import BlockPageKeyError, load_key

    if path is None:
        named = os.environ.get("SCHOOLGATE_BLOCK_PAGE_KEY")
        path = Path(named) if named else Path(BLOCK_PAGE_KEY_DEFAULT)
        if not named and not path.exists():
            print(
                f"schoolgate {command}: no block page key (--block-page-key): block page addresses "
                "are not signed, so the block page cannot say who was blocked or why "
                "(`schoolgate block-page key FILE` makes one)",
                file=sys.stderr,
            )
            return None
    try:
        return path.resolve(), load_key(path)
    except BlockPageKeyError as exc:
        raise CommandError(str(exc)) from None


def cmd_squid_config(args: argparse.Namespace) -> int:
    from schoolgate.gateways.squid.config import DEFAULT_NOBUMP, Auth, ConfigError, SquidSettings, render

    policy_file = load(args.policy)
    _check_block_page(args.block_page)
    auth = Auth(args.auth)
    if auth is Auth.BASIC and args.passwords is None:
        raise CommandError("--auth basic needs --passwords FILE (make it with `schoolgate squid passwd`)")
    if args.no_login is not None:
        no_login = [] if args.no_login == ["none"] else args.no_login
    else:  # the ranges the policy identifies by address need no login, those with times too (a
        # visitor's laptop): once its time is over the device is unidentified (`default`), not asked
        policy = policy_file.policy
        timed = [n for block in policy.timed_identities for n in block.networks]
        no_login = list(dict.fromkeys(str(n.network) for n in (*policy.networks, *timed)))
    settings = SquidSettings(
        helper=args.helper.split() if args.helper else _schoolgate_command(),
        policy=args.policy.resolve(),
        index=args.index.resolve(),
        spool=None if args.no_spool else args.spool.resolve(),
        listen=args.listen,
        networks=args.network or DEFAULT_NETWORKS,
        auth=auth,
        passwords=args.passwords.resolve() if args.passwords else None,
        no_login=no_login,
        children=args.children,
        concurrency=args.concurrency,
        block_page=args.block_page,
        block_page_key=key[0] if (key := block_page_key(args.block_page_key, "squid config")) else None,
        policy_block_page=policy_file.policy.block_page,
        state_dir=args.state_dir.resolve() if args.state_dir else None,
        hosts_file=args.hosts_file.resolve() if args.hosts_file else None,
        effective_user=args.user,
        intercept=_ca_for_config(args.intercept, "--intercept"),
        peek=_ca_for_config(args.peek, "--peek"),
        nobump=_readable(args.nobump, "--nobump") if args.nobump else DEFAULT_NOBUMP,
        cert_db=args.cert_db.resolve() if args.cert_db else None,
        trust_ca=_readable(args.trust_ca, "--trust-ca") if args.trust_ca else None,
        fragment=args.fragment,
        agreement=args.agreement,
        title=f"Squid configuration for {policy_file.policy.school or 'the school'} (Schoolgate)",
        comments=[f"Policy: {args.policy.resolve()}"],
    )
    try:
        text = render(settings)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return write_config(text, args.output, "squid -k parse -f")


def _readable(path: Path, option: str) -> Path:
    if not path.is_file():
        raise CommandError(f"{option} {path}: no such file")
    return path.resolve()


def _ca_for_config(directory: Path | None, option: str) -> Path | None:
    if directory is None:
        return None
    from schoolgate.gateways.squid.ca import CAError, load_ca

    try:
        load_ca(directory)
    except CAError as exc:
        raise CommandError(f"{option}: {exc}") from None
    return directory.resolve()


def cmd_squid_passwd(args: argparse.Namespace) -> int:
    import getpass

    from schoolgate.gateways.squid.passwords import PasswordError, remove_user, set_password, users

    try:
        if args.list:
            for user in users(args.file):
                print(user)
            return 0
        if args.user is None:
            raise CommandError("name the user: schoolgate squid passwd FILE USER")
        if args.delete:
            remove_user(args.file, args.user)
            print(f"removed {args.user} from {args.file}", file=sys.stderr)
            return 0
        if sys.stdin.isatty():
            password = getpass.getpass(f"password for {args.user}: ")
            if getpass.getpass("again: ") != password:
                raise CommandError("the two passwords differ; nothing was changed")
        else:  # a script: the first line of standard input
            password = sys.stdin.readline().rstrip("\r\n")
        new = set_password(args.file, args.user, password)
    except PasswordError as exc:
        raise CommandError(str(exc)) from None
    print(f"{'added' if new else 'changed the password of'} {args.user} in {args.file}", file=sys.stderr)
    return 0


def _schoolgate_command() -> list[str]:
    """How Squid should start this Schoolgate: its `schoolgate` script (whose first line names the
    interpreter, so a virtualenv is found whatever argv[0] Squid gives), else this Python."""
    script = Path(sys.executable).parent / "schoolgate"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    found = shutil.which("schoolgate")
    return [found] if found else [sys.executable, "-m", "schoolgate.cli"]


def register(commands: Commands) -> None:
    helper = commands.add_parser("squid-helper", help="answer Squid's url_rewrite or external ACL requests")
    add_policy(helper)
    add_index(helper)
    helper.add_argument("--mode", choices=["rewrite", "acl"], default="rewrite", help="helper protocol")
    helper.add_argument(
        "--concurrency",
        choices=["auto", "on", "off"],
        default="auto",
        help="channel-IDs on request lines (Squid's concurrency=N); auto detects them",
    )
    add_spool(helper)
    helper.add_argument("--no-spool", action="store_true", help="do not record activity")
    add_block_page_url(helper)
    add_block_page_key(helper)
    helper.set_defaults(handler=cmd_squid_helper)

    agreement = commands.add_parser(
        "squid-agreement", help="Squid's external ACL helper: who must accept the agreement first"
    )
    add_policy(agreement)
    agreement.add_argument("--agreements", type=Path, help="the agreements file (default: beside the policy)")
    add_spool(agreement)
    agreement.add_argument("--concurrency", choices=["on", "off"], default="on", help="channel-IDs on lines")
    add_block_page_key(agreement)
    agreement.set_defaults(handler=cmd_squid_agreement)

    squid = commands.add_parser("squid", help="set Squid up for Schoolgate")
    squid_commands = squid.add_subparsers(dest="squid_command", metavar="COMMAND", required=True)
    config = squid_commands.add_parser(
        "config", help="write a complete, commented squid.conf (or a fragment to include) for the policy"
    )
    add_policy(config)
    add_index(config)
    add_spool(config, "activity spool directory, writable by Squid's user")
    config.add_argument("--no-spool", action="store_true", help="do not record activity")
    config.add_argument("--listen", default="3128", help="proxy port, PORT or ADDRESS:PORT (default: 3128)")
    config.add_argument(
        "--network",
        action="append",
        metavar="RANGE",
        help="a range that may use the proxy; repeat for more (default: the private ranges)",
    )
    config.add_argument("--auth", choices=["none", "basic"], default="none", help="login (default: none)")
    config.add_argument("--passwords", type=Path, help="password file for --auth basic")
    config.add_argument(
        "--no-login",
        action="append",
        metavar="RANGE",
        help="with --auth basic, a range let in without a login; 'none' for none "
        "(default: the ranges the policy identifies by address)",
    )
    config.add_argument("--children", type=int, default=8, help="helper processes at most (default: 8)")
    config.add_argument(
        "--concurrency", type=int, default=50, help="requests each helper takes at once (default: 50)"
    )
    add_block_page_url(config)
    add_block_page_key(config)
    config.add_argument(
        "--intercept",
        type=Path,
        metavar="CA_DIR",
        help="HTTPS interception with the school's CA (made by `schoolgate ca init`); default: none",
    )
    config.add_argument(
        "--peek",
        type=Path,
        metavar="CA_DIR",
        help="no interception, but check the site name at the start of each HTTPS connection (SNI) too",
    )
    config.add_argument(
        "--nobump", type=Path, help="with --intercept, sites never opened (default: Schoolgate's list)"
    )
    config.add_argument(
        "--cert-db",
        type=Path,
        help="with --intercept, Squid's certificate store (default: /var/lib/squid/ssl_db)",
    )
    config.add_argument(
        "--trust-ca", type=Path, help="a CA certificate Squid also trusts for sites it reaches"
    )
    config.add_argument(
        "--state-dir", type=Path, help="where Squid keeps its logs and pid (default: Debian's places)"
    )
    config.add_argument("--hosts-file", type=Path, help="a hosts file for Squid's name look-ups")
    config.add_argument("--user", default="proxy", help="the user Squid runs as (default: proxy)")
    config.add_argument("--helper", help="the command that runs schoolgate (default: this Python)")
    config.add_argument("--fragment", action="store_true", help="only Schoolgate's lines, to include")
    config.add_argument(
        "--agreement",
        action="store_true",
        help="with --auth basic, show the agreement page before a user's first page each school year",
    )
    config.add_argument("--output", "-o", type=Path, help="write to this file (default: standard output)")
    config.set_defaults(handler=cmd_squid_config)

    passwd = squid_commands.add_parser("passwd", help="add a proxy login, change its password or remove it")
    passwd.add_argument("file", type=Path, help="the password file (e.g. /etc/schoolgate/passwords)")
    passwd.add_argument("user", nargs="?", help="the user name")
    passwd.add_argument("--delete", action="store_true", help="remove the user")
    passwd.add_argument("--list", action="store_true", help="list the users")
    passwd.set_defaults(handler=cmd_squid_passwd)
