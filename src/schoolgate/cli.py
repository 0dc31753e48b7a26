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

Paths default to the environment (SCHOOLGATE_POLICY, SCHOOLGATE_INDEX, SCHOOLGATE_SPOOL,
SCHOOLGATE_LISTS, SCHOOLGATE_BLOCK_PAGE_KEY), else policy.toml, var/lists.sgidx, var/spool,
var/lists/ut1 and var/block-page.key.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, time, tzinfo
from pathlib import Path

from schoolgate.engine.decide import Request, decide, explain
from schoolgate.engine.index import IndexFileError
from schoolgate.engine.policy import CompiledPolicy, PolicyError, compile_policy
from schoolgate.lists.update import DEFAULT_UT1_URL
from schoolgate.policyfile.errors import PolicyFileError, render_key
from schoolgate.policyfile.load import PolicyFile, load_policy, valid_block_page

__all__ = ["main"]


class CommandError(Exception):
    """A failure to report in one clear message (exit status 2), never as a traceback."""


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default)


def _policy_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        type=Path,
        default=_env_path("SCHOOLGATE_POLICY", "policy.toml"),
        help="policy file (default: $SCHOOLGATE_POLICY or policy.toml)",
    )


def _index_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        type=Path,
        default=_env_path("SCHOOLGATE_INDEX", "var/lists.sgidx"),
        help="compiled list index (default: $SCHOOLGATE_INDEX or var/lists.sgidx)",
    )


def _load(policy_path: Path) -> PolicyFile:
    try:
        return load_policy(policy_path)
    except PolicyFileError as exc:
        raise CommandError(str(exc)) from None


def _compile(policy_file: PolicyFile, index_path: Path) -> CompiledPolicy:
    from schoolgate.lists.compile import open_index

    try:
        index = open_index(index_path)
    except FileNotFoundError:
        raise CommandError(
            f"no compiled lists at {index_path}: run `schoolgate lists compile --policy {policy_file.path}`"
        ) from None
    except (OSError, IndexFileError) as exc:
        raise CommandError(f"cannot open the list index {index_path}: {exc}") from None
    try:
        return compile_policy(policy_file.policy, index)
    except PolicyError as exc:
        lines = [
            f"{policy_file.path}:{policy_file.line_of(key)}: {render_key(key)}: {message}"
            for key, message in exc.problems
        ]
        raise CommandError("\n".join(lines)) from None


def _parse_at(text: str | None, zone: tzinfo) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        if len(text) <= 5 and ":" in text:
            clock = time.fromisoformat(text.zfill(5))
            return datetime.combine(datetime.now(zone).date(), clock, tzinfo=zone)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f'--at "{text}": give a time such as 10:30 (today) or 2026-11-23T10:30 (school time)'
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=zone)


def _count(number: int, noun: str) -> str:
    plural = "categories" if noun == "category" else noun + "s"
    return f"{number:,} {noun if number == 1 else plural}"


def cmd_check(args: argparse.Namespace) -> int:
    policy_file = _load(args.policy)
    compiled = _compile(policy_file, args.index)
    at = _parse_at(args.at, policy_file.policy.timezone)
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
    policy_file = _load(path)
    policy = policy_file.policy
    summary = ", ".join(
        _count(len(items), noun)
        for items, noun in (
            (policy.groups, "group"),
            (policy.categories, "category"),
            (policy.windows, "window"),
            (policy.rules, "rule"),
        )
    )
    if args.index.exists():
        _compile(policy_file, args.index)
        print(f"{path}: no problems ({summary}; checked against {args.index})")
    else:
        print(
            f"{path}: no problems ({summary}); {args.index} does not exist yet, so the lists were not checked"
        )
    return 0


