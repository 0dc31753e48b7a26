"""The systemd units in deploy/systemd: systemd itself reads them without a complaint, each starts a
`schoolgate` command that exists and takes its arguments, each is hardened the same way, and the
example settings file names only settings Schoolgate reads. `make test` installs systemd (for
`systemd-analyze`); it does not skip these."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
ENV_EXAMPLE = ROOT / "deploy" / "schoolgate.env.example"
INSTALLED = "/opt/schoolgate/bin/schoolgate"
SCHOOLGATE = str(Path(sys.executable).with_name("schoolgate"))

# Every long-running part of Schoolgate has its unit (Squid starts its own helpers).
EXPECTED = {
    "schoolgate-web.service": ["web", "serve"],
    "schoolgate-block-page.service": ["block-page", "serve"],
    "schoolgate-rpz-watch.service": ["rpz", "watch"],
    "schoolgate-dns-log.service": ["dns-log"],
    "schoolgate-worker.service": ["worker"],
}

HARDENING = {
    "User": "schoolgate",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "Restart": "on-failure",
    "EnvironmentFile": "/etc/schoolgate/schoolgate.env",
}


def _service(path: Path) -> dict[str, list[str]]:
    """The [Service] section's keys, each with every value it is given (systemd allows repeats)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        key, _, value = line.partition("=")
        if section == "[Service]":
            found.setdefault(key, []).append(value)
    return found


def _example_env() -> dict[str, str]:
    env = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def test_every_long_running_part_has_a_unit_and_no_other_is_promised() -> None:
    assert {u.name for u in UNITS} == set(EXPECTED)


def test_systemd_reads_the_units_without_a_complaint(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is not installed (scripts/setup.sh systemd)"
    for unit in UNITS:  # systemd checks that the program exists: point them at this checkout's
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, SCHOOLGATE))
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Unknown keys and bad values are only warned about, and ignored: a hardening line ignored is no
    # hardening at all.
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_starts_a_real_schoolgate_command_with_arguments_it_takes(unit: Path) -> None:
    (exec_start,) = _service(unit)["ExecStart"]
    env = _example_env()
    command = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], exec_start)
    argv = shlex.split(command)
    assert argv[0] == INSTALLED
    assert argv[1 : 1 + len(EXPECTED[unit.name])] == EXPECTED[unit.name]
    # --help after the unit's own arguments: argparse checks each of them is known, then prints help.
    done = subprocess.run(
        [SCHOOLGATE, *argv[1:], "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: schoolgate " + " ".join(EXPECTED[unit.name]))


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_is_hardened(unit: Path) -> None:
    service = _service(unit)
    for key, value in HARDENING.items():
        assert service.get(key) == [value], f"{unit.name}: {key}={value}"
    assert service.get("ReadWritePaths"), f"{unit.name}: writes nowhere but its data"
    assert "CapabilityBoundingSet" in service
    assert set(service["CapabilityBoundingSet"]) <= {"", "CAP_NET_BIND_SERVICE"}
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(unit.read_text())  # well-formed sections
    assert parser.get("Install", "WantedBy") == "multi-user.target"


def test_the_example_settings_name_only_settings_schoolgate_reads() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "schoolgate").rglob("*.py"))
    units = "\n".join(u.read_text() for u in UNITS)
    for name in [*_example_env(), *re.findall(r"#(SCHOOLGATE_\w+)=", ENV_EXAMPLE.read_text())]:
        assert f'"{name}"' in source or f"${{{name}}}" in units, f"{name} is read by nothing"
