"""DNS filtering: `schoolgate rpz export|watch`, `schoolgate unbound config|reload` and
`schoolgate dns-log` (unbound's log as activity events)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schoolgate.cli.common import (
    CommandError,
    Commands,
    add_index,
    add_policy,
    add_quiet,
    add_spool,
    load,
    load_compiled,
    parse_at,
    write_config,
)

__all__ = ["register"]


def cmd_rpz_export(args: argparse.Namespace) -> int:
    from schoolgate.gateways.dns.rpz import export_zones

    compiled = load_compiled(args.policy, args.index)
    at = parse_at(args.at, compiled.policy.timezone)
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
    from schoolgate.gateways.dns.rpz import zone_groups
    from schoolgate.gateways.dns.unbound import (
        DEFAULT_LISTEN,
        DEFAULT_NETWORKS,
        ConfigError,
        UnboundSettings,
        read_zones,
        render,
    )

    policy_file = load(args.policy)
    policy = policy_file.policy
    try:
        settings = UnboundSettings(
            zones=read_zones(args.zones),
            groups=list(zone_groups(policy)),
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
    return write_config(text, args.output, "unbound-checkconf")


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

    from schoolgate.activity.spool import SpoolWriter
    from schoolgate.gateways.dns.activity import LogReader
    from schoolgate.gateways.policy import PolicyHolder

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


def _add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("var/rpz"), help="directory (default: var/rpz)")


def _add_zones(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--zones", type=Path, required=True, help="the directory `schoolgate rpz export` wrote"
    )


def _add_control(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--control",
        type=Path,
        default=Path("/run/unbound.ctl"),
        help="unbound-control's socket (default: /run/unbound.ctl)",
    )


def register(commands: Commands) -> None:
    rpz = commands.add_parser("rpz", help="the policy as DNS Response Policy Zones")
    rpz_commands = rpz.add_subparsers(dest="rpz_command", metavar="COMMAND", required=True)
    export = rpz_commands.add_parser("export", help="write one zone per group, for unbound, BIND or PowerDNS")
    add_policy(export)
    add_index(export)
    _add_out(export)
    export.add_argument("--at", help="as the policy stands when: 10:30 or 2026-11-23T10:30 (default: now)")
    export.add_argument(
        "--block-with",
        choices=["nxdomain", "block-page"],
        default="nxdomain",
        help="what a blocked name answers: no such name (default), or the block page's host",
    )
    add_quiet(export)
    export.set_defaults(handler=cmd_rpz_export)
    watch = rpz_commands.add_parser(
        "watch", help="export again when the policy, its lists or the rules in force change; reload unbound"
    )
    add_policy(watch)
    add_index(watch)
    _add_out(watch)
    watch.add_argument(
        "--conf", type=Path, help="unbound's configuration, to reload it (default: export only)"
    )
    _add_control(watch)
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
    add_policy(unbound_config)
    _add_zones(unbound_config)
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
    _add_control(unbound_config)
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
    _add_zones(unbound_reload)
    unbound_reload.add_argument(
        "--conf",
        type=Path,
        default=Path("/etc/unbound/unbound.conf"),
        help="unbound's configuration (default: /etc/unbound/unbound.conf)",
    )
    _add_control(unbound_reload)
    unbound_reload.set_defaults(handler=cmd_unbound_reload)

    dns_log = commands.add_parser("dns-log", help="turn unbound's query and zone log into activity events")
    add_policy(dns_log)
    add_index(dns_log)
    dns_log.add_argument("--log", type=Path, required=True, help="unbound's log file (its logfile:)")
    add_spool(dns_log)
    dns_log.add_argument(
        "--position", type=Path, help="where the reader keeps its place (default: SPOOL/dns-log.position)"
    )
    dns_log.add_argument(
        "--follow", action="store_true", help="keep reading as unbound writes, until stopped"
    )
    dns_log.set_defaults(handler=cmd_dns_log)
