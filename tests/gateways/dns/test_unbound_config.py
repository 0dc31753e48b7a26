"""`schoolgate unbound config` and `schoolgate unbound reload`, without a running unbound: what the
configuration says, that `unbound-checkconf` accepts it, and that every bad setting is one clear error."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from schoolgate.engine.policy import Network
from schoolgate.gateways.dns.unbound import ConfigError, UnboundSettings, Zone, ZoneSet, read_zones, render
from tests.school import run_schoolgate

from .conftest import PUPIL, STAFF, UNBOUND, publish, require_unbound, write_policy


@pytest.fixture(scope="module")
def exported() -> Iterator[tuple[Path, Path]]:
    """The test policy and its zones, as `schoolgate rpz export` writes them."""
    work = Path(tempfile.mkdtemp(prefix="schoolgate-unbound-config-"))
    try:
        policy, zones = work / "policy.toml", work / "zones"
        write_policy(policy)
        publish(policy, work / "lists.sgidx", zones)
        yield policy, zones
    finally:
        shutil.rmtree(work, ignore_errors=True)


def config(policy: Path, zones: Path, *options: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return run_schoolgate(
        "unbound", "config", "--policy", str(policy), "--zones", str(zones), *options, ok=ok
    )


def refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("schoolgate: ")
    for word in words:
        assert word in result.stderr
    return result.stderr


def test_unbound_checkconf_accepts_the_configuration(exported: tuple[Path, Path], tmp_path: Path) -> None:
    require_unbound()
    policy, zones = exported
    for options in (
        (),  # the defaults: every address on port 53, Debian's socket and pid file, user unbound
        ("--listen", "127.0.0.1@5353", "--listen", "::1", "--forward", "192.0.2.53", "--log", "/tmp/u.log"),
        ("--network", "10.0.0.0/8", "--network", "127.0.0.0/8", "--forward", "127.0.0.1@5300", "--user", ""),
    ):
        conf = tmp_path / "unbound.conf"
        config(policy, zones, *options, "--output", str(conf))
        check = subprocess.run(
            [UNBOUND + "-checkconf", str(conf)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, f"{options}: {check.stdout}{check.stderr}\n{conf.read_text()}"


def test_each_group_has_its_tag_zone_and_log_name(exported: tuple[Path, Path]) -> None:
    policy, zones = exported
    text = config(policy, zones, "--network", "127.0.0.0/8").stdout
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    assert 'module-config: "respip iterator"' in lines
    assert 'define-tag: "default ks2 staff"' in lines
    assert "access-control: 0.0.0.0/0 refuse" in lines
    assert "access-control: ::/0 refuse" in lines
    assert "access-control: 127.0.0.0/8 allow" in lines
    # The policy's ranges carry their groups' tags; every other address the default group's.
    assert 'access-control-tag: 127.0.0.0/8 "default"' in lines
    assert f'access-control-tag: {PUPIL}/32 "ks2"' in lines
    assert f'access-control-tag: {STAFF}/32 "staff"' in lines
    assert "KS2 classrooms" in text
    index = json.loads((zones / "zones.json").read_text())
    for entry in index["zones"]:
        clause = text.split(f'name: "{entry["zone"]}"', 1)[1].split("rpz:", 1)[0]
        assert f'zonefile: "{(zones / entry["file"]).absolute()}"' in clause
        assert f'tags: "{entry["zone"].split(".")[0]}"' in clause
        assert "rpz-log: yes" in clause
        assert f'rpz-log-name: "{entry["group"]}"' in clause
    assert f"export serial {index['serial']}" in text
    assert "log-queries: yes" in lines
    assert "use-syslog: yes" in lines  # no --log
    assert "control-use-cert: no" in lines
    assert 'control-interface: "/run/unbound.ctl"' in lines
    assert 'username: "unbound"' in lines
    assert 'chroot: ""' in lines
    assert "forward-zone:" not in lines  # full recursion by default
    assert "do-not-query-localhost: no" not in lines


def test_forwarders_and_listening_addresses(exported: tuple[Path, Path]) -> None:
    policy, zones = exported
    text = config(
        policy, zones, "--listen", "192.168.1.2", "--listen", "fd00::53@5353",
        "--forward", "192.0.2.53", "--forward", "127.0.0.1@5300", "--log", "/var/log/unbound.log",
    ).stdout  # fmt: skip
    lines = [line.strip() for line in text.splitlines()]
    assert "interface: 192.168.1.2@53" in lines
    assert "interface: fd00::53@5353" in lines
    assert "interface-automatic: yes" not in lines
    assert "forward-addr: 192.0.2.53@53" in lines
    assert "forward-addr: 127.0.0.1@5300" in lines
    assert "do-not-query-localhost: no" in lines  # a forwarder on this machine
    assert 'logfile: "/var/log/unbound.log"' in lines
    assert "use-syslog: no" in lines
    default = config(policy, zones).stdout
    assert "interface: 0.0.0.0@53" in default
    assert "interface-automatic: yes" in default


def test_bad_settings_are_one_clear_error(exported: tuple[Path, Path], tmp_path: Path) -> None:
    policy, zones = exported
    refused(config(policy, zones, "--listen", "127.0.0.1:53", ok=False), "127.0.0.1@53")
    refused(config(policy, zones, "--listen", "127.0.0.1@99999", ok=False), "1 to 65535")
    refused(config(policy, zones, "--listen", "resolver.school", ok=False), "not an IP address")
    refused(config(policy, zones, "--forward", "dns.example@53", ok=False), "forward")
    refused(config(policy, zones, "--network", "10.0.0.0/33", ok=False), "10.0.0.0/33")
    # The policy's pupils' range is not among the networks the resolver answers.
    refused(config(policy, zones, "--network", "10.0.0.0/8", ok=False), f"{PUPIL}/32", "--network")
    refused(config(policy, zones, "--control", '/run/un"bound.ctl', ok=False), "double quote")
    refused(config(policy, tmp_path / "nothing", ok=False), "zones.json", "schoolgate rpz export")
    (tmp_path / "zones.json").write_text("{not json")
    refused(config(policy, tmp_path, ok=False), "not JSON")
    (tmp_path / "zones.json").write_text(
        '{"serial": 1, "zones": [{"group": "ks2", "zone": "ks2.rpz.schoolgate.", "file": "ks2.rpz"}]}'
    )
    refused(config(policy, tmp_path, ok=False), "no zone file")
    (tmp_path / "ks2.rpz").write_text("")
    refused(config(policy, tmp_path, ok=False), "no zone for the group", "another policy")
    refused(config(tmp_path / "missing.toml", zones, ok=False), "missing.toml")


def test_render_refuses_zones_of_another_policy(exported: tuple[Path, Path]) -> None:
    _, zones = exported
    zone_set = read_zones(zones)
    groups = [zone.group for zone in zone_set.zones]
    ks2 = Network(ipaddress.ip_network(f"{PUPIL}/32"), "ks2")
    render(UnboundSettings(zones=zone_set, groups=groups, identities=[ks2]))
    with pytest.raises(ConfigError, match="which the policy does not have"):
        render(UnboundSettings(zones=zone_set, groups=[g for g in groups if g != "staff"]))
    with pytest.raises(ConfigError, match="has no zone"):
        render(UnboundSettings(zones=zone_set, groups=[*groups, "ks1"]))
    one = ZoneSet(zone_set.directory, 1, (Zone("ks2", "ks2.rpz.schoolgate.", zones / "ks2.rpz"),))
    with pytest.raises(ConfigError, match='no group "default"'):
        render(UnboundSettings(zones=one, groups=["ks2"]))
    with pytest.raises(ConfigError, match="at least one"):
        render(UnboundSettings(zones=zone_set, groups=groups, listen=()))


def test_reload_says_when_unbound_is_not_running(exported: tuple[Path, Path], tmp_path: Path) -> None:
    require_unbound()
    policy, zones = exported
    conf = tmp_path / "unbound.conf"
    socket = tmp_path / "unbound.ctl"
    config(policy, zones, "--control", str(socket), "--output", str(conf))
    reload = ("unbound", "reload", "--zones", str(zones), "--conf", str(conf))
    refused(
        run_schoolgate(*reload, "--control", str(socket), ok=False), "unbound is not running", str(socket)
    )
    refused(run_schoolgate(*reload[:-1], str(tmp_path / "none.conf"), ok=False), "no unbound configuration")
    socket.write_text("")  # a file where the socket should be, no unbound behind it
    refused(run_schoolgate(*reload, "--control", str(socket), ok=False), "not running")


def test_an_address_gets_the_group_the_engine_gives_it(exported: tuple[Path, Path]) -> None:
    """unbound takes the most specific range; the tags follow the engine's choice of group, so the
    proxy and DNS put an address in the same group."""
    _, zones = exported
    zone_set = read_zones(zones)
    groups = ["default", "ks2", "staff"]
    ks2 = Network(ipaddress.ip_network("10.1.0.0/16"), "ks2", "KS2")
    staff_again = Network(ipaddress.ip_network("10.1.0.0/16"), "staff", "listed second")
    text = render(
        UnboundSettings(
            zones=zone_set,
            groups=groups,
            identities=[ks2, staff_again],
            networks=["10.0.0.0/8", "10.1.5.0/24"],  # a school network inside the KS2 range
        )
    )
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    assert 'access-control-tag: 10.1.0.0/16 "ks2"' in lines  # of two identical ranges, the first
    assert 'access-control-tag: 10.1.5.0/24 "ks2"' in lines  # inside KS2's range: KS2's, not default's
    assert 'access-control-tag: 10.0.0.0/8 "default"' in lines


def test_an_apostrophe_in_a_path_is_fine(exported: tuple[Path, Path], tmp_path: Path) -> None:
    require_unbound()
    policy, zones = exported
    conf = tmp_path / "unbound.conf"
    config(policy, zones, "--log", str(tmp_path / "head's office.log"), "--output", str(conf))
    check = subprocess.run([UNBOUND + "-checkconf", str(conf)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "head's office.log" in conf.read_text()