def cmd_lists_compile(args: argparse.Namespace) -> int:
    from schoolgate.lists.compile import compile_lists

    policy_file = _load(args.policy)
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
    print(
        f"compiled {result.sources} list sources ({result.domains:,} domains, {result.urls:,} URLs, "
        f"{result.expressions} expressions) into {result.path} ({result.bytes / 1e6:.1f} MB) "
        f"in {result.seconds:.2f} s; {_count(len(result.problems), 'line')} skipped"
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


def cmd_squid_helper(args: argparse.Namespace) -> int:
    from schoolgate.gateways.squid.helper import HelperConfig, run
    from schoolgate.gateways.squid.protocol import Concurrency, Mode

    if args.block_page is not None and not valid_block_page(args.block_page):
        raise CommandError(
            f"--block-page {args.block_page!r}: give an http:// or https:// URL without spaces"
        )
    config = HelperConfig(
        policy=args.policy,
        index=args.index,
        spool=None if args.no_spool else args.spool,
        mode=Mode(args.mode),
        concurrency=Concurrency(args.concurrency),
        block_page=args.block_page,
        block_page_key=key[1] if (key := _block_page_key(args.block_page_key, "squid-helper")) else None,
    )
    return run(config)


def _block_page_key(path: Path | None, command: str) -> tuple[Path, bytes] | None:
    """The key that signs block page addresses, and where it is: the one named, else
    $SCHOOLGATE_BLOCK_PAGE_KEY, else var/block-page.key if there is one. Without one (said on stderr)
    the addresses go unsigned, and the block page shows who and why for none of them."""
    from schoolgate.blockpage.signing import BlockPageKeyError, load_key

    if path is None:
        named = os.environ.get("SCHOOLGATE_BLOCK_PAGE_KEY")
        path = Path(named) if named else Path("var/block-page.key")
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

    policy_file = _load(args.policy)
    if args.block_page is not None and not valid_block_page(args.block_page):
        raise CommandError(
            f"--block-page {args.block_page!r}: give an http:// or https:// URL without spaces"
        )
    auth = Auth(args.auth)
    if auth is Auth.BASIC and args.passwords is None:
        raise CommandError("--auth basic needs --passwords FILE (make it with `schoolgate squid passwd`)")
    if args.no_login is not None:
        no_login = [] if args.no_login == ["none"] else args.no_login
    else:  # the ranges the policy identifies by address need no login
        no_login = [str(n.network) for n in policy_file.policy.networks]
    settings = SquidSettings(
        helper=args.helper.split() if args.helper else _schoolgate_command(),
        policy=args.policy.resolve(),
        index=args.index.resolve(),
        spool=None if args.no_spool else args.spool.resolve(),
        listen=args.listen,
        networks=args.network or _DEFAULT_NETWORKS,
        auth=auth,
        passwords=args.passwords.resolve() if args.passwords else None,
        no_login=no_login,
        children=args.children,
        concurrency=args.concurrency,
        block_page=args.block_page,
        block_page_key=key[0] if (key := _block_page_key(args.block_page_key, "squid config")) else None,
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
        title=f"Squid configuration for {policy_file.policy.school or 'the school'} (Schoolgate)",
        comments=[f"Policy: {args.policy.resolve()}"],
    )
    try:
        text = render(settings)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return _write_config(text, args.output, "squid -k parse -f")


def _write_config(text: str, output: Path | None, check: str) -> int:
    """A configuration to standard output, or to `output` with a word on how to check it."""
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc}") from None
    print(f"wrote {output}; check it with `{check} {output}`", file=sys.stderr)
    return 0


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


def cmd_rpz_export(args: argparse.Namespace) -> int:
    from schoolgate.gateways.dns.rpz import export_zones

    policy_file = _load(args.policy)
    compiled = _compile(policy_file, args.index)
    at = _parse_at(args.at, policy_file.policy.timezone)
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(compiled.policy.groups), unit="group", desc="exporting", leave=False)

    def progress(group: str, done: int, total: int) -> None:
        if bar is not None:
            bar.set_postfix_str(f"{group}: {done:,}/{total:,} domains")
            if done == total:
                bar.update(1)

    try:
        result = export_zones(compiled, args.out, at, args.block_with, progress)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot write the zones to {args.out}: {exc}") from None
    finally:
        if bar is not None:
            bar.close()
    for group, path in result.zones.items():
        print(f"{path}: group {group}, {result.names[group]:,} domains blocked")
    print(f"serial {result.serial}, as the policy stands at {at:%Y-%m-%d %H:%M}; {result.seconds:.1f} s")
    return 0


