"""`schoolgate squid-helper`, the real process fed through pipes as Squid feeds it.

Tables of request lines -> expected answer lines; a small school (lists, policy, compiled index) is
built in a temporary directory with the real `schoolgate lists compile`.
"""

from __future__ import annotations

import os
import re
import resource
import select
import signal
import subprocess
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from schoolgate.activity.spool import read_events
from schoolgate.gateways.blockpage.signing import create_key, load_key, verify
from tests import school as schools
from tests.school import SCHOOLGATE

pytestmark = pytest.mark.timeout(60)

BLOCK_PAGE = "http://block.test/blocked"
FALLBACK_BLOCK_PAGE = "http://127.0.0.1:8080/blocked"
RELOAD_CHECK_SECONDS = 2.0  # the helper looks at its files at most this often

LISTS = {
    "gambling": "bet365.com\ncasino.example\n",
    "games": "games.example\n",
}

HEAD = f"""\
schema_version = 1

[school]
name = "Test School"
timezone = "Europe/London"
block_page = "{BLOCK_PAGE}"

[lists.x]
format = "squidguard"
path = "lists"

[groups.pupils]
default = "allow"

[groups.staff]
default = "allow"

[groups.default]
default = "block"

[[identities]]
group = "pupils"
users = ["Alice", "bob smith"]

[[identities]]
group = "staff"
networks = ["10.0.2.0/24"]

[categories.gambling]
sources = ["x/gambling"]
uksic = "gambling"

[categories.games]
sources = ["x/games"]

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"
"""

ALLOW_THE_REST = """
[[rules]]
name = "everything else"
all_sites = true
action = "allow"
"""

BLOCK_GAMES = """
[[rules]]
name = "no games"
categories = ["games"]
action = "block"
"""

BROKEN = """
[[rules]]
name = "broken"
categories = ["games"]
action = "blok"
"""


class School(schools.School):
    """The school, with the block page key its helper signs with."""

    @property
    def key(self) -> Path:
        return self.root / "block-page.key"

    def helper_args(self, *extra: str, spool: Path | None = None) -> list[str]:
        out = [*SCHOOLGATE, "squid-helper", "--policy", str(self.policy), "--index", str(self.index)]
        out += ["--spool", str(spool)] if spool is not None else ["--no-spool"]
        if "--block-page-key" not in extra:
            out += ["--block-page-key", str(self.key)]
        return [*out, *extra]


def make_school(root: Path) -> School:
    school = School(root)
    school.write_lists(LISTS)
    school.write_policy(HEAD + ALLOW_THE_REST)
    school.compile()
    create_key(school.key)
    return school


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> School:
    """A school the tests only read: compiled once for the module."""
    return make_school(tmp_path_factory.mktemp("school"))


@pytest.fixture
def own_school(tmp_path: Path) -> School:
    """A school this test may change."""
    return make_school(tmp_path / "school")


@dataclass
class Finished:
    answers: list[str]
    stderr: str
    returncode: int


def run_helper(school: School, data: bytes, *args: str, spool: Path | None = None) -> Finished:
    """Feed `data` to a helper, close its input, and collect every answer line."""
    done = subprocess.run(
        school.helper_args(*args, spool=spool),
        input=data,
        capture_output=True,
        timeout=30,
        cwd=school.root,
        check=False,
    )
    out = done.stdout.decode("utf-8", "surrogateescape")
    assert out == "" or out.endswith("\n"), out
    answers = [without_who_and_when(line) for line in out.splitlines()]
    return Finished(answers, done.stderr.decode("utf-8", "replace"), done.returncode)


WHO_AND_WHEN = re.compile(r'&who=[^&"]*&at=[0-9]+(&sig=[A-Za-z0-9_-]+)?(?=")')


def without_who_and_when(answer: str) -> str:
    """An answer without the part of a block page address that changes with the person and the time:
    the tables below compare the rest; the tests of that part are further down."""
    return WHO_AND_WHEN.sub("", answer)


def lines_in(*lines: str | bytes) -> bytes:
    return b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)


