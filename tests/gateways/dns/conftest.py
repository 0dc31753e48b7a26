"""A real unbound on 127.0.0.1, filtering by the zones of `schoolgate rpz export` and configured by
`schoolgate unbound config`, in front of a second unbound that stands for the internet.

unbound must be installed (`make test` installs Debian's unbound); a missing unbound fails these tests,
it does not skip them. Both unbounds are started by the session on free loopback ports and never ask
anything outside this machine: the upstream answers its test names from `local-data` and every other
name with NXDOMAIN, and the filter forwards every query to it. Queries are sent from different loopback
addresses, standing for the school's subnets: 127.0.0.10 is the KS2 pupils' range, 127.0.0.20 the
staff's, and 127.0.0.30 an address the policy does not know (the group `default`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from tests.school import compile_index, run_schoolgate
from tests.servers import free_port, stop, wait_until_serving, write_upstream_unbound

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
PUPIL = "127.0.0.10"
STAFF = "127.0.0.20"
STRANGER = "127.0.0.30"

# What the upstream knows: every name a test asks for, with an address of its own (TEST-NET-1).
UPSTREAM_NAMES = {
    "bet.test": "192.0.2.1",
    "www.bet.test": "192.0.2.2",
    "games.test": "192.0.2.3",
    "school.test": "192.0.2.4",
    "other.test": "192.0.2.5",
    "www.google.com": "192.0.2.10",
    "forcesafesearch.google.com": "192.0.2.11",
    "www.youtube.com": "192.0.2.20",
    "restrict.youtube.com": "192.0.2.21",
    "restrictmoderate.youtube.com": "192.0.2.22",
    "use-application-dns.net": "192.0.2.30",
    "news.com": "192.0.2.40",
    "mail.google.com": "192.0.2.41",
}


# ----------------------------------------------------------------------------------------- policy


def write_policy(path: Path, games_blocked_for_pupils: bool = False) -> None:
    """The test school: gambling is blocked for the pupils and the unidentified, not for staff; the
    school's own site is allowed to everyone; the default group blocks whatever no rule allows (games
    too). KS2 has safe search and YouTube's strict restriction, staff no safe search and YouTube's
    moderate one. The second version of the policy also blocks games for KS2."""
    lists = path.parent
    (lists / "games.txt").write_text("games.test\n")
    (lists / "gambling.txt").write_text("bet.test\n")
    (lists / "school.txt").write_text("school.test\n")
    games_rule = """
[[rules]]
name = "no games for KS2"
groups = ["ks2"]
categories = ["games"]
action = "block"
"""
    text = f"""
schema_version = 1

[school]
name = "DNS Test Primary"
timezone = "Europe/London"

[lists.games]
format = "domains"
path = "games.txt"

[lists.gambling]
format = "domains"
path = "gambling.txt"

[lists.school]
format = "domains"
path = "school.txt"

[groups.default]
default = "block"

[groups.ks2]
default = "allow"
safe_search = true
youtube = "strict"

[groups.staff]
default = "allow"
safe_search = false
youtube = "moderate"

[[identities]]
group = "ks2"
networks = ["{PUPIL}/32"]
label = "KS2 classrooms"

[[identities]]
group = "staff"
networks = ["{STAFF}/32"]
label = "staff room"

[categories.games]
sources = ["games"]

[categories.gambling]
sources = ["gambling"]
uksic = "gambling"

[categories.school]
sources = ["school"]

[[rules]]
name = "the school's own sites"
categories = ["school"]
action = "allow"

