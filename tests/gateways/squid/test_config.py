"""`schoolgate squid config`: the configuration it writes is one Squid accepts, and bad settings are
clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from schoolgate.cli import main
from schoolgate.gateways.blockpage.signing import create_key
from schoolgate.gateways.squid.ca import init_ca
from schoolgate.gateways.squid.config import DEFAULT_NOBUMP, Auth, ConfigError, SquidSettings, render
from tests.gateways.squid.conftest import SQUID

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "policy.toml"


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


@pytest.mark.parametrize("fragment", [False, True])
def test_what_squid_tells_the_helper_is_set_not_left_to_its_defaults(tmp_path: Path, fragment: bool) -> None:
    """Every field after the URL escaped, so that none holds a space (Squid 5 writes %un as it is), and
    spaces kept out of URLs: the helper splits a request line on spaces alone."""
    lines = render(settings(tmp_path, fragment=fragment)).splitlines()
    assert 'url_rewrite_extras "%>a/%#>A %#un %>rm myip=%la myport=%lp"' in lines
    assert "uri_whitespace strip" in lines


def test_a_login_is_asked_of_everyone_but_the_ranges_known_by_address(tmp_path: Path) -> None:
    text = render(
        settings(tmp_path, auth=Auth.BASIC, passwords=Path("/etc/sg/passwords"), no_login=["10.10.1.0/24"])
    )
    lines = text.splitlines()
    assert "auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/sg/passwords" in lines
    allows = [line for line in lines if line.startswith("http_access allow schoolgate")]
    assert allows == [
        "http_access allow schoolgate_networks schoolgate_block_page schoolgate_block_page_port",
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
        ({"intercept": Path("/etc/schoolgate/ca"), "fragment": True}, "whole configuration"),
        ({"intercept": Path("/etc/schoolgate/ca"), "peek": Path("/etc/schoolgate/ca")}, "not both"),
        ({"block_page": "ftp://school/blocked"}, "block page"),
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


def test_with_interception_squid_opens_https_with_the_school_ca(tmp_path: Path) -> None:
    ca = init_ca(tmp_path / "ca", "Test Primary", group=None)
    text = render(settings(tmp_path, intercept=ca.directory, trust_ca=ca.cert_path))
    squid_parses(text, tmp_path)
    lines = text.splitlines()
    [port] = [line for line in lines if line.startswith("http_port")]
    assert f"ssl-bump tls-cert={ca.cert_path} tls-key={ca.key_path}" in port
    assert "generate-host-certificates=on" in port
    assert f"sslcrtd_program /usr/lib/squid/security_file_certgen -s {tmp_path}/ssl_db -M 16MB" in lines
    assert f'acl schoolgate_nobump ssl::server_name "{DEFAULT_NOBUMP}"' in lines
    assert f'acl schoolgate_nobump_target dstdomain -n "{DEFAULT_NOBUMP}"' in lines
    bump = [line for line in lines if line.startswith("ssl_bump")]
    assert bump == [
        "ssl_bump peek schoolgate_tls_hello",
        "ssl_bump splice schoolgate_nobump schoolgate_nobump_target",
        "ssl_bump bump all",
    ]
    assert f"tls_outgoing_options cafile={ca.cert_path}" in lines


def test_the_nobump_list_is_in_squid_s_format() -> None:
    names = [line for line in DEFAULT_NOBUMP.read_text().splitlines() if line and not line.startswith("#")]
    assert ".nhs.uk" in names
    assert ".childline.org.uk" in names
    assert all(name.startswith(".") and " " not in name for name in names)


@pytest.mark.parametrize(
    ("page", "acl", "port"),
    [
        ("http://127.0.0.1:8080/blocked", "acl schoolgate_block_page dst -n 127.0.0.1", 8080),
        (
            "https://filter.school.test/blocked?lang=en",
            "acl schoolgate_block_page dstdomain -n filter.school.test",
            443,
        ),
        (
            "http://filter.school.test/blocked",
            "acl schoolgate_block_page dstdomain -n filter.school.test",
            80,
        ),
    ],
)
def test_the_block_page_is_never_filtered_and_needs_no_login(
    tmp_path: Path, page: str, acl: str, port: int
) -> None:
    text = render(settings(tmp_path, block_page=page, auth=Auth.BASIC, passwords=Path("/etc/p")))
    squid_parses(text, tmp_path)
    lines = text.splitlines()
    assert acl in lines
    assert f"acl schoolgate_block_page_port port {port}" in lines
    assert lines.index(
        "url_rewrite_access deny schoolgate_block_page schoolgate_block_page_port"
    ) < lines.index("url_rewrite_access allow all")
    assert lines.index(
        "adapted_http_access allow schoolgate_block_page schoolgate_block_page_port"
    ) < lines.index("adapted_http_access deny !schoolgate_decided")


def test_youtube_strictness_comes_from_the_helper_s_note(tmp_path: Path) -> None:
    lines = render(settings(tmp_path)).splitlines()
    assert "acl schoolgate_youtube_strict note youtube strict" in lines
    assert "request_header_access YouTube-Restrict deny all" in lines  # the browser's own is dropped
    assert "request_header_add YouTube-Restrict Strict schoolgate_youtube_strict" in lines
    assert "request_header_add YouTube-Restrict Moderate schoolgate_youtube_moderate" in lines


def test_the_helper_gets_the_block_page_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "block-page.key"
    create_key(key)
    assert main(["squid", "config", "--policy", str(EXAMPLE), "--block-page-key", str(key)]) == 0
    assert f"--block-page-key {key}" in capsys.readouterr().out
    bad = tmp_path / "bad.key"
    bad.write_text("nonsense\n")
    assert main(["squid", "config", "--policy", str(EXAMPLE), "--block-page-key", str(bad)]) == 2
    assert "is not a block page key" in capsys.readouterr().err


def test_interception_needs_a_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["squid", "config", "--policy", str(EXAMPLE), "--intercept", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "--intercept: cannot read the CA" in err
    assert "schoolgate ca init" in err


def test_without_interception_the_tls_hello_can_be_checked(tmp_path: Path) -> None:
    ca = init_ca(tmp_path / "ca", "Test Primary", group=None)
    text = render(settings(tmp_path, peek=ca.directory))
    squid_parses(text, tmp_path)
    lines = text.splitlines()
    [port] = [line for line in lines if line.startswith("http_port")]
    assert "ssl-bump" in port
    assert "generate-host-certificates" not in port  # nothing is opened
    [checker] = [line for line in lines if line.startswith("external_acl_type schoolgate_sni")]
    assert " %#ssl::>sni %>a %#un %>rm " in checker  # escaped: a TLS hello's name is the client's to choose
    assert "squid-helper" in checker
    assert "--mode acl" in checker
    bump = [line for line in lines if line.startswith("ssl_bump")]
    assert bump == [
        "ssl_bump peek schoolgate_tls_hello",
        "ssl_bump splice schoolgate_sni_allowed",
        "ssl_bump terminate all",
    ]


def test_a_percent_in_the_block_page_is_not_one_of_squid_s_codes(tmp_path: Path) -> None:
    text = render(settings(tmp_path, block_page="http://filter.test/blocked?school=st%20mary"))
    squid_parses(text, tmp_path)
    assert "deny_info http://filter.test/blocked?school=st%%20mary&reason=filter-unavailable" in text