def url64(url: str | bytes) -> str:
    raw = url if isinstance(url, bytes) else url.encode()
    return urlsafe_b64encode(raw).rstrip(b"=").decode()


def blocked(query: str, url: str | bytes, channel: str = "", page: str = BLOCK_PAGE) -> str:
    """The url_rewrite answer that sends the browser to the block page."""
    prefix = f"{channel} " if channel else ""
    return f'{prefix}OK status=302 url="{page}?{query}&url64={url64(url)}" schoolgate=block'


def gambling(group: str) -> str:
    """The block page query for rule 1, "no gambling"."""
    return f"reason=rule&group={group}&category=gambling&rule=1"


def games(group: str) -> str:
    """The block page query for rule 2, "no games", once a test has added it."""
    return f"reason=rule&group={group}&category=games&rule=2"


def unreadable(group: str = "default") -> str:
    return f"reason=unparsable-request&group={group}"


NO_POLICY = "reason=no-policy&group=default"


# ---------------------------------------------------------------------------------------------------------
# Answers


ANSWERS = [
    (
        "http://bet365.com/x 10.0.0.1/- alice GET",
        blocked(gambling("pupils"), "http://bet365.com/x"),
    ),
    ("http://example.org/ 10.0.0.1/- alice GET", "OK schoolgate=allow"),
    (
        "http://www.casino.example/p?q=1 10.0.2.5/- - GET",
        blocked(gambling("staff"), "http://www.casino.example/p?q=1"),
    ),
    ("http://example.org/ 10.0.2.5/staff-pc - POST", "OK schoolgate=allow"),
    (
        "bet365.com:443 10.0.0.9/- bob%20smith CONNECT",
        blocked(gambling("pupils"), "bet365.com:443"),
    ),
    ("http://bet365.com/ 10.0.0.9/- - GET", blocked(gambling("default"), "http://bet365.com/")),
    ("http://games.example/ 10.0.0.9/- - GET myip=10.0.0.254 myport=3128", "OK schoolgate=allow"),
]


def test_it_answers_every_line_in_order(school: School) -> None:
    finished = run_helper(school, lines_in(*(line for line, _ in ANSWERS)))
    assert finished.answers == [answer for _, answer in ANSWERS]
    assert finished.returncode == 0
    assert finished.stderr == ""


def test_it_echoes_channel_ids_whatever_their_order(school: School) -> None:
    requests = [
        (
            "0 http://bet365.com/ 10.0.0.1/- alice GET",
            blocked(gambling("pupils"), "http://bet365.com/", "0"),
        ),
        ("7 http://example.org/ 10.0.0.1/- alice GET", "7 OK schoolgate=allow"),
        (
            "3 http://casino.example/ 10.0.2.5/- - GET",
            blocked(gambling("staff"), "http://casino.example/", "3"),
        ),
        ("12 http://example.org/a 10.0.2.5/- - GET", "12 OK schoolgate=allow"),
        ("1 http://example.org/b 10.0.2.5/- - GET", "1 OK schoolgate=allow"),
        (
            "3 http://example.org/c 10.0.2.5/- - GET",
            "3 OK schoolgate=allow",
        ),  # a channel reused once its answer is out
        ("9 \x01\x02 10.0.0.1/- - GET", blocked(unreadable(), "\x01\x02", "9")),
    ]
    finished = run_helper(school, lines_in(*(line for line, _ in requests)))
    assert finished.answers == [answer for _, answer in requests]


def test_concurrency_on_takes_the_first_field_as_the_channel_even_alone(school: School) -> None:
    finished = run_helper(
        school, lines_in("4", "5 http://example.org/ 10.0.0.1/- alice GET"), "--concurrency", "on"
    )
    assert finished.answers == [blocked(unreadable(), "", "4"), "5 OK schoolgate=allow"]


def test_concurrency_off_never_echoes_a_channel(school: School) -> None:
    finished = run_helper(school, lines_in("http://bet365.com/ 10.0.0.1/- alice GET"), "--concurrency", "off")
    assert finished.answers == [blocked(gambling("pupils"), "http://bet365.com/")]


