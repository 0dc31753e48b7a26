"""`schoolgate unbound config` and `schoolgate unbound reload`: unbound set up to filter by the policy.

What the configuration sets up:

- unbound listening where the school's devices send their queries (`interface:`), answering the school's
  networks and refusing everyone else (`access-control:`);
- one Response Policy Zone per policy group, as `schoolgate rpz export` writes them (a directory of
  `GROUP.rpz` files and their index `zones.json`), each loaded from its file (`rpz:` clauses);
- which zone applies to whom: one tag per group (`define-tag:`); every range the policy identifies by
  address (`[[identities]] networks`) carries its group's tag, and every other address the resolver
  answers carries the tag of the group `default`, the most restrictive (`access-control-tag:`; unbound
  takes the most specific range that holds the client's address, so a class's range beats the school's);
- logging for the activity record: every query (`log-queries: yes`, with the client's address) and
  every answer a zone changed (`rpz-log: yes`, named by the group);
- remote control on a local socket with no certificates, for `unbound-control`; the zones are read
  again without a restart (`schoolgate unbound reload`, i.e. `unbound-control auth_zone_reload ZONE`
  for each zone) whenever a new policy is published and its zones exported;
- where unbound asks: the root servers itself (full recursion, the default), or the school's or the
  provider's resolvers (`forward-zone:`).
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schoolgate.engine.policy import DEFAULT_GROUP, Network
from schoolgate.gateways.dns.rpz import zone_label

__all__ = [
    "DEFAULT_NETWORKS",
    "ConfigError",
    "ReloadError",
    "Reloaded",
    "UnboundSettings",
    "Zone",
    "ZoneSet",
    "read_zones",
    "reload_zones",
    "render",
]

# The private address ranges a school's devices use, and loopback.
DEFAULT_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
)
DEFAULT_LISTEN = ("0.0.0.0@53", "::0@53")
DEFAULT_CONTROL = Path("/run/unbound.ctl")  # where Debian's unbound has its control socket
DEFAULT_PIDFILE = Path("/run/unbound.pid")
ZONES_INDEX = "zones.json"
UNBOUND_CONTROL = "unbound-control"


class ConfigError(ValueError):
    """A setting that would make a broken or unsafe unbound.conf."""


class ReloadError(RuntimeError):
    """The zones could not be read again: unbound is not running, or it refused a zone."""


@dataclass(frozen=True, slots=True)
class Zone:
    """One group's Response Policy Zone, as `schoolgate rpz export` lists it in zones.json."""

    group: str
    name: str  # the zone's origin, e.g. "ks2.rpz.schoolgate."
    path: Path  # its zone file

    @property
    def tag(self) -> str:
        """The unbound tag of the zone's group: the group's name as a DNS label, as in the zone's name."""
        return zone_label(self.group)


@dataclass(frozen=True, slots=True)
class ZoneSet:
    """The zones of one export, and the export's serial."""

    directory: Path
    serial: int
    zones: tuple[Zone, ...]


@dataclass(frozen=True, slots=True)
class UnboundSettings:
    """Everything the configuration is made from. Paths should be absolute: unbound changes directory."""

    zones: ZoneSet
    groups: Sequence[str]  # the policy's groups
    identities: Sequence[Network] = ()  # the policy's ranges, each with its group
    listen: Sequence[str] = DEFAULT_LISTEN  # "ADDRESS" or "ADDRESS@PORT"
    networks: Sequence[str] = DEFAULT_NETWORKS  # who may use the resolver
    forward: Sequence[str] = ()  # "ADDRESS" or "ADDRESS@PORT"; none: full recursion
    control: Path = DEFAULT_CONTROL  # unbound-control's socket
    log: Path | None = None  # unbound's log file; None: syslog
    pidfile: Path = DEFAULT_PIDFILE
    username: str = "unbound"  # "" keeps the user unbound was started as
    title: str = ""
    comments: Sequence[str] = field(default_factory=tuple)


# ----------------------------------------------------------------------------------------- zones.json