[[rules]]
name = "no gambling for pupils"
groups = ["ks2", "default"]
categories = ["gambling"]
action = "block"
alert = "medium"
{games_rule if games_blocked_for_pupils else ""}"""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def publish(policy: Path, index: Path, zones: Path) -> None:
    """What publishing a policy does for DNS: compile its lists and export its zones."""
    compile_index(policy, index)
    run_schoolgate(
        "rpz", "export", "--policy", str(policy), "--index", str(index), "--out", str(zones), "--quiet"
    )


# ----------------------------------------------------------------------------------------- unbound


def write_upstream_conf(path: Path, port: int) -> None:
    """An unbound that answers the test names from local data and every other name with NXDOMAIN."""
    records = (f"{name}. 60 IN A {address}" for name, address in UPSTREAM_NAMES.items())
    write_upstream_unbound(path, "127.0.0.1", port, records)


def query(name: str, port: int, source: str, rdtype: str = "A", tcp: bool = False) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype)
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, source=source, timeout=3)
    return dns.query.udp(q, "127.0.0.1", port=port, source=source, timeout=3)


def start_unbound(conf: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`unbound -d -c CONF`, once `unbound-checkconf` accepts the configuration; returned when it
    answers on `port`."""
    check = subprocess.run([UNBOUND + "-checkconf", str(conf)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, f"{check.stdout}{check.stderr}\n{conf.read_text()}"
    process = subprocess.Popen(
        [UNBOUND, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )

    def answers() -> bool:
        try:
            query("school.test", port, "127.0.0.1")
        except (OSError, dns.exception.Timeout):
            return False
        return True

    if not wait_until_serving(process, answers, seconds=20, pause=0.05):
        stop_unbound(process)
        said = process.stderr.read().decode(errors="replace") if process.stderr else ""
        text = log.read_text() if log.exists() else ""
        pytest.fail(f"unbound did not start with {conf}:\n{conf.read_text()}\n{said}{text[-3000:]}")
    return process


def stop_unbound(process: subprocess.Popen[bytes] | None) -> None:
    stop(process, seconds=10)


@dataclass
class Resolver:
    port: int
    work: Path
    policy: Path
    index: Path
    zones: Path
    conf: Path
    control: Path
    log: Path
    process: subprocess.Popen[bytes]

    def ask(self, name: str, source: str, rdtype: str = "A") -> dns.message.Message:
        return query(name, self.port, source, rdtype)

    def reload(self) -> subprocess.CompletedProcess[str]:
        return run_schoolgate(
            "unbound", "reload", "--conf", str(self.conf), "--control", str(self.control),
            "--zones", str(self.zones),
        )  # fmt: skip


def resolves(resolver: Resolver, name: str, source: str) -> bool:
    answer = resolver.ask(name, source)
    return rcode(answer) == "NOERROR" and UPSTREAM_NAMES[name] in addresses(answer)


def blocked(resolver: Resolver, name: str, source: str) -> bool:
    answer = resolver.ask(name, source)
    return rcode(answer) == "NXDOMAIN" and not answer.answer


def require_unbound() -> None:
    for program in (UNBOUND, UNBOUND + "-checkconf", UNBOUND + "-control"):
        if not Path(program).exists():
            pytest.fail(f"{program} is not installed: `scripts/setup.sh unbound` installs it")


@pytest.fixture(scope="module")
def resolver() -> Iterator[Resolver]:
    require_unbound()
    work = Path(tempfile.mkdtemp(prefix="schoolgate-unbound-"))
    upstream = process = None
    try:
        upstream_port = free_port(udp=True)
        upstream_conf = work / "upstream.conf"
        write_upstream_conf(upstream_conf, upstream_port)
        upstream = start_unbound(upstream_conf, upstream_port, work / "upstream.log")

        policy, index, zones = work / "policy.toml", work / "lists.sgidx", work / "zones"
        write_policy(policy)
        publish(policy, index, zones)
        port = free_port(udp=True)
        conf, control, log = work / "unbound.conf", work / "unbound.ctl", work / "unbound.log"
        run_schoolgate(
            "unbound", "config", "--policy", str(policy), "--zones", str(zones),
            "--listen", f"127.0.0.1@{port}", "--network", "127.0.0.0/8",
            "--forward", f"127.0.0.1@{upstream_port}", "--control", str(control), "--log", str(log),
            "--pidfile", str(work / "unbound.pid"), "--user", "", "--output", str(conf),
        )  # fmt: skip
        # unbound answers names under test. itself (RFC 6761: NXDOMAIN); here the upstream has them.
        with conf.open("a") as text:
            text.write('\nserver:\n    local-zone: "test." nodefault\n')
        process = start_unbound(conf, port, log)
        yield Resolver(port, work, policy, index, zones, conf, control, log, process)
    finally:
        stop_unbound(process)
        stop_unbound(upstream)
        shutil.rmtree(work, ignore_errors=True)


def rcode(message: dns.message.Message) -> str:
    return dns.rcode.to_text(message.rcode())


def addresses(message: dns.message.Message) -> set[str]:
    return {r.to_text() for rrset in message.answer if rrset.rdtype == dns.rdatatype.A for r in rrset}


def cname_targets(message: dns.message.Message) -> list[str]:
    return [r.to_text() for rrset in message.answer if rrset.rdtype == dns.rdatatype.CNAME for r in rrset]