LONG_URL = b"http://example.org/" + b"a" * 65536
LONG_BLOCKED_URL = b"http://bet365.com/" + b"a" * 65536


def test_every_awkward_line_gets_exactly_one_answer_and_the_helper_goes_on(school: School) -> None:
    requests: list[tuple[bytes, str]] = [
        (b"", blocked(unreadable(), "")),
        (b"http://example.org/1 10.0.0.1/- alice GET", "OK schoolgate=allow"),
        (b"\x01\x02 ]]] %%% !!", blocked(unreadable(), "\x01\x02")),
        (
            b"http://bet365.com/2 10.0.0.1/- alice GET",
            blocked(gambling("pupils"), "http://bet365.com/2"),
        ),
        (LONG_URL + b" 10.0.0.1/- alice GET", "OK schoolgate=allow"),
        # the block page carries the requested URL cut to 2048 characters; the spool keeps it whole
        (LONG_BLOCKED_URL + b" 10.0.0.1/- alice GET", blocked(gambling("pupils"), LONG_BLOCKED_URL[:2048])),
        (
            b"http://\xff\xfe.example/ 10.0.0.1/- alice GET",
            blocked(unreadable("pupils"), b"http://\xff\xfe.example/"),
        ),
        (
            b"http://bet\x00365.com/ 10.0.0.1/- alice GET",
            blocked(unreadable("pupils"), ""),
        ),
        (
            b"http://bet365.com/crlf 10.0.0.1/- alice GET\r",
            blocked(gambling("pupils"), "http://bet365.com/crlf"),
        ),
        (b"\r", blocked(unreadable(), "")),
        (b"http://example.org/3 10.0.0.1/- alice GET", "OK schoolgate=allow"),
    ]
    finished = run_helper(school, b"".join(line + b"\n" for line, _ in requests))
    assert len(finished.answers) == len(requests)
    for (line, expected), answer in zip(requests, finished.answers, strict=True):
        assert answer == expected, line[:80]
    assert finished.returncode == 0
    assert "Traceback" not in finished.stderr


def test_a_line_over_a_mebibyte_is_answered_once_with_its_channel(school: School) -> None:
    huge = b"7 http://example.org/" + b"a" * (2 * 1024 * 1024) + b" 10.0.0.1/- alice GET"
    finished = run_helper(school, huge + b"\n8 http://example.org/ 10.0.0.1/- alice GET\n")
    assert len(finished.answers) == 2
    assert finished.answers[0].startswith("7 OK status=302 "), finished.answers[0][:100]
    assert query_of(finished.answers[0].removeprefix("7 "))["reason"] == "unparsable-request"
    assert finished.answers[1] == "8 OK schoolgate=allow"


def test_a_last_line_without_a_newline_is_answered_at_the_end_of_input(school: School) -> None:
    finished = run_helper(
        school, b"http://example.org/ 10.0.0.1/- alice GET\n7 http://bet365.com/ 10.0.0.1/- alice GET"
    )
    assert finished.answers == ["OK schoolgate=allow", blocked(gambling("pupils"), "http://bet365.com/", "7")]


def test_a_block_page_address_says_who_and_when_and_is_signed(school: School) -> None:
    before = int(time.time())
    done = subprocess.run(
        school.helper_args(),
        input=lines_in("http://bet365.com/x 10.0.0.1/- alice GET", "7 http://bet365.com/y 10.0.0.9/- - GET"),
        capture_output=True,
        timeout=30,
        cwd=school.root,
        check=True,
    )
    first, second = done.stdout.decode().splitlines()
    key = load_key(school.key)
    for answer, who in ((first, "alice"), (second, "10.0.0.9")):
        query = urlsplit(answer.split('url="')[1].removesuffix('" schoolgate=block')).query
        fields = {k: v[0] for k, v in parse_qs(query).items()}
        assert fields["who"] == who  # the user name, else the device's address
        assert before <= int(fields["at"]) <= time.time()
        assert verify(key, query)
        # A pupil who edits the address to blame someone else breaks the signature.
        assert not verify(key, query.replace(f"who={who}", "who=mr.patel"))
        assert not verify(key, re.sub("group=[^&]*", "group=staff", query))
    assert not verify(b"another school's key.............", query)