def read_zones(directory: Path) -> ZoneSet:
    """The zones listed in DIRECTORY/zones.json, each file checked to be there. Raises ConfigError."""
    index = directory / ZONES_INDEX
    export = f"`schoolgate rpz export --out {directory}`"
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no {index}: write the zones first with {export}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {index}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{index} is not JSON ({exc}); write it again with {export}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{index}: expected an object with serial and zones; write it again with {export}")
    serial = data.get("serial")
    entries = data.get("zones")
    if not isinstance(serial, int) or isinstance(serial, bool) or not 0 <= serial < 2**32:
        raise ConfigError(f"{index}: serial {serial!r} is not a zone serial (a whole number below 2**32)")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{index}: no zones listed; write them again with {export}")
    zones: list[Zone] = []
    for number, entry in enumerate(entries, 1):
        where = f"{index}: zone {number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} is not an object with group, zone and file")
        group, name, file = entry.get("group"), entry.get("zone"), entry.get("file")
        if not isinstance(group, str) or not group:
            raise ConfigError(f"{where}: no group")
        if not isinstance(name, str) or not _is_zone_name(name):
            raise ConfigError(
                f"{where} (group {group!r}): {name!r} is not a zone name such as ks2.rpz.schoolgate."
            )
        if not isinstance(file, str) or not file or "/" in file or file.startswith("."):
            raise ConfigError(f"{where} (group {group!r}): {file!r} is not a file name in {directory}")
        path = directory / file
        if not path.is_file():
            raise ConfigError(f"{where} (group {group!r}): no zone file {path}; write it again with {export}")
        zones.append(Zone(group, name.lower(), path.absolute()))
    # A group may have more than one zone: unbound applies the first, in this order, that has the name.
    seen: set[str] = set()
    for zone in zones:
        if zone.name in seen:
            raise ConfigError(f"{index}: the zone {zone.name!r} is listed twice")
        seen.add(zone.name)
    return ZoneSet(directory.absolute(), serial, tuple(zones))


