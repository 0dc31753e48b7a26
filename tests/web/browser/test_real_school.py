"""A school that is not the demo, from nothing, as a network manager or an IT company sets one up:
every step a real `schoolgate` process on a real SQLite database in a fresh directory, and the head's
first login in Chromium.

The operator makes the school with `schoolgate school create` (its one-time password printed once) and
makes its headteacher the network manager too, as in a small primary. The head logs in: the
authenticator app is set up (a code computed here) and their own password chosen before any records
page opens. They import pupils with their network user names from the MIS export, and publish the
default policy untouched; the page says the locked lists are not installed. The lists are compiled,
and `schoolgate check` blocks a gambling site for an imported pupil by their user name."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, Page, expect

from tests.web.browser.conftest import DESKTOP

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.sqlite_only("its own machine, on SQLite, through the real command: the same in both runs"),
]

SCHOOLGATE = [str(Path(sys.executable).with_name("schoolgate"))]  # the installed command itself
NEW_PASSWORD = "tall-oak-hill-ladders-2027"
GAMBLING = "http://0-casino.info/"  # in the gambling list shipped with Schoolgate (its UT1 sample)
PUPILS = """\
UPN,Legal Surname,Legal Forename,Preferred Forename,Date of Birth,Year,Reg Group,User name
A123456789012,Okoro,Adaeze,,14/03/2016,Year 5,5H,a.okoro
B123456789012,Lindqvist,Freya,,02/11/2015,Year 5,5H,f.lindqvist
C123456789012,Hassan,Omar,,30/06/2016,Year 4,4K,o.hassan
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The `schoolgate` command of one deployment: its data directory, and nothing of the test's own
    settings (the test process runs Django with tests.web_settings)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "var"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
        self.env.update(
            SCHOOLGATE_DATA=str(self.data),
            SCHOOLGATE_HTTPS="0",  # plain HTTP on loopback, as the demo
            SCHOOLGATE_ALLOWED_HOSTS="127.0.0.1",
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SCHOOLGATE, *args],
            check=False,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, (
            f"schoolgate {' '.join(args)}: {done.returncode}\n{done.stdout}{done.stderr}"
        )
        return done.stdout

    @property
    def policy(self) -> Path:
        return self.data / "policy.toml"


@pytest.fixture
def server(tmp_path: Path) -> Server:
    return Server(tmp_path)


@pytest.fixture
def site(server: Server) -> Iterator[str]:
    """`schoolgate web serve` on a free loopback port, until the test ends."""
    server.ok("web", "manage", "migrate", "--verbosity", "0")
    port = _free_port()
    process = subprocess.Popen(
        [*SCHOOLGATE, "web", "serve", "--listen", f"127.0.0.1:{port}", "--no-migrate"],
        cwd=server.root,
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (
                    f"web serve stopped: {process.stderr.read() if process.stderr else ''}"
                )
                assert time.monotonic() < deadline, "web serve did not start listening in 60 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _code(key: bytes) -> str:
    return str(TOTP(key).token()).zfill(6)


def _first_login(page: Page, base: str, username: str, password: str) -> None:
    """Password; then the authenticator app, set up by its key (nothing else opens first); then the
    person's own password (nothing else opens first either)."""
    page.goto(f"{base}/people/")
    page.wait_for_url(re.compile(r".*/login/\?next=/people/$"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/login/set-up/$"))
    page.goto(f"{base}/people/")  # no page opens before the app is set up
    page.wait_for_url(re.compile(r".*/login/\?next=/people/$"))
    page.goto(f"{base}/login/set-up/")
    key = base64.b32decode(page.get_by_test_id("totp-key").inner_text().replace(" ", "").strip())
    page.get_by_label("6-digit code").fill(_code(key))
    page.get_by_role("button", name="Finish and log in").click()
    page.wait_for_url(re.compile(r".*/my-password/$"))
    page.goto(f"{base}/people/")  # nor before their own password is chosen
    page.wait_for_url(re.compile(r".*/my-password/$"))
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/$"))


def test_a_new_school_from_nothing_to_a_blocked_gambling_site(
    server: Server, site: str, browser: Browser, tmp_path: Path
) -> None:
    # The operator makes the school, its policy and its head's login.
    made = server.ok(
        "school", "create", "Oak Hill Primary School", "--urn", "123456", "--trust", "Green Lane Trust",
        "--head", "Jane Smith", "--reason", "joining Schoolgate",
    )  # fmt: skip
    assert "Made Oak Hill Primary School (URN 123456" in made
    assert 'locked list "iwf" not installed' in made and "IWF member" in made
    shown = r"First login: (\S+) .*One-time password, shown only now; give it to them in person: (\S+)"
    found = re.search(shown, made, re.DOTALL)
    assert found is not None, made
    username, password = found.groups()
    assert username == "j.smith"

    # Again: nothing changes, and no password is printed.
    again = server.ok(
        "school", "create", "Oak Hill Primary School", "--urn", "123456", "--head", "Jane Smith"
    )
    assert "exists already: nothing changed" in again and "password:" not in again
    refused = server.run("school", "create", "Oak Hill Academy", "--urn", "123456")
    assert refused.returncode == 2 and "URN 123456 is Oak Hill Primary School's already" in refused.stderr
    assert "Traceback" not in refused.stderr

    # A small primary: the head is its network manager too (only the operator gives a head more roles).
    server.ok("web", "manage", "give_role", username, "network-manager", "--reason", "runs the school's IT")

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _first_login(page, site, username, password)
    expect(page.get_by_role("navigation").first).to_contain_text("People")

    # The MIS export, with each pupil's network user name in a column.
    export = tmp_path / "pupils.csv"
    export.write_text(PUPILS)
    page.goto(f"{site}/people/import/")
    page.get_by_label("Pupils").set_input_files(str(export))
    page.get_by_label("From a column of the files", exact=False).check()
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("3 new network user names, 0 kept as they are")).to_be_visible()
    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_load_state()
    assert "mported" in page.content(), page.content()[-3000:]

    # The default policy, published as it comes; the page says what the locked lists lack.
    page.goto(f"{site}/policy/publish/")
    expect(page.get_by_role("heading", name="Locked lists not installed")).to_be_visible()
    assert "The draft has no problems" in page.content()
    page.get_by_label("Why").fill("Our first policy: Schoolgate's default")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    context.close()
    published = server.policy.read_text()
    assert '"a.okoro"' in published and 'path = "lists/iwf.txt"' in published

    checked = server.ok("policy", "check", str(server.policy))
    assert "no problems" in checked and 'warning: locked list "terrorism" not installed' in checked
    server.ok("lists", "compile", "--policy", str(server.policy))
    decided = server.run(
        "check", "--policy", str(server.policy), "--user", "a.okoro", "--exit-status", GAMBLING
    )
    assert decided.returncode == 1, decided.stdout + decided.stderr
    assert "blocked" in decided.stdout and "gambling" in decided.stdout and "pupils" in decided.stdout
    help_ = server.ok(
        "check", "--policy", str(server.policy), "--user", "a.okoro", "https://www.childline.org.uk/"
    )
    assert "allowed" in help_ and "UK education and child support" in help_
    assert server.ok("audit", "verify").startswith("audit trail intact")


def test_before_the_database_is_migrated_it_says_what_to_run(server: Server) -> None:
    done = server.run(
        "school", "create", "Oak Hill Primary School", "--urn", "123456", "--head", "Jane Smith"
    )
    assert done.returncode == 2
    assert "run `schoolgate web manage migrate` first" in done.stderr and "Traceback" not in done.stderr