def test_without_a_key_the_addresses_are_unsigned_and_the_helper_says_so(school: School) -> None:
    finished = run_helper(
        school, lines_in("http://bet365.com/x 10.0.0.1/- alice GET"), "--block-page-key", ""
    )
    assert finished.returncode == 2
    assert "block page key" in finished.stderr
    done = subprocess.run(
        [
            *SCHOOLGATE,
            "squid-helper",
            "--policy",
            str(school.policy),
            "--index",
            str(school.index),
            "--no-spool",
        ],
        input=lines_in("http://bet365.com/x 10.0.0.1/- alice GET"),
        capture_output=True,
        timeout=30,
        cwd=school.root / "lists",  # no var/block-page.key here
        check=True,
        env={k: v for k, v in os.environ.items() if k != "SCHOOLGATE_BLOCK_PAGE_KEY"},
    )
    assert "&who=alice&at=" in done.stdout.decode()
    assert "&sig=" not in done.stdout.decode()
    assert "not signed" in done.stderr.decode()


def test_a_key_file_that_is_not_a_key_is_a_clear_error(school: School, tmp_path: Path) -> None:
    bad = tmp_path / "key"
    bad.write_text("not a key\n")
    finished = run_helper(school, b"", "--block-page-key", str(bad))
    assert finished.returncode == 2
    assert f"{bad} is not a block page key" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_when_squid_goes_away_the_helper_stops_quietly(school: School, tmp_path: Path) -> None:
    """Squid stopped, or its worker restarted: the helper's answers have nowhere to go."""
    spool = tmp_path / "spool"
    helper = subprocess.Popen(
        school.helper_args(spool=spool),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=school.root,
    )
    assert helper.stdout is not None
    helper.stdout.close()  # nobody reads the answers
    _, stderr = helper.communicate(lines_in("http://bet365.com/gone 10.0.0.1/- alice GET"), timeout=30)
    assert helper.returncode == 0
    assert stderr.decode() == "schoolgate squid-helper: Squid closed the connection; stopping\n"
    [event] = [event for file in sorted(spool.glob("events-*")) for event in read_events(file)]
    assert event["url"] == "http://bet365.com/gone"  # decided, so recorded


def test_no_input_no_answer(school: School) -> None:
    finished = run_helper(school, b"")
    assert finished.answers == []
    assert finished.returncode == 0


ACL_ANSWERS = [
    (
        "http%3A%2F%2Fbet365.com%2Fx%3Fq%3D1 10.0.0.1 alice GET",
        'ERR tag="pupils" message="blocked: gambling"',
    ),
    ("http%3A%2F%2Fexample.org%2F 10.0.2.5 - GET", 'OK tag="staff"'),
    ("3 bet365.com:443 10.0.0.9 bob%20smith CONNECT", '3 ERR tag="pupils" message="blocked: gambling"'),
    ("4 http%3A%2F%2Fexample.org%2F 10.0.0.9 - GET", '4 OK tag="default"'),
    ("", 'ERR tag="default" message="blocked: the address could not be read"'),
    # Squid's "-" for a value it does not have (the site name of a TLS hello without one): unreadable.
    ("5 - 10.0.2.5 - CONNECT", '5 ERR tag="staff" message="blocked: the address could not be read"'),
]


def test_acl_mode_answers_with_the_group_and_a_message(school: School) -> None:
    finished = run_helper(school, lines_in(*(line for line, _ in ACL_ANSWERS)), "--mode", "acl")
    assert finished.answers == [answer for _, answer in ACL_ANSWERS]


def query_of(answer: str) -> dict[str, str]:
    assert answer.startswith('OK status=302 url="'), answer
    assert answer.endswith('" schoolgate=block'), answer
    url = answer.removeprefix('OK status=302 url="').removesuffix('" schoolgate=block')
    query = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