def _is_zone_name(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return (
        name.endswith(".")
        and len(name) <= 254
        and all(label and len(label) <= 63 for label in labels)
        and all(ch.isascii() and (ch.isalnum() or ch in "-_") for label in labels for ch in label)
    )


# ----------------------------------------------------------------------------------------- render


def _quote(text: str, what: str) -> str:
    """A quoted unbound.conf value: unbound's quoting has no escapes."""
    if not text or any(not ch.isprintable() or ch == '"' for ch in text):  # an apostrophe is fine
        raise ConfigError(
            f"{what}: {text!r} cannot go into unbound.conf: it is empty or holds a double quote"
        )
    return f'"{text}"'


def _comment(text: str) -> str:
    """Text for a comment line: a line break in a school's name must not start a directive."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _address_and_port(value: str, what: str, default_port: int = 53) -> tuple[str, int]:
    """ADDRESS or ADDRESS@PORT, unbound's own way of writing both (an IPv6 address holds colons)."""
    address, at, port_text = value.partition("@")
    if at and (not port_text.isdigit() or not 0 < int(port_text) < 65536):
        raise ConfigError(f"{what}: {value!r} is not ADDRESS or ADDRESS@PORT (a port is 1 to 65535)")
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        host, colon, port = address.rpartition(":")
        if colon and port.isdigit() and not at:
            raise ConfigError(
                f"{what}: {value!r}: unbound writes a port after @, as in {host.strip('[]')}@{port}"
            ) from None
        raise ConfigError(
            f"{what}: {address!r} is not an IP address; give ADDRESS or ADDRESS@PORT (unbound takes "
            "addresses here, not names)"
        ) from None
    return str(ip), int(port_text) if at else default_port


def _networks(values: Iterable[str], what: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ConfigError(f"{what}: {value!r} is not an address or range such as 10.0.0.0/8") from None
    return out


def _covered(
    net: ipaddress.IPv4Network | ipaddress.IPv6Network,
    allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    return any(net.version == a.version and net.subnet_of(a) for a in allowed)  # type: ignore[arg-type]


def render(s: UnboundSettings) -> str:
    """The configuration text. Raises ConfigError for settings that cannot work."""
    zones = {zone.group: zone for zone in reversed(s.zones.zones)}  # each group's first zone
    for group in s.groups:
        if group not in zones:
            raise ConfigError(
                f"{s.zones.directory / ZONES_INDEX} has no zone for the group {group!r}: the zones are "
                "from another policy; write them again with `schoolgate rpz export`"
            )
    for group in zones:
        if group not in s.groups:
            raise ConfigError(
                f"{s.zones.directory / ZONES_INDEX} has a zone for {group!r}, which the policy does not "
                "have: the zones are from another policy; write them again with `schoolgate rpz export`"
            )
    if DEFAULT_GROUP not in zones:
        raise ConfigError(f'the policy has no group "{DEFAULT_GROUP}", for addresses it does not identify')
    tags: dict[str, str] = {}
    for zone in s.zones.zones:
        if tags.get(zone.tag, zone.group) != zone.group:
            raise ConfigError(
                f"the groups {tags[zone.tag]!r} and {zone.group!r} have the same zone label {zone.tag!r}; "
                "rename one of them"
            )
        tags[zone.tag] = zone.group
    if not s.listen:
        raise ConfigError("listen: give at least one ADDRESS[@PORT] for unbound to answer on")
    listen = [_address_and_port(value, "listen") for value in s.listen]
    forward = [_address_and_port(value, "forward") for value in s.forward]
    allowed = _networks(s.networks, "networks")
    if not allowed:
        raise ConfigError("networks: give at least one range whose devices may use the resolver")
    # The tag of each range, as the engine finds a group for an address: the most specific of the
    # policy's ranges that holds it decides (of two identical ranges, the first listed); an address in
    # none of them is the default group's. So a school network inside a policy range is that range's.
    ranked = sorted(s.identities, key=lambda i: -i.network.prefixlen)

    def group_of(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
        for identity in ranked:
            if identity.network.version == net.version and net.subnet_of(identity.network):  # type: ignore[arg-type]
                return identity.group
        return DEFAULT_GROUP

    tag_of: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple[str, str]] = {}
    for net in allowed:
        group = group_of(net)
        if group in zones:
            tag_of[net] = (zones[group].tag, "" if group == DEFAULT_GROUP else group)
    placed: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = set()
    for identity in ranked:
        if identity.network in placed:
            continue  # an identical range listed earlier decides, as in the engine
        placed.add(identity.network)
        if identity.group not in zones:
            raise ConfigError(
                f"the range {identity.network} is in the group {identity.group!r}, which has no zone"
            )
        if not _covered(identity.network, allowed):
            raise ConfigError(
                f"the policy's range {identity.network} (group {identity.group}) is outside the networks "
                f"that may use the resolver ({', '.join(map(str, allowed))}); add it with --network"
            )
        tag_of[identity.network] = (zones[identity.group].tag, identity.label or identity.group)
    loopback_forward = any(ipaddress.ip_address(address).is_loopback for address, _ in forward)

    out: list[str] = []
    add = out.append
    add(f"# {_comment(s.title or 'unbound configuration for Schoolgate')}")
    add("# Written by `schoolgate unbound config`; write it again rather than editing it by hand.")
    add(f"# Zones: {_comment(str(s.zones.directory))} (export serial {s.zones.serial}).")
    for line in s.comments:
        add(f"# {_comment(line)}")
    add("")
    add("server:")
    add("    # --- Where unbound answers: hand this address out by DHCP, and block outbound port 53 and 853")
    add("    # at the firewall so that devices cannot ask another resolver.")
    for address, port in listen:
        add(f"    interface: {address}@{port}")
    if any(ipaddress.ip_address(address).is_unspecified for address, _ in listen):
        add("    # Listening on every address: answer from the address each query was sent to.")
        add("    interface-automatic: yes")
    add("")
    add("    # --- Who may ask: the school's networks; everyone else is refused.")
    add("    access-control: 0.0.0.0/0 refuse")
    add("    access-control: ::/0 refuse")
    for net in sorted(tag_of, key=_net_order):
        add(f"    access-control: {net} allow")
    add("")
    add("    # --- Filtering: Response Policy Zones (RPZ) need the respip module before the iterator.")
    add('    # To validate DNSSEC too, add the validator between them ("respip validator iterator") and')
    add('    # give a trust anchor (auto-trust-anchor-file: "/var/lib/unbound/root.key").')
    add('    module-config: "respip iterator"')
    add("")
    add("    # --- One tag per group; a client's tag picks the zone that filters its answers.")
    add(f'    define-tag: "{" ".join(tags)}"')
    add(
        f"    # Addresses the policy does not identify carry the tag of the group {DEFAULT_GROUP!r}, the most"
    )
    add("    # restrictive; a range the policy names carries its group's (the most specific range wins).")
    for net, (tag, label) in sorted(tag_of.items(), key=lambda item: _net_order(item[0])):
        note = f"  # {_comment(label)}" if label else ""
        add(f'    access-control-tag: {net} "{tag}"{note}')
    add("")
    add("    # --- Logging, for the activity record: every query with the client's address, and every answer")
    add("    # a zone changed (rpz-log, named by the group). Times are seconds since 1970 (UTC).")
    add("    verbosity: 1")
    add("    log-queries: yes")
    add("    log-replies: no")
    add("    log-local-actions: no")
    if s.log is not None:
        add("    use-syslog: no")
        add(f"    logfile: {_quote(str(s.log), 'log')}")
    else:
        add("    use-syslog: yes")
    add("")
    add("    # --- The process.")
    add(f"    pidfile: {_quote(str(s.pidfile), 'pidfile')}")
    if s.username:
        add("    # unbound drops root for this user once its ports are open; it must read the zones.")
        add(f"    username: {_quote(s.username, 'user')}")
    else:
        add("    # unbound keeps the user it was started as.")
        add('    username: ""')
    add('    chroot: ""')
    add(f"    directory: {_quote(str(s.zones.directory), 'zones directory')}")
    if loopback_forward:
        add("    # The forwarder is on this machine: let unbound send it queries.")
        add("    do-not-query-localhost: no")
    add("")
    add("# --- Remote control on a local socket (no certificates: only who can open the socket), so that")
    add("# `schoolgate unbound reload` can read the zones again without a restart.")
    add("remote-control:")
    add("    control-enable: yes")
    add(f"    control-interface: {_quote(str(s.control), 'control socket')}")
    add("    control-use-cert: no")
    add("")
    if forward:
        add("# --- Where unbound asks: these resolvers, for every name.")
        add("forward-zone:")
        add('    name: "."')
        for address, port in forward:
            add(f"    forward-addr: {address}@{port}")
    else:
        add("# --- Where unbound asks: the root servers and each zone's own servers (full recursion).")
        add("# To ask the school's or the provider's resolvers instead, write this again with --forward.")
    add("")
    add("# --- The zones, one per group, read from their files (`schoolgate rpz export`). Where a client's")
    add("# tag has more than one zone, the first (in this order) that holds the name decides.")
    for zone in s.zones.zones:
        add("rpz:")
        add(f'    name: "{zone.name}"')
        add(f"    zonefile: {_quote(str(zone.path), 'zone file')}")
        add(f'    tags: "{zone.tag}"')
        add("    rpz-log: yes")
        add(f"    rpz-log-name: {_quote(zone.group, 'group')}")
    add("")
    return "\n".join(out)


def _net_order(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int, int]:
    return net.version, int(net.network_address), net.prefixlen


# ----------------------------------------------------------------------------------------- reload


@dataclass(frozen=True, slots=True)
class Reloaded:
    zone: Zone
    ok: bool
    message: str


def reload_zones(
    conf: Path, control: Path, zones: ZoneSet, program: str = UNBOUND_CONTROL, timeout: float = 30
) -> list[Reloaded]:
    """Ask the running unbound to read every zone again from its file (`unbound-control
    auth_zone_reload ZONE`). Raises ReloadError when unbound cannot be reached at all; a zone it
    refused is reported in its Reloaded."""
    found = shutil.which(program)
    if found is None:
        raise ReloadError(f"{program} is not installed (Debian's unbound package has it)")
    if not conf.is_file():
        raise ReloadError(f"no unbound configuration {conf}")
    if not control.exists():
        raise ReloadError(f"unbound is not running: no control socket at {control}")
    results = []
    for zone in zones.zones:
        command = [found, "-c", str(conf), "-s", str(control), "auth_zone_reload", zone.name]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ReloadError(f"unbound did not answer on {control} within {timeout:g} s") from None
        except OSError as exc:
            raise ReloadError(f"cannot run {found}: {exc.strerror}") from None
        said = " ".join((done.stdout + done.stderr).split())
        if done.returncode == 0 and said.lower().startswith("ok"):
            results.append(Reloaded(zone, True, "reloaded"))
            continue
        if "connect" in said.lower() or "no such file" in said.lower() or "refused" in said.lower():
            raise ReloadError(f"unbound is not running, or not on {control}: {said or 'no answer'}")
        results.append(Reloaded(zone, False, said or f"{program} exited with status {done.returncode}"))
    return results
