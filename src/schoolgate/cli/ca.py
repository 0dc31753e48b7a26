"""`schoolgate ca init` and `schoolgate ca issue`: the school's certificate authority, for HTTPS
interception."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from schoolgate.cli.common import CommandError, Commands, add_policy, load

__all__ = ["register"]


def cmd_ca_init(args: argparse.Namespace) -> int:
    from schoolgate.gateways.squid.ca import CA_DER, CAError, init_ca

    school = args.school
    if school is None:
        school = load(args.policy).policy.school if args.policy.exists() else ""
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


def register(commands: Commands) -> None:
    ca = commands.add_parser("ca", help="the school's certificate authority, for HTTPS interception")
    ca_commands = ca.add_subparsers(dest="ca_command", metavar="COMMAND", required=True)
    ca_init = ca_commands.add_parser("init", help="make the school's CA (once: devices must trust it)")
    ca_init.add_argument(
        "--dir", type=Path, default=Path("/etc/schoolgate/ca"), help="where (default: /etc/schoolgate/ca)"
    )
    ca_init.add_argument("--school", help="the school's name in the certificate (default: the policy's)")
    add_policy(ca_init, "the policy whose school name to use")
    ca_init.set_defaults(handler=cmd_ca_init)
    ca_issue = ca_commands.add_parser(
        "issue", help="a certificate signed by the CA for a server of the school's"
    )
    ca_issue.add_argument("names", nargs="+", help="host names or addresses the server answers to")
    ca_issue.add_argument("--dir", type=Path, default=Path("/etc/schoolgate/ca"), help="the CA's directory")
    ca_issue.add_argument("--out", required=True, help="writes OUT.pem and OUT.key")
    ca_issue.set_defaults(handler=cmd_ca_issue)