@pytest.mark.parametrize(
    "url",
    [
        "http://bet365.com/",
        "https://bet365.com/a%22b/c'd?q=%C3%A9&x=1&y=a+b",
        "http://casino.example/<script>alert(1)</script>",
        "http://bet365.com/école/ünïcode",
    ],
)
def test_the_block_page_url_says_what_was_blocked_why_and_for_whom(school: School, url: str) -> None:
    finished = run_helper(school, lines_in(f"{url} 10.0.0.1/- alice GET"))
    [answer] = finished.answers
    query = query_of(answer)
    assert query.keys() == {"reason", "group", "category", "rule", "url64"}
    assert (query["reason"], query["group"], query["category"], query["rule"]) == (
        "rule",
        "pupils",
        "gambling",
        "1",
    )
    assert urlsafe_b64decode(query["url64"] + "==").decode() == url


def test_block_page_option_overrides_the_policy(school: School) -> None:
    page = "https://filter.school.test/why?lang=en"
    finished = run_helper(school, lines_in("http://bet365.com/ 10.0.0.1/- alice GET"), "--block-page", page)
    assert finished.answers == [
        'OK status=302 url="https://filter.school.test/why?lang=en&reason=rule&group=pupils&category=gambling'
        f'&rule=1&url64={url64("http://bet365.com/")}" schoolgate=block'
    ]


def test_a_block_page_that_cannot_go_into_an_answer_is_refused_at_start(school: School) -> None:
    finished = run_helper(
        school, lines_in("http://bet365.com/ 10.0.0.1/- alice GET"), "--block-page", 'http://b.test/a "b"'
    )
    assert finished.returncode == 2
    assert finished.answers == []
    assert finished.stderr == (
        "schoolgate: --block-page 'http://b.test/a \"b\"': give an http:// or https:// URL without spaces\n"
    )


# ---------------------------------------------------------------------------------------------------------
# Failing closed