def cmd_unbound_config(args: argparse.Namespace) -> int:
    from schoolgate.gateways.dns.unbound import (
        DEFAULT_LISTEN,
        DEFAULT_NETWORKS,
        ConfigError,
        UnboundSettings,
        read_zones,
        render,
    )

    policy_file = _load(args.policy)
    policy = policy_file.policy
    try:
        settings = UnboundSettings(
            zones=read_zones(args.zones),
            groups=list(policy.groups),
            identities=policy.networks,
            listen=args.listen or DEFAULT_LISTEN,
            networks=args.network or DEFAULT_NETWORKS,
            forward=args.forward or (),
            control=args.control.absolute(),
            log=args.log.absolute() if args.log else None,
            pidfile=args.pidfile.absolute(),
            username=args.user,
            title=f"unbound configuration for {policy.school or 'the school'} (Schoolgate)",
            comments=[f"Policy: {args.policy.resolve()}"],
        )
        text = render(settings)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return _write_config(text, args.output, "unbound-checkconf")


def cmd_unbound_reload(args: argparse.Namespace) -> int:
    from schoolgate.gateways.dns.unbound import ConfigError, ReloadError, read_zones, reload_zones

    try:
        zones = read_zones(args.zones)
        results = reload_zones(args.conf, args.control, zones)
    except (ConfigError, ReloadError) as exc:
        raise CommandError(f"zones not reloaded: {exc}") from None
    for result in results:
        print(f"{result.zone.name}: group {result.zone.group}, {result.message}")
    failed = [r for r in results if not r.ok]
    if failed:
        names = ", ".join(r.zone.name for r in failed)
        print(f"schoolgate: unbound did not reload {names}; it keeps the zones it had", file=sys.stderr)
        return 1
    print(f"serial {zones.serial}: {len(results)} zones reloaded")
    return 0


def cmd_dns_log(args: argparse.Namespace) -> int:
    import signal
    import time

    from schoolgate.gateways.dns.activity import LogReader
    from schoolgate.gateways.policy import PolicyHolder
    from schoolgate.gateways.spool import SpoolWriter

    holder = PolicyHolder(args.policy, args.index, sys.stderr, "dns-log")
    if holder.compiled is None:
        raise CommandError(f"cannot read the policy {args.policy} with the lists {args.index} (see above)")
    # Never raises: a spool it cannot write is reported, and the lines are read again next time.
    spool = SpoolWriter(args.spool, "dns", log=sys.stderr)
    position = args.position or args.spool / "dns-log.position"
    reader = LogReader(args.log, spool, position)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    total = 0
    try:
        while True:
            if holder.changed():
                holder.reload()
            assert holder.compiled is not None  # a failed reload keeps the last good policy
            total += reader.read(holder.compiled, settle=not args.follow or stopping)
            if not args.follow or stopping:
                break
            time.sleep(1.0)
    except KeyboardInterrupt:
        assert holder.compiled is not None
        total += reader.read(holder.compiled, settle=True)
    except OSError as exc:
        raise CommandError(f"cannot read {args.log}: {exc}") from None
    finally:
        spool.close()
    print(f"{total:,} DNS events written to {args.spool}", file=sys.stderr)
    if spool.unrecorded:
        # The log's place was not moved past them: the next run reads those lines again.
        print(
            f"schoolgate dns-log: {spool.unrecorded:,} DNS events could not be written to {args.spool} "
            "(see above); their log lines will be read again",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_rpz_watch(args: argparse.Namespace) -> int:
    import signal
    import time
    from datetime import UTC, datetime

    from schoolgate.gateways.dns.publish import Publisher

    publisher = Publisher(
        args.policy, args.index, args.out, args.conf, args.control, sys.stderr, args.block_with
    )
    if publisher.holder.compiled is None:
        raise CommandError(f"cannot read the policy {args.policy} with the lists {args.index} (see above)")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            publisher.step(datetime.now(UTC))
            if args.once:
                break
            deadline = time.monotonic() + args.interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, args.interval))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_ca_init(args: argparse.Namespace) -> int:
    from schoolgate.gateways.squid.ca import CA_DER, CAError, init_ca

    school = args.school
    if school is None:
        school = _load(args.policy).policy.school if args.policy.exists() else ""
    try:
        ca = init_ca(args.dir, school or "School")
    except (CAError, OSError) as exc:
        raise CommandError(str(exc)) from None
    print(f"made the school's CA in {args.dir}:")
    print(f"  {ca.cert_path}   the certificate, for Squid (--intercept {args.dir}) and devices")
    print(f"  {args.dir / CA_DER}   the same certificate for Windows, iPads and Macs")
    print(f"  {ca.key_path}   its private key: it stays on the proxy, readable by root and Squid only")
    print(f"SHA-256 fingerprint: {ca.fingerprint()}")
    print("Install the certificate on every school device before turning interception on:")
    print("docs/squid.md, 'HTTPS with interception', says how for each kind of device.")
    return 0


