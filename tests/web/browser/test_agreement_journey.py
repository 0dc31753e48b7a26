"""Accepting the agreement at the proxy, end to end, with the real components.

A KS2 pupil who has not accepted this school year's agreement logs in to the real Squid (Basic) in
Chromium. Squid's agreement helper (reading the agreements file the web application wrote) answers ERR,
and Squid sends the browser to the agreement page on the real block page server before the page asked
for. The pupil presses "I agree", is thanked and follows the link on to the page (a local origin),
which loads at once: the helper sees the acceptance the page left in the spool. The worker's ingest then
records the acceptance against the pupil and writes the file again without them, and the next request
still goes straight through.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, ProxySettings, expect
from pytest_django import Settings

from schoolgate.activity.agreements import DIRECTORY
from schoolgate.web.agreements import proxy
from schoolgate.web.agreements.actions import AGREEMENT_PAGE
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.models import Acceptance, AgreementVersion
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.models import Person
from schoolgate.web.policy import actions as policy_actions
from tests.chromium import chromium
from tests.gateways.squid.conftest import (
    BLOCK_PAGE_ADDRESS,
    PASSWORDS,
    SQUID_USER,
    Origin,
    _let_proxy_user_run_python,
    origin,  # noqa: F401 (the fixture: an origin that answers for any host)
    start_squid,
    stop_squid,
    write_passwords,
)
from tests.school import run_schoolgate
from tests.servers import accepts_tcp, free_port, stop, wait_until_serving
from tests.web.browser.test_requests_journey import PUPIL_LOGIN, _school_policy
from tests.web.factories import Cast

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

ALLOWED = "library.test"  # a site the policy lets KS2 visit
WAIT_MS = 30_000
TEXT = (
    "I will only use the internet when a teacher says I can.\n\n"
    "- I will tell a teacher if I see something that upsets me.\n"
    "- I will keep my password secret."
)


@dataclass
class Gateway:
    port: int
    spool: Path
    agreements: Path


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


@pytest.fixture
def gateway(origin: Origin, settings: Settings, cast: Cast) -> Iterator[Gateway]:  # noqa: F811
    """The school's policy, its agreement for KS2 and the agreements file, Squid with logins, the
    filter and the agreement helper, and the block page server on blocked.test."""
    restore: list[tuple[Path, int]] = []
    work = Path(tempfile.mkdtemp(prefix="schoolgate-agreement-"))
    squid = page_server = None
    try:
        _let_proxy_user_run_python(restore)
        os.chmod(work, 0o755)
        settings.POLICY_PATH = str(work / "policy.toml")
        settings.INDEX_PATH = str(work / "lists.sgidx")
        spool = work / "spool"
        spool.mkdir()
        os.chmod(spool, 0o777)
        state = work / "state"
        state.mkdir()
        shutil.chown(state, SQUID_USER, SQUID_USER)
        key = work / "block-page.key"
        run_schoolgate("block-page", "key", str(key))
        os.chmod(key, 0o644)
        passwords = write_passwords(work / "passwords")
        hosts = work / "hosts"
        hosts.write_text(f"127.0.0.1 {ALLOWED} school.test\n{BLOCK_PAGE_ADDRESS} blocked.test\n")
        os.chmod(hosts, 0o644)
        block_page = "http://blocked.test/blocked"
        _school_policy(cast, block_page)
        snapshot = policy_actions.snapshot_path(cast.a)
        os.chmod(settings.INDEX_PATH, 0o644)
        shutil.chown(snapshot, group=SQUID_USER)  # the agreements file takes the snapshot's group
        AgreementVersion.objects.create(
            school=cast.a, audience=Audience.KS2, number=1, title="Our rules for the internet", text=TEXT,
            in_force_from=date(2020, 9, 1), written_at=timezone.now(),
        )  # fmt: skip
        assert proxy.publish(cast.a) is True
        agreements = proxy.path_for(cast.a)
        port = free_port()
        conf = work / "squid.conf"
        run_schoolgate(
            "squid", "config", "--policy", str(snapshot), "--index", settings.INDEX_PATH,
            "--spool", str(spool), "--listen", f"127.0.0.1:{port}", "--network", "127.0.0.0/8",
            "--auth", "basic", "--passwords", str(passwords), "--state-dir", str(state),
            "--hosts-file", str(hosts), "--children", "1", "--concurrency", "4",
            "--block-page-key", str(key), "--agreement", "--output", str(conf),
        )  # fmt: skip
        squid = start_squid(conf, state, port)
        page_log = work / "block-page.log"
        with page_log.open("wb") as stderr:
            page_server = subprocess.Popen(
                [
                    sys.executable, "-m", "schoolgate.cli", "block-page", "serve",
                    "--listen", f"{BLOCK_PAGE_ADDRESS}:80", "--key", str(key),
                    "--policy", str(snapshot), "--spool", str(spool),
                ],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        connects = accepts_tcp(BLOCK_PAGE_ADDRESS, 80)

        def said() -> str:
            return page_log.read_text(errors="replace")

        def serving() -> bool:
            return "serving" in said() and bool(connects())

        if not wait_until_serving(page_server, serving, 30, 0.05):
            pytest.fail(f"the block page server did not start:\n{said()}")
        yield Gateway(port, spool, agreements)
    finally:
        stop(page_server, seconds=15)
        stop_squid(squid)
        for directory, mode in reversed(restore):
            os.chmod(directory, mode)
        shutil.rmtree(work, ignore_errors=True)


def _page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def test_a_pupil_accepts_the_agreement_once_before_their_first_page(
    gateway: Gateway,
    origin: Origin,  # noqa: F811
    cast: Cast,
) -> None:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    school = cast.a
    amelia = Person.objects.get(school=school, identities__value=PUPIL_LOGIN)
    assert PUPIL_LOGIN in gateway.agreements.read_text()
    url = f"http://{ALLOWED}:{origin.port}/stories?page=2&x=%20y"
    through = ProxySettings(server=f"http://127.0.0.1:{gateway.port}", username=PUPIL_LOGIN,
                            password=PASSWORDS[PUPIL_LOGIN])  # fmt: skip

    with chromium(proxy=through) as browser:
        pupil = _page(browser)
        # 1. The first page asked for: the agreement page instead, with the agreement in plain words.
        pupil.goto(url)
        assert pupil.url.startswith("http://blocked.test/agreement?t="), pupil.url
        main = pupil.locator("main")
        expect(main).to_contain_text("Before you use the internet")
        expect(main).to_contain_text("Our rules for the internet")
        expect(main).to_contain_text("I will keep my password secret.")
        # 2. "I agree": thanked, with a link on to the page asked for, which loads at once.
        pupil.get_by_role("button", name="I agree").click()
        expect(pupil.get_by_role("heading", name="Thank you")).to_be_visible()
        with pupil.expect_navigation():
            pupil.get_by_role("link", name=f"Go on to {ALLOWED}").click()
        assert pupil.url == url, pupil.url
        assert "origin says hello" in pupil.inner_text("body")
        assert list((gateway.spool / DIRECTORY).glob("*.json")), "the acceptance is in the spool"

        # 3. The worker records it against the pupil and writes the file again without them.
        _until(lambda: _worker_once(gateway, cast) and _accepted(amelia), 30,
               "the acceptance never reached the database")  # fmt: skip
        acceptance = Acceptance.objects.get(person=amelia)
        assert acceptance.how == HowAccepted.PROXY and acceptance.recorded_by is None
        assert acceptance.school_year == school_year(timezone.localdate())
        assert PUPIL_LOGIN not in gateway.agreements.read_text()
        assert not list((gateway.spool / DIRECTORY).glob("*.json")), "the spool file is removed"
        entry = AuditEntry.objects.get(object_type="agreements.acceptance", object_id=str(acceptance.pk))
        assert entry.actor is None and entry.actor_label == AGREEMENT_PAGE

        # 4. The next request goes straight through.
        other = f"http://{ALLOWED}:{origin.port}/poems"
        pupil.goto(other)
        assert pupil.url == other
        assert "origin says hello" in pupil.inner_text("body")


def _worker_once(gateway: Gateway, cast: Cast) -> bool:
    call_command("worker", once=True, spool=[str(gateway.spool)], school=[cast.a.slug], keep_spool=True,
                 interval=1.0, batch=5000)  # fmt: skip
    return True


def _accepted(person: Person) -> bool:
    return Acceptance.objects.filter(person=person).exists()