def test_without_an_index_it_blocks_everything_and_says_why(school: School, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sgidx"
    finished = run_helper(
        school,
        lines_in("http://example.org/ 10.0.2.5/- - GET", "", "5 http://example.org/ 10.0.0.1/- alice GET"),
        "--index",
        str(missing),
    )
    assert len(finished.answers) == 3
    assert [query_of(answer.removeprefix("5 "))["reason"] for answer in finished.answers] == ["no-policy"] * 3
    assert finished.answers[2].startswith("5 OK status=302 ")
    assert f"cannot open the list index {missing}" in finished.stderr
    assert "blocking every request until it is fixed (failing closed)" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert finished.returncode == 0


def test_with_a_broken_policy_it_blocks_everything_and_names_each_problem(
    school: School, tmp_path: Path
) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text(HEAD + BROKEN, encoding="utf-8")
    finished = run_helper(
        school, lines_in("http://example.org/ 10.0.2.5/- - GET", "\xff garbage"), "--policy", str(broken)
    )
    assert finished.answers == [
        blocked(NO_POLICY, "http://example.org/", page=FALLBACK_BLOCK_PAGE),
        blocked(NO_POLICY, "\xff".encode(), page=FALLBACK_BLOCK_PAGE),
    ]
    action_line = (HEAD + BROKEN).splitlines().index('action = "blok"') + 1
    assert (
        f'{broken}:{action_line}: rules[2].action: "blok" is not one of "allow", "block" '
        '(did you mean "block"?)' in finished.stderr
    )
    assert "failing closed" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_in_acl_mode_failing_closed_says_no_policy_is_loaded(school: School, tmp_path: Path) -> None:
    finished = run_helper(
        school,
        lines_in("http%3A%2F%2Fexample.org%2F 10.0.2.5 - GET", "2 x 10.0.2.5 - GET"),
        "--mode",
        "acl",
        "--index",
        str(tmp_path / "nowhere.sgidx"),
    )
    assert finished.answers == [
        'ERR tag="default" message="blocked: no filtering policy is loaded"',
        '2 ERR tag="default" message="blocked: no filtering policy is loaded"',
    ]


# ---------------------------------------------------------------------------------------------------------
# Reloading


class Helper:
    """A running helper, asked one line at a time as Squid does."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd
        )
        self._pending = b""

    def ask(self, line: str, timeout: float = 15.0) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no answer to {line!r} within {timeout} s"
            chunk = os.read(fd, 65536)
            assert chunk, f"the helper closed its output; it said: {self.finish().stderr}"
            self._pending += chunk
        answer, _, self._pending = self._pending.partition(b"\n")
        return without_who_and_when(answer.decode())

    def hang_up(self) -> None:
        self.process.send_signal(signal.SIGHUP)

    def finish(self) -> Finished:
        out, err = self.process.communicate(timeout=15)
        rest = (self._pending + out).decode()
        return Finished(rest.splitlines(), err.decode(), self.process.returncode)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_helper() -> Iterator[type[Helper]]:
    started: list[Helper] = []

    class Started(Helper):
        def __init__(self, args: list[str], cwd: Path) -> None:
            super().__init__(args, cwd)
            started.append(self)

    yield Started
    for helper in started:
        helper.kill()


GAMES_REQUEST = "http://games.example/ 10.0.0.1/- alice GET"
GAMES_BLOCKED = blocked(games("pupils"), "http://games.example/")


def test_sighup_reloads_the_policy_and_the_lists(own_school: School, start_helper: type[Helper]) -> None:
    helper = start_helper(own_school.helper_args(), own_school.root)
    assert helper.ask(GAMES_REQUEST) == "OK schoolgate=allow"
    own_school.write_policy(HEAD + BLOCK_GAMES + ALLOW_THE_REST)
    own_school.compile()
    helper.hang_up()
    assert helper.ask(GAMES_REQUEST) == GAMES_BLOCKED
    assert helper.ask("http://example.org/ 10.0.0.1/- alice GET") == "OK schoolgate=allow"
    finished = helper.finish()
    assert finished.returncode == 0
    assert f"reloaded {own_school.policy} and {own_school.index}" in finished.stderr


def test_a_changed_policy_file_is_picked_up_without_a_signal(
    own_school: School, start_helper: type[Helper]
) -> None:
    helper = start_helper(own_school.helper_args(), own_school.root)
    assert helper.ask(GAMES_REQUEST) == "OK schoolgate=allow"
    own_school.write_policy(HEAD + BLOCK_GAMES + ALLOW_THE_REST)  # the lists are unchanged: no compile
    time.sleep(RELOAD_CHECK_SECONDS + 0.2)  # the check runs when a batch arrives, at most this often
    assert helper.ask(GAMES_REQUEST) == GAMES_BLOCKED
    assert "reloaded" in helper.finish().stderr


def test_a_recompiled_index_is_picked_up_without_a_signal(
    own_school: School, start_helper: type[Helper]
) -> None:
    helper = start_helper(own_school.helper_args(), own_school.root)
    assert helper.ask("http://newbet.example/ 10.0.0.1/- alice GET") == "OK schoolgate=allow"
    own_school.write_lists({"gambling": LISTS["gambling"] + "newbet.example\n"})
    own_school.compile()
    time.sleep(RELOAD_CHECK_SECONDS + 0.2)
    assert helper.ask("http://newbet.example/ 10.0.0.1/- alice GET") == blocked(
        gambling("pupils"), "http://newbet.example/"
    )


def test_a_broken_reload_keeps_the_last_good_policy(own_school: School, start_helper: type[Helper]) -> None:
    helper = start_helper(own_school.helper_args(), own_school.root)
    assert helper.ask(GAMES_REQUEST) == "OK schoolgate=allow"
    own_school.write_policy(HEAD + BROKEN + ALLOW_THE_REST)
    helper.hang_up()
    assert helper.ask(GAMES_REQUEST) == "OK schoolgate=allow"
    assert helper.ask("http://bet365.com/ 10.0.0.1/- alice GET") == blocked(
        gambling("pupils"), "http://bet365.com/"
    )
    own_school.write_policy(HEAD + BLOCK_GAMES + ALLOW_THE_REST)  # fixed: the next reload takes it
    helper.hang_up()
    assert helper.ask(GAMES_REQUEST) == GAMES_BLOCKED
    finished = helper.finish()
    action_line = (HEAD + BROKEN).splitlines().index('action = "blok"') + 1
    assert f'{own_school.policy}:{action_line}: rules[2].action: "blok" is not one of' in finished.stderr
    assert "keeping the last good policy" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_helper_failing_closed_recovers_when_the_index_appears(
    own_school: School, start_helper: type[Helper]
) -> None:
    own_school.index.unlink()
    helper = start_helper(own_school.helper_args(), own_school.root)
    assert query_of(helper.ask("http://example.org/ 10.0.0.1/- alice GET"))["reason"] == "no-policy"
    own_school.compile()
    helper.hang_up()
    assert helper.ask("http://example.org/ 10.0.0.1/- alice GET") == "OK schoolgate=allow"


# ---------------------------------------------------------------------------------------------------------
# The activity spool


def spool_events(spool: Path, suffix: str = ".jsonl") -> list[dict[str, Any]]:
    return [event for file in sorted(spool.glob(f"events-*{suffix}")) for event in read_events(file)]


def test_every_answered_line_is_recorded_with_who_what_where_and_why(school: School, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    requests = [
        b"http://bet365.com/x?q=1 10.0.0.1/pc1.school.lan alice GET",
        b"7 http://example.org/ 10.0.2.5/- - POST",
        b"",
        b"http://\xff.example/ 10.0.0.1/- - GET",
        b"bet365.com:443 10.0.0.9/- bob%20smith CONNECT",
    ]
    started = time.time()
    finished = run_helper(school, b"\n".join(requests) + b"\n", spool=spool)
    assert len(finished.answers) == len(requests)
    assert [f.name.endswith(".jsonl") for f in spool.iterdir()] == [True]  # handed over on exit
    events = spool_events(spool)
    assert len(events) == len(requests)
    stamps = [event.pop("t") for event in events]
    assert all(isinstance(t, float) and started - 1 <= t <= time.time() + 1 for t in stamps)
    assert events[0] == {
        "gw": "squid",
        "user": "alice",
        "ip": "10.0.0.1",
        "device": "pc1.school.lan",
        "method": "GET",
        "url": "http://bet365.com/x?q=1",
        "host": "bet365.com",
        "verdict": "block",
        "reason": "rule",
        "group": "pupils",
        "category": "gambling",
        "source": "x/gambling",
        "entry": "bet365.com",
        "rule": 1,
    }
    assert events[1] == {  # what is not known is left out
        "gw": "squid",
        "ip": "10.0.2.5",
        "method": "POST",
        "url": "http://example.org/",
        "host": "example.org",
        "verdict": "allow",
        "reason": "rule",
        "group": "staff",
        "rule": 2,
    }
    assert (events[2]["url"], events[2]["verdict"], events[2]["reason"]) == (
        "",
        "block",
        "unparsable-request",
    )
    # The byte that was not UTF-8 is written as the lone surrogate it decoded to, and read as U+FFFD,
    # which a database can store (activity.lines).
    assert (events[3]["url"], events[3]["verdict"]) == ("http://\ufffd.example/", "block")
    assert b'"url":"http://\\udcff.example/"' in next(spool.iterdir()).read_bytes()
    assert (events[4]["user"], events[4]["group"], events[4]["url"], events[4]["method"]) == (
        "bob smith",
        "pupils",
        "bet365.com:443",
        "CONNECT",
    )


def test_an_answer_is_only_given_once_its_event_is_in_the_spool(
    school: School, tmp_path: Path, start_helper: type[Helper]
) -> None:
    spool = tmp_path / "spool"
    helper = start_helper(school.helper_args(spool=spool), school.root)
    for n in range(3):
        helper.ask(f"http://example.org/{n} 10.0.0.1/- alice GET")
        assert [event["url"] for event in spool_events(spool, ".jsonl.part")] == [
            f"http://example.org/{k}" for k in range(n + 1)
        ]
    helper.finish()
    assert list(spool.glob("*.part")) == []
    assert len(spool_events(spool)) == 3


def test_a_spool_that_cannot_be_written_never_stops_the_filter(school: School, tmp_path: Path) -> None:
    """The spool's files may grow no bigger than 64 KiB (a write past it fails with EFBIG, as on a full
    disk): every one of 20,000 lines is still answered, and rightly; the helper lives on, and says on
    stderr how many events it could not record."""
    spool = tmp_path / "spool"
    requests, expected = [], []
    for n in range(20_000):
        if n % 3:
            requests.append(f"http://example.org/{n} 10.0.0.1/- alice GET")
            expected.append("OK schoolgate=allow")
        else:
            requests.append(f"http://bet365.com/{n} 10.0.0.1/- alice GET")
            expected.append(blocked(gambling("pupils"), f"http://bet365.com/{n}"))

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    done = subprocess.run(
        school.helper_args(spool=spool),
        input=lines_in(*requests),
        capture_output=True,
        timeout=60,
        cwd=school.root,
        check=False,
        preexec_fn=limit_file_size,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    answers = [without_who_and_when(line) for line in done.stdout.decode().splitlines()]
    assert answers == expected
    assert "Traceback" not in stderr
    assert "schoolgate squid spool: cannot record activity events in" in stderr
    assert "[EFBIG]" in stderr
    said = re.search(r"stopping; ([0-9,]+) activity events could not be recorded", stderr)
    assert said is not None, stderr
    unrecorded = int(said[1].replace(",", ""))
    recorded = spool_events(spool)
    assert unrecorded > 0 and recorded  # some were recorded, then the limit was reached
    assert len(recorded) + unrecorded == len(requests)
    assert stderr.count("\n") < 10  # said once, and a summary at the end: not once per line


def test_lists_outside_the_default_directories_do_not_stop_the_helper(tmp_path: Path) -> None:
    """Only `lists compile` reads the list files, so only it needs SCHOOLGATE_LISTS_ROOT: the helper,
    which Squid starts with its own environment, uses the compiled index and filters as usual."""
    lists, etc, elsewhere = tmp_path / "srv" / "lists", tmp_path / "etc", tmp_path / "elsewhere"
    for directory in (etc, elsewhere):
        directory.mkdir()
    school = School(etc)
    school.write_policy((HEAD + ALLOW_THE_REST).replace('path = "lists"', f'path = "{lists}"'))
    for category, domains in LISTS.items():
        (lists / category).mkdir(parents=True)
        (lists / category / "domains").write_text(domains, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLGATE_")}
    compile_args = [
        *SCHOOLGATE,
        "lists",
        "compile",
        "--policy",
        str(school.policy),
        "--index",
        str(school.index),
    ]
    refused = subprocess.run(
        compile_args, capture_output=True, text=True, cwd=elsewhere, env=environ, check=False
    )
    assert (
        refused.returncode != 0 and "SCHOOLGATE_LISTS_ROOT" in refused.stderr
    )  # compile reads them: refused
    subprocess.run(
        compile_args,
        capture_output=True,
        cwd=elsewhere,
        env={**environ, "SCHOOLGATE_LISTS_ROOT": str(lists)},
        check=True,
    )
    create_key(school.key)
    done = subprocess.run(
        school.helper_args(),
        input=lines_in(
            "http://bet365.com/x 10.0.0.1/- alice GET", "http://example.org/ 10.0.0.1/- alice GET"
        ),
        capture_output=True,
        timeout=30,
        cwd=elsewhere,
        env=environ,
        check=False,
    )
    answers = [without_who_and_when(line) for line in done.stdout.decode().splitlines()]
    assert answers == [blocked(gambling("pupils"), "http://bet365.com/x"), "OK schoolgate=allow"], done.stderr