def cmd_ca_issue(args: argparse.Namespace) -> int:
    from schoolgate.gateways.squid.ca import CAError, issue, load_ca

    try:
        certificate, key = issue(load_ca(args.dir), args.names)
    except CAError as exc:
        raise CommandError(str(exc)) from None
    cert_path, key_path = Path(f"{args.out}.pem"), Path(f"{args.out}.key")
    if key_path.exists() or key_path.is_symlink():
        raise CommandError(f"{key_path} exists already: give another --out, or remove it first")
    try:
        # A new file only, never through a link: the private key must be the owner's alone.
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        cert_path.write_bytes(certificate)
    except OSError as exc:
        raise CommandError(f"cannot write {args.out}: {exc}") from None
    print(f"wrote {cert_path} and {key_path} for {', '.join(args.names)}")
    return 0


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


def cmd_block_page_serve(args: argparse.Namespace) -> int:
    from schoolgate.blockpage.server import ServeError, ServerConfig, serve

    try:
        return serve(ServerConfig(listen=args.listen, key=args.key, policy=args.policy, spool=args.spool))
    except ServeError as exc:
        raise CommandError(str(exc)) from None


def cmd_block_page_key(args: argparse.Namespace) -> int:
    from schoolgate.blockpage.signing import create_key

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


