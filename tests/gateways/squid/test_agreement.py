"""The agreement helper (Squid's external ACL protocol), its token, the agreements file, and the lines
`schoolgate squid config --agreement` writes (checked by the real Squid's parser)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schoolgate.activity.agreements import DIRECTORY, AcceptanceRecord, record_acceptance
from schoolgate.gateways.blockpage.signing import create_key
from schoolgate.gateways.squid.agreement import (
    MAX_LINE,
    Agreements,
    AgreementsFile,
    HelperSettings,
    Token,
    VersionText,
    agreements_path,
    answer,
    make_token,
    parse_agreements,
    read_token,
    run_helper,
)
from schoolgate.gateways.squid.config import Auth, ConfigError, render
from tests.gateways.squid.test_config import settings, squid_parses

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = 1_796_121_125
FILE = {
    "v": 1,
    "year": 2026,
    "school": "oakfield",
    "versions": {"ks2": {"number": 3, "title": "Our rules", "text": "Be kind."}},
    "users": {"KS2-Amelia": "ks2", "mr.patel": "staff", "ghost": "nowhere"},
}


def agreements() -> Agreements:
    return parse_agreements(json.dumps(FILE).encode())


def never(who: str, audience: str, version: int, year: int) -> bool:
    return False


def test_the_file_lists_the_users_as_the_policy_compares_them_and_only_audiences_with_a_version() -> None:
    found = agreements()
    assert found.year == 2026 and found.versions == {"ks2": VersionText(3, "Our rules", "Be kind.")}
    assert found.users == {"ks2-amelia": "ks2"}  # staff and "nowhere" have no version in the file
    assert found.needs("ks2-AMELIA") == ("ks2", VersionText(3, "Our rules", "Be kind."))
    assert found.needs("mr.patel") is None
    assert agreements_path(Path("/p/policy-st.toml")) == Path("/p/policy-st-agreements.json")


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff", b"[]", b'{"v": 2, "year": 2026, "versions": {}, "users": {}}', b'{"v": 1, "year": "x"}'],
)
def test_a_file_that_is_not_one_is_refused_saying_why(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_agreements(data)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("7 ks2-amelia -\n", "7 ERR message="),  # with a channel-ID, and Squid's "-" for no arguments
        ("ks2-amelia -\n", "ERR message="),
        ("0 KS2%2DAMELIA -\n", "0 ERR message="),  # escaped, and case does not matter
        ("3 - -\n", "3 OK"),  # no user: a device known by its address is never asked
        ("4 mr.patel -\n", "4 OK"),  # no version for their audience
        ("5 stranger -\n", "5 OK"),  # not in the list
        ("6 \n", "6 OK"),
        ("8 ks2-amélia -\n", "8 OK"),  # not as Squid writes a name: read as no one
        ("9 ks2%0aamelia -\n", "9 OK"),  # a control character in a name
        ("10 " + "a" * 300 + " -\n", "10 OK"),  # longer than any user name
        ("11 " + " ".join("x" * 20) + "\n", "11 OK"),  # more fields than Squid writes
    ],
)
def test_each_line_gets_one_answer_and_only_a_listed_user_is_sent_to_the_page(
    line: str, expected: str
) -> None:
    reply = answer(line, agreements(), never, KEY, NOW, True)
    assert reply.startswith(expected)
    assert "\n" not in reply


def test_the_token_in_the_answer_names_the_user_version_and_year_and_is_one_word() -> None:
    reply = answer("1 ks2-amelia -\n", agreements(), never, KEY, NOW, True)
    token_text = reply.removeprefix("1 ERR message=")
    assert " " not in token_text and token_text.isascii()
    assert read_token(KEY, token_text, NOW + 10) == Token("ks2-amelia", "ks2", 3, 2026, NOW, "oakfield")


def test_a_user_whose_acceptance_is_in_the_spool_goes_straight_through(tmp_path: Path) -> None:
    seen: list[tuple[str, str, int, int]] = []

    def accepted(who: str, audience: str, version: int, year: int) -> bool:
        seen.append((who, audience, version, year))
        return True

    assert answer("2 ks2-amelia -\n", agreements(), accepted, KEY, NOW, True) == "2 OK"
    assert seen == [("ks2-amelia", "ks2", 3, 2026)]


@pytest.mark.parametrize(
    ("change", "fine"),
    [
        (lambda t: t, True),
        (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), False),  # the signature changed
        (lambda t: "Z" + t[1:], False),  # the payload changed
        (lambda t: t.replace(".", ""), False),
        (lambda t: t + "é", False),
        (lambda t: "x" * 5000, False),
    ],
)
def test_a_forged_token_is_refused(change: object, fine: bool) -> None:
    text = make_token(KEY, Token("ks2-amelia", "ks2", 3, 2026, NOW))
    assert (read_token(KEY, change(text), NOW) is not None) is fine  # type: ignore[operator]


def test_a_token_of_another_schools_key_or_too_old_or_from_the_future_is_refused() -> None:
    text = make_token(KEY, Token("ks2-amelia", "ks2", 3, 2026, NOW))
    assert read_token(OTHER_KEY, text, NOW) is None
    assert read_token(KEY, text, NOW + 3600) is not None
    assert read_token(KEY, text, NOW + 3601) is None
    assert read_token(KEY, text, NOW - 61) is None


def test_a_missing_or_broken_file_lets_everyone_through_and_says_so_once(tmp_path: Path) -> None:
    path = tmp_path / "policy-agreements.json"
    log = io.StringIO()
    clock = iter(range(0, 100, 2))
    file = AgreementsFile(path, log, clock=lambda: float(next(clock)))
    assert file.get().users == {}
    assert file.get().users == {}
    assert log.getvalue().count("cannot read it") == 1
    path.write_text("{not json")
    assert file.get().users == {}
    assert "not JSON" in log.getvalue()
    path.write_text(json.dumps(FILE))
    assert file.get().users == {"ks2-amelia": "ks2"}


def test_the_helper_answers_squid_line_by_line_and_survives_an_overlong_line(tmp_path: Path) -> None:
    path = tmp_path / "policy-agreements.json"
    path.write_text(json.dumps(FILE))
    spool = tmp_path / "spool"
    record_acceptance(spool / DIRECTORY, AcceptanceRecord(NOW, "other", "ks2", 3, 2026))
    lines = b"1 ks2-amelia -\n2 " + b"x" * (MAX_LINE * 2) + b" -\n3 - -\n"
    out = io.BytesIO()
    assert run_helper(HelperSettings(path, spool, KEY), io.BytesIO(lines), out, io.StringIO()) == 0
    replies = out.getvalue().decode().splitlines()
    assert [r.split(" ")[:2] for r in replies] == [["1", "ERR"], ["2", "OK"], ["3", "OK"]]
    record_acceptance(spool / DIRECTORY, AcceptanceRecord(NOW, "KS2-amelia", "ks2", 3, 2026))
    out = io.BytesIO()
    run_helper(HelperSettings(path, spool, KEY), io.BytesIO(b"4 ks2-amelia -\n"), out, io.StringIO())
    assert out.getvalue() == b"4 OK\n"


def test_the_command_squid_runs_answers_on_its_pipes(tmp_path: Path) -> None:
    key = tmp_path / "key"
    create_key(key, group=None)
    policy = tmp_path / "policy.toml"
    agreements_path(policy).write_text(json.dumps(FILE))
    result = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "squid-agreement", "--policy", str(policy),
         "--spool", str(tmp_path / "spool"), "--block-page-key", str(key)],
        input=b"0 ks2-amelia -\n1 - -\n", capture_output=True, check=False, timeout=60,
        env={**os.environ, "SCHOOLGATE_BLOCK_PAGE_KEY": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[0].startswith("0 ERR message=")
    assert result.stdout.decode().splitlines()[1] == "1 OK"


def test_squid_accepts_the_agreement_lines_after_the_logins_and_before_the_allow(tmp_path: Path) -> None:
    key = tmp_path / "key"
    create_key(key, group=None)
    (tmp_path / "passwords").write_text("")
    text = render(
        settings(
            tmp_path,
            auth=Auth.BASIC,
            passwords=tmp_path / "passwords",
            block_page_key=key,
            agreement=True,
            no_login=["10.9.0.0/16"],
        )
    )
    squid_parses(text, tmp_path)
    access = [line for line in text.splitlines() if line.startswith("http_access")]
    deny = "http_access deny schoolgate_networks schoolgate_login !schoolgate_agreed"
    assert access.index(deny) == access.index("http_access allow schoolgate_networks schoolgate_login") - 1
    assert access.index(deny) > access.index(
        "http_access allow schoolgate_networks schoolgate_block_page schoolgate_block_page_port"
    )
    assert access.index(deny) > access.index("http_access allow schoolgate_networks schoolgate_no_login")
    assert "deny_info http://127.0.0.1:8080/agreement?t=%o&u=%u schoolgate_agreed" in text
    assert " negative_ttl=0 %#un " in text and "squid-agreement --agreements" in text


def test_the_agreement_needs_logins_the_key_and_the_spool(tmp_path: Path) -> None:
    key = tmp_path / "key"
    create_key(key, group=None)
    with pytest.raises(ConfigError, match="logins"):
        render(settings(tmp_path, block_page_key=key, agreement=True))
    with pytest.raises(ConfigError, match="key"):
        render(settings(tmp_path, auth=Auth.BASIC, passwords=tmp_path / "p", agreement=True))


def test_before_sending_a_user_to_the_page_the_file_is_read_as_it_is_now() -> None:
    calls: list[bool] = []
    accepted_now = Agreements(2026, agreements().versions, {})

    def current(fresh: bool) -> Agreements:
        calls.append(fresh)
        return accepted_now if fresh else agreements()  # the last reading still lists the user

    assert answer("1 ks2-amelia -\n", current, never, KEY, NOW, True) == "1 OK"
    assert calls == [False, True]
    calls.clear()
    assert answer("2 stranger -\n", current, never, KEY, NOW, True) == "2 OK"
    assert calls == [False]  # someone not listed costs no look at the file
