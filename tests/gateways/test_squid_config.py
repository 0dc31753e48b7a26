"""`schoolgate squid config`: the configuration it writes is one Squid accepts, and bad settings are
clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from schoolgate.cli import main
from schoolgate.gateways.squid.config import Auth, ConfigError, SquidSettings, render
from tests.squid.conftest import SQUID

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policy.toml"


def settings(tmp_path: Path, **changes: object) -> SquidSettings:
    base: dict[str, object] = {
        "helper": ["/usr/bin/schoolgate"],
        "policy": tmp_path / "policy.toml",
        "index": tmp_path / "lists.sgidx",
        "spool": tmp_path / "spool",
        "state_dir": tmp_path,
    }
    base.update(changes)
    return SquidSettings(**base)  # type: ignore[arg-type]


def squid_parses(text: str, tmp_path: Path) -> None:
    conf = tmp_path / "squid.conf"
    conf.write_text(text)
    result = subprocess.run(
        [SQUID, "-k", "parse", "-n", "sgparse", "-f", str(conf)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    problems = [line for line in result.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert problems == []


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"auth": Auth.BASIC, "passwords": Path("/etc/schoolgate/passwords"), "no_login": ["10.10.1.0/24"]},
        {"auth": Auth.BASIC, "passwords": Path("/etc/schoolgate/passwords")},
        {
            "spool": None,
            "block_page": "https://filter.school.test/blocked?lang=en",
            "listen": "127.0.0.1:3130",
        },
        {"networks": ["10.20.0.0/16", "2001:db8::/48"], "children": 20, "concurrency": 100},
    ],
)
def test_squid_accepts_what_is_written(tmp_path: Path, changes: dict[str, object]) -> None:
    text = render(settings(tmp_path, **changes))
    squid_parses(text, tmp_path)
    assert "url_rewrite_bypass off" in text
    assert "adapted_http_access deny !schoolgate_decided" in text
    assert "http_access deny all" in text


def test_the_helper_line_carries_the_paths(tmp_path: Path) -> None:
    text = render(settings(tmp_path))
    [line] = [line for line in text.splitlines() if line.startswith("url_rewrite_program")]
    assert line == (
        f"url_rewrite_program /usr/bin/schoolgate squid-helper --policy {tmp_path}/policy.toml "
        f"--index {tmp_path}/lists.sgidx --concurrency on --spool {tmp_path}/spool"
    )
    assert "url_rewrite_children 8 startup=1 idle=1 concurrency=50" in text


def test_a_login_is_asked_of_everyone_but_the_ranges_known_by_address(tmp_path: Path) -> None:
    text = render(
        settings(tmp_path, auth=Auth.BASIC, passwords=Path("/etc/sg/passwords"), no_login=["10.10.1.0/24"])
    )
    lines = text.splitlines()
    assert "auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/sg/passwords" in lines
    allows = [line for line in lines if line.startswith("http_access allow schoolgate")]
    assert allows == [
        "http_access allow schoolgate_networks schoolgate_no_login",
        "http_access allow schoolgate_networks schoolgate_login",
    ]


def test_a_line_break_in_a_comment_cannot_add_a_directive(tmp_path: Path) -> None:
    text = render(settings(tmp_path, title="Evil\nhttp_access allow all", comments=["a\rb\x85c"]))
    assert "http_access allow all" not in text.splitlines()
    assert "# Evil http_access allow all" in text


def test_a_fragment_has_only_schoolgate_s_lines(tmp_path: Path) -> None:
    text = render(settings(tmp_path, fragment=True))
    assert "http_port" not in text
    assert "http_access deny all" not in text
    assert "url_rewrite_program" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"listen": "proxy"}, "listen"),
        ({"listen": "999999"}, "listen"),
        ({"listen": "school:3128"}, "not an IP address"),
        ({"networks": ["10.0.0.0/33"]}, "not an address or range"),
        ({"no_login": ["class 1"]}, "not an address or range"),
        ({"auth": Auth.BASIC}, "password file"),
        ({"policy": Path("/srv/my policy.toml")}, "spaces"),
        ({"children": 0}, "at least 1"),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        render(settings(tmp_path, **changes))


def test_the_command_writes_a_file_squid_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "squid.conf"
    assert (
        main(["squid", "config", "--policy", str(EXAMPLE), "--state-dir", str(tmp_path), "-o", str(out)]) == 0
    )
    squid_parses(out.read_text(), tmp_path)
    text = out.read_text()
    assert "Example Primary School" in text
    assert "deny_info http://127.0.0.1:8080/blocked?reason=filter-unavailable schoolgate_decided" in text
    assert "squid -k parse" in capsys.readouterr().err


def test_the_command_explains_a_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["squid", "config", "--policy", str(EXAMPLE), "--network", "everyone"]) == 2
    err = capsys.readouterr().err
    assert "'everyone' is not an address or range" in err
    assert "Traceback" not in err
    assert main(["squid", "config", "--policy", str(EXAMPLE), "--auth", "basic"]) == 2
    assert "--passwords" in capsys.readouterr().err


def test_with_a_login_the_policy_s_address_ranges_need_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["squid", "config", "--policy", str(EXAMPLE), "--auth", "basic", "--passwords", "/etc/p"]) == 0
    )
    text = capsys.readouterr().out
    assert "acl schoolgate_no_login src 10.10.1.0/24 10.10.200.0/24" in text