def _block_page_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    key_default = _env_path("SCHOOLGATE_BLOCK_PAGE_KEY", "var/block-page.key")
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
    _policy_arg(serve)
    serve.add_argument(
        "--spool",
        type=Path,
        default=_env_path("SCHOOLGATE_SPOOL", "var/spool"),
        help="where review requests are written (default: $SCHOOLGATE_SPOOL or var/spool)",
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


@contextmanager
def _web_settings() -> Iterator[None]:
    """A mistake in the web application's SCHOOLGATE_* settings is one clear line, not a traceback."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        yield
    except ImproperlyConfigured as exc:
        raise CommandError(f"the web application's settings: {exc}") from None


def cmd_web_manage(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import manage

    with _web_settings():
        return manage(args.args)


WEB_THREADS_MAX = 64


def cmd_web_serve(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import serve

    host, _, port = str(args.listen).rpartition(":")
    if not port.isascii() or not port.isdigit() or len(port) > 5 or not 0 <= int(port) < 65536:
        raise CommandError(f"--listen {args.listen!r}: give ADDRESS:PORT, for example 127.0.0.1:8000")
    if not 1 <= args.threads <= WEB_THREADS_MAX:
        raise CommandError(f"--threads {args.threads}: give a number from 1 to {WEB_THREADS_MAX}")
    try:
        with _web_settings():
            host = host.strip("[]") or "127.0.0.1"
            return serve(host, int(port), args.threads, not args.no_migrate, args.trusted_proxy)
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from None


def cmd_web_demo(args: argparse.Namespace) -> int:
    from schoolgate.web.commands import demo

    with _web_settings():
        return demo(args.size)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    from schoolgate.web.commands import audit_verify

    try:
        with _web_settings():
            return audit_verify(args.quiet)
    except DatabaseError as exc:
        raise CommandError(
            f"cannot read the audit trail: {exc} (has `schoolgate web manage migrate` run?)"
        ) from None


def _web_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = commands.add_parser("web", help="the web application (settings from SCHOOLGATE_* variables)")
    web_commands = web.add_subparsers(dest="web_command", metavar="COMMAND", required=True)
    serve = web_commands.add_parser("serve", help="migrate the database and serve the web application")
    serve.add_argument("--listen", default="127.0.0.1:8000", help="ADDRESS:PORT (default: %(default)s)")
    serve.add_argument("--threads", type=int, default=8, help="requests at once (default: %(default)s)")
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate the database first")
    serve.add_argument(
        "--trusted-proxy",
        metavar="ADDRESS",
        help="the school's reverse proxy: the one peer whose X-Forwarded-For and X-Forwarded-Proto are "
        "believed (default: $SCHOOLGATE_TRUSTED_PROXY, else none)",
    )
    serve.set_defaults(handler=cmd_web_serve)
    demo = web_commands.add_parser("demo", help="migrate and load the demo school; print its logins")
    demo.add_argument(
        "--size",
        choices=("demo", "realistic"),
        default="demo",
        help="demo: a primary of 420 pupils; realistic: 1,500 pupils, 150 staff, 60 classes",
    )
    demo.set_defaults(handler=cmd_web_demo)
    manage = web_commands.add_parser(
        "manage", help="Django's management commands: migrate, check --deploy, ...", add_help=False
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_web_manage)

    audit = commands.add_parser("audit", help="the audit trail of every change to every record")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    verify = audit_commands.add_parser("verify", help="check the hash chain; name the first broken link")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(handler=cmd_audit_verify)


def _schoolgate_command() -> list[str]:
    """How Squid should start this Schoolgate: its `schoolgate` script (whose first line names the
    interpreter, so a virtualenv is found whatever argv[0] Squid gives), else this Python."""
    script = Path(sys.executable).parent / "schoolgate"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    found = shutil.which("schoolgate")
    return [found] if found else [sys.executable, "-m", "schoolgate.cli"]


_DEFAULT_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="schoolgate", description="Schoolgate: online safety for schools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser("check", help="explain how the policy decides a URL")
    check.add_argument("url", nargs="+", help="URL(s) to check, or host:port as in a CONNECT request")
    check.add_argument("--user", help="user name, as the proxy sees it")
    check.add_argument("--ip", help="client address")
    check.add_argument("--at", help="when: 10:30 (today) or 2026-11-23T10:30, in school time (default: now)")
    check.add_argument("--json", action="store_true", help="one JSON object per URL")
    check.add_argument("--exit-status", action="store_true", help="exit 1 if any URL is blocked")
    _policy_arg(check)
    _index_arg(check)
    check.set_defaults(handler=cmd_check)

    policy = commands.add_parser("policy", help="policy file commands")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    policy_check = policy_commands.add_parser("check", help="report every problem in a policy file")
    policy_check.add_argument("file", nargs="?", type=Path, help="policy file (default: --policy)")
    _policy_arg(policy_check)
    _index_arg(policy_check)
    policy_check.set_defaults(handler=cmd_policy_check)

    lists = commands.add_parser("lists", help="category list commands")
    list_commands = lists.add_subparsers(dest="lists_command", metavar="COMMAND", required=True)
    compile_ = list_commands.add_parser("compile", help="compile the policy's lists into the index file")
    _policy_arg(compile_)
    _index_arg(compile_)
    compile_.add_argument("--quiet", action="store_true", help="no progress bar")
    compile_.add_argument("--show-problems", action="store_true", help="list every skipped line")
    compile_.set_defaults(handler=cmd_lists_compile)
    update = list_commands.add_parser("update", help="download the full UT1 category lists")
    update.add_argument(
        "--dest",
        type=Path,
        default=_env_path("SCHOOLGATE_LISTS", "var/lists/ut1"),
        help="where to install them (default: $SCHOOLGATE_LISTS or var/lists/ut1)",
    )
    update.add_argument("--url", default=DEFAULT_UT1_URL, help="archive address (default: %(default)s)")
    update.add_argument("--quiet", action="store_true", help="no progress bar")
    update.set_defaults(handler=cmd_lists_update)

    helper = commands.add_parser("squid-helper", help="answer Squid's url_rewrite or external ACL requests")
    _policy_arg(helper)
    _index_arg(helper)
    helper.add_argument("--mode", choices=["rewrite", "acl"], default="rewrite", help="helper protocol")
    helper.add_argument(
        "--concurrency",
        choices=["auto", "on", "off"],
        default="auto",
        help="channel-IDs on request lines (Squid's concurrency=N); auto detects them",
    )
    helper.add_argument(
        "--spool",
        type=Path,
        default=_env_path("SCHOOLGATE_SPOOL", "var/spool"),
        help="activity spool directory (default: $SCHOOLGATE_SPOOL or var/spool)",
    )
    helper.add_argument("--no-spool", action="store_true", help="do not record activity")
    helper.add_argument("--block-page", help="block page address (default: the policy's school.block_page)")
    helper.add_argument(
        "--block-page-key",
        type=Path,
        help="the key that signs block page addresses "
        "(default: $SCHOOLGATE_BLOCK_PAGE_KEY, else var/block-page.key if it exists)",
    )
    helper.set_defaults(handler=cmd_squid_helper)

    squid = commands.add_parser("squid", help="set Squid up for Schoolgate")
    squid_commands = squid.add_subparsers(dest="squid_command", metavar="COMMAND", required=True)
    config = squid_commands.add_parser(
        "config", help="write a complete, commented squid.conf (or a fragment to include) for the policy"
    )
    _policy_arg(config)
    _index_arg(config)
    config.add_argument(
        "--spool",
        type=Path,
        default=_env_path("SCHOOLGATE_SPOOL", "var/spool"),
        help="activity spool directory, writable by Squid's user (default: $SCHOOLGATE_SPOOL or var/spool)",
    )
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
    config.add_argument("--block-page", help="block page address (default: the policy's school.block_page)")
    config.add_argument(
        "--block-page-key",
        type=Path,
        help="the key that signs block page addresses "
        "(default: $SCHOOLGATE_BLOCK_PAGE_KEY, else var/block-page.key if it exists)",
    )
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
    config.add_argument("--output", "-o", type=Path, help="write to this file (default: standard output)")
    config.set_defaults(handler=cmd_squid_config)

    rpz = commands.add_parser("rpz", help="the policy as DNS Response Policy Zones")
    rpz_commands = rpz.add_subparsers(dest="rpz_command", metavar="COMMAND", required=True)
    export = rpz_commands.add_parser("export", help="write one zone per group, for unbound, BIND or PowerDNS")
    _policy_arg(export)
    _index_arg(export)
    export.add_argument("--out", type=Path, default=Path("var/rpz"), help="directory (default: var/rpz)")
    export.add_argument("--at", help="as the policy stands when: 10:30 or 2026-11-23T10:30 (default: now)")
    export.add_argument(
        "--block-with",
        choices=["nxdomain", "block-page"],
        default="nxdomain",
        help="what a blocked name answers: no such name (default), or the block page's host",
    )
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    export.set_defaults(handler=cmd_rpz_export)
    watch = rpz_commands.add_parser(
        "watch", help="export again when the policy, its lists or the rules in force change; reload unbound"
    )
    _policy_arg(watch)
    _index_arg(watch)
    watch.add_argument("--out", type=Path, default=Path("var/rpz"), help="directory (default: var/rpz)")
    watch.add_argument(
        "--conf", type=Path, help="unbound's configuration, to reload it (default: export only)"
    )
    watch.add_argument(
        "--control", type=Path, default=Path("/run/unbound.ctl"), help="unbound-control's socket"
    )
    watch.add_argument(
        "--block-with", choices=["nxdomain", "block-page"], default="nxdomain", help="as for export"
    )
    watch.add_argument("--interval", type=float, default=30.0, help="seconds between checks (default: 30)")
    watch.add_argument("--once", action="store_true", help="check once, export if needed, and stop")
    watch.set_defaults(handler=cmd_rpz_watch)

    unbound = commands.add_parser("unbound", help="set unbound up to filter DNS by the policy's zones")
    unbound_commands = unbound.add_subparsers(dest="unbound_command", metavar="COMMAND", required=True)
    unbound_config = unbound_commands.add_parser(
        "config", help="write a complete, commented unbound.conf applying each group's zone to its addresses"
    )
    _policy_arg(unbound_config)
    unbound_config.add_argument(
        "--zones", type=Path, required=True, help="the directory `schoolgate rpz export` wrote"
    )
    unbound_config.add_argument(
        "--listen",
        action="append",
        metavar="ADDRESS[@PORT]",
        help="where unbound answers; repeat for more (default: 0.0.0.0@53 and ::0@53)",
    )
    unbound_config.add_argument(
        "--network",
        action="append",
        metavar="RANGE",
        help="a range that may use the resolver; repeat for more (default: the private ranges, loopback)",
    )
    unbound_config.add_argument(
        "--forward",
        action="append",
        metavar="ADDRESS[@PORT]",
        help="a resolver to ask; repeat for more (default: none, unbound recurses itself)",
    )
    unbound_config.add_argument(
        "--control",
        type=Path,
        default=Path("/run/unbound.ctl"),
        help="unbound-control's socket (default: /run/unbound.ctl)",
    )
    unbound_config.add_argument("--log", type=Path, help="unbound's log file (default: syslog)")
    unbound_config.add_argument(
        "--pidfile", type=Path, default=Path("/run/unbound.pid"), help="(default: /run/unbound.pid)"
    )
    unbound_config.add_argument(
        "--user", default="unbound", help="the user unbound runs as; '' to stay as started (default: unbound)"
    )
    unbound_config.add_argument("--output", "-o", type=Path, help="write to this file (default: stdout)")
    unbound_config.set_defaults(handler=cmd_unbound_config)
    unbound_reload = unbound_commands.add_parser(
        "reload", help="make the running unbound read the zones again (after `schoolgate rpz export`)"
    )
    unbound_reload.add_argument(
        "--zones", type=Path, required=True, help="the directory `schoolgate rpz export` wrote"
    )
    unbound_reload.add_argument(
        "--conf",
        type=Path,
        default=Path("/etc/unbound/unbound.conf"),
        help="unbound's configuration (default: /etc/unbound/unbound.conf)",
    )
    unbound_reload.add_argument(
        "--control",
        type=Path,
        default=Path("/run/unbound.ctl"),
        help="unbound-control's socket (default: /run/unbound.ctl)",
    )
    unbound_reload.set_defaults(handler=cmd_unbound_reload)

    dns_log = commands.add_parser("dns-log", help="turn unbound's query and zone log into activity events")
    _policy_arg(dns_log)
    _index_arg(dns_log)
    dns_log.add_argument("--log", type=Path, required=True, help="unbound's log file (its logfile:)")
    dns_log.add_argument(
        "--spool",
        type=Path,
        default=_env_path("SCHOOLGATE_SPOOL", "var/spool"),
        help="activity spool directory (default: $SCHOOLGATE_SPOOL or var/spool)",
    )
    dns_log.add_argument(
        "--position", type=Path, help="where the reader keeps its place (default: SPOOL/dns-log.position)"
    )
    dns_log.add_argument(
        "--follow", action="store_true", help="keep reading as unbound writes, until stopped"
    )
    dns_log.set_defaults(handler=cmd_dns_log)

    ca = commands.add_parser("ca", help="the school's certificate authority, for HTTPS interception")
    ca_commands = ca.add_subparsers(dest="ca_command", metavar="COMMAND", required=True)
    ca_init = ca_commands.add_parser("init", help="make the school's CA (once: devices must trust it)")
    ca_init.add_argument(
        "--dir", type=Path, default=Path("/etc/schoolgate/ca"), help="where (default: /etc/schoolgate/ca)"
    )
    ca_init.add_argument("--school", help="the school's name in the certificate (default: the policy's)")
    ca_init.add_argument(
        "--policy",
        type=Path,
        default=_env_path("SCHOOLGATE_POLICY", "policy.toml"),
        help="the policy whose school name to use (default: $SCHOOLGATE_POLICY or policy.toml)",
    )
    ca_init.set_defaults(handler=cmd_ca_init)
    ca_issue = ca_commands.add_parser(
        "issue", help="a certificate signed by the CA for a server of the school's"
    )
    ca_issue.add_argument("names", nargs="+", help="host names or addresses the server answers to")
    ca_issue.add_argument("--dir", type=Path, default=Path("/etc/schoolgate/ca"), help="the CA's directory")
    ca_issue.add_argument("--out", required=True, help="writes OUT.pem and OUT.key")
    ca_issue.set_defaults(handler=cmd_ca_issue)

    passwd = squid_commands.add_parser("passwd", help="add a proxy login, change its password or remove it")
    passwd.add_argument("file", type=Path, help="the password file (e.g. /etc/schoolgate/passwords)")
    passwd.add_argument("user", nargs="?", help="the user name")
    passwd.add_argument("--delete", action="store_true", help="remove the user")
    passwd.add_argument("--list", action="store_true", help="list the users")
    passwd.set_defaults(handler=cmd_squid_passwd)

    _block_page_parser(commands)
    _web_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as exc:
        print(f"schoolgate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
