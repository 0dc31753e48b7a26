"""A filter change request, end to end, with the real components.

A KS2 pupil's Chromium, through the real Squid (its helper reading the policy the web application
publishes), is sent to the real block page server for a games site the school blocks for KS2, and asks
for a review there. The worker stores the review as a request. The online safety coordinator, in
Chromium, approves it for the pupil's class for one hour; the approval publishes the policy's requests
section, and the same page now loads through Squid. An hour later (the helper's clock moved on by
libfaketime: nothing else changes) the page is blocked again without anyone publishing, and the
worker, at that later time, republishes the policy without the grant. The request, its grant, the
versions, the audit trail and the week's monitoring report show all of it; the block page tells the
pupil what became of the request.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, ProxySettings, ViewportSize, expect
from pytest_django import Settings

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestSource, RequestState
from schoolgate.web.filterrequests.models import FilterRequest, Grant
from schoolgate.web.monitoring import weekly
from schoolgate.web.people.choices import IdentityKind, KeyStage
from schoolgate.web.policy import actions as policy_actions
from schoolgate.web.policy.choices import MemberKind, Verdict
from schoolgate.web.policy.models import FilterGroup, GroupMember, PolicyVersion, Rule
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
from tests.web.browser.conftest import first_login
from tests.web.factories import PASSWORD, Cast, group, identity, person, year

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

PUPIL_LOGIN = "ks2-amelia"
SITE = "coolmaths.test"
WAIT_MS = 30_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
LATER = timedelta(hours=1, minutes=5)


@dataclass
class Gateway:
    """Squid (its helper's clock movable), the block page server, and where they read and write."""

    port: int
    work: Path
    spool: Path
    clock: Path  # libfaketime's offset file for the helper: "+0", then "+3900"
    block_page: str
    squid: subprocess.Popen[bytes]
    page_server: subprocess.Popen[bytes]
    page_log: Path

    def move_helper_clock(self, by: timedelta) -> None:
        self.clock.write_text(f"+{int(by.total_seconds())}\n")

    def page_server_said(self) -> str:
        return self.page_log.read_text(errors="replace") if self.page_log.exists() else ""


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


@pytest.fixture
def gateway(origin: Origin, settings: Settings, cast: Cast) -> Iterator[Gateway]:  # noqa: F811
    """The web application's policy and index in a directory Squid's user can read; Squid configured
    for them, its helper run under libfaketime; the block page server on blocked.test."""
    if not FAKETIME.exists():
        pytest.fail("libfaketime is not installed: `scripts/setup.sh faketime` installs it")
    restore: list[tuple[Path, int]] = []
    work = Path(tempfile.mkdtemp(prefix="schoolgate-requests-"))
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
        clock = work / "clock"
        clock.write_text("+0\n")
        os.chmod(clock, 0o644)
        key = work / "block-page.key"
        run_schoolgate("block-page", "key", str(key))
        os.chmod(key, 0o644)
        passwords = write_passwords(work / "passwords")
        hosts = work / "hosts"
        hosts.write_text(f"127.0.0.1 {SITE} school.test\n{BLOCK_PAGE_ADDRESS} blocked.test\n")
        os.chmod(hosts, 0o644)
        block_page = "http://blocked.test/blocked"
        _school_policy(cast, block_page)  # published: the snapshot and the index exist from here
        snapshot = policy_actions.snapshot_path(cast.a)
        os.chmod(settings.INDEX_PATH, 0o644)
        port = free_port()
        conf = work / "squid.conf"
        run_schoolgate(
            "squid", "config", "--policy", str(snapshot), "--index", settings.INDEX_PATH,
            "--spool", str(spool), "--listen", f"127.0.0.1:{port}", "--network", "127.0.0.0/8",
            "--auth", "basic", "--passwords", str(passwords), "--state-dir", str(state),
            "--hosts-file", str(hosts), "--children", "1", "--concurrency", "4",
            "--block-page-key", str(key), "--output", str(conf),
        )  # fmt: skip
        # The helper, and only the helper, under libfaketime: its clock follows the offset file.
        text = conf.read_text()
        moved = (
            f"url_rewrite_program /usr/bin/env LD_PRELOAD={FAKETIME} FAKETIME_TIMESTAMP_FILE={clock} "
            "FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 "
        )
        assert text.count("\nurl_rewrite_program ") == 1
        conf.write_text(text.replace("\nurl_rewrite_program ", "\n" + moved))
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
        said = lambda: page_log.read_text(errors="replace")  # noqa: E731
        if not wait_until_serving(page_server, lambda: "serving" in said() and connects(), 30, 0.05):
            pytest.fail(f"the block page server did not start:\n{said()}")
        yield Gateway(port, work, spool, clock, block_page, squid, page_server, page_log)
    finally:
        stop(page_server, seconds=15)
        stop_squid(squid)
        for directory, mode in reversed(restore):
            os.chmod(directory, mode)
        shutil.rmtree(work, ignore_errors=True)


def _school_policy(cast: Cast, block_page: str) -> None:
    """Northfield's policy through the editor's actions: KS2 pupils (Year 5) may not visit the games
    site; published by the network manager."""
    school = cast.a
    settings_row = policy_actions.ensure_policy(school)
    settings_row.block_page = block_page
    settings_row.save()
    y5 = year(school, "Year 5", KeyStage.KS2, 5)
    amelia = person(school, first_name="Amelia", last_name="Hughes", year_group=y5,
                    class_group=group(school, "5B", y5))  # fmt: skip
    identity(school, person=amelia, value=PUPIL_LOGIN, kind=IdentityKind.USERNAME)
    ks2 = FilterGroup.objects.create(school=school, name="ks2", default=Verdict.ALLOW)
    GroupMember.objects.create(school=school, group=ks2, kind=MemberKind.YEAR_GROUP, year_group=y5)
    rule = Rule.objects.create(school=school, position=1, name="no games sites", everyone=False,
                               domains=[SITE], action=Verdict.BLOCK)  # fmt: skip
    rule.groups.add(ks2)
    draft = policy_actions.check_draft(school)
    assert draft.ok, draft.problems
    policy_actions.do_publish(
        school, actor=cast.nina, reason="the school's first policy", expected_sha256=draft.rendered.sha256
    )


def _worker_once(gateway: Gateway, cast: Cast) -> None:
    call_command("worker", once=True, spool=[str(gateway.spool)], school=[cast.a.slug], keep_spool=True,
                 interval=1.0, batch=5000)  # fmt: skip


def _page(browser: Browser) -> Page:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def _shows_the_site(page: Page, url: str) -> bool:
    page.goto(url, wait_until="load")
    return page.url == url


def test_a_pupils_review_is_approved_for_the_class_for_an_hour_and_ends_by_itself(
    gateway: Gateway,
    origin: Origin,  # noqa: F811
    cast: Cast,
    live_server: Any,
    settings: Settings,
) -> None:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = str(live_server)
    settings.SITE_URL = base
    school = cast.a
    url = f"http://{SITE}:{origin.port}/fractions"
    through = ProxySettings(server=f"http://127.0.0.1:{gateway.port}", username=PUPIL_LOGIN,
                            password=PASSWORDS[PUPIL_LOGIN])  # fmt: skip

    # 1. The pupil is blocked, and asks for a review on the block page.
    with chromium(proxy=through) as browser:
        pupil = _page(browser)
        pupil.goto(url)
        assert pupil.url.startswith(gateway.block_page + "?"), pupil.url
        assert SITE in pupil.inner_text("main")
        pupil.get_by_label("Why do you need this page?").fill("Our maths lesson uses its fraction games.")
        pupil.get_by_role("button", name="Send the request").click()
        pupil.wait_for_url(re.compile(r".*\?sent=1$"))

    # 2. The worker stores it as a request.
    deadline = time.monotonic() + 30
    while not FilterRequest.objects.filter(school=school).exists():
        assert time.monotonic() < deadline, "the review never became a request"
        _worker_once(gateway, cast)
        time.sleep(0.5)
    request = FilterRequest.objects.get(school=school)
    assert (request.kind, request.source, request.state) == (
        RequestKind.REVIEW,
        RequestSource.BLOCK_PAGE,
        RequestState.NEW,
    )
    assert request.site == SITE and request.asked_by_person is not None
    assert request.decided_verdict == "block" and request.decided_rule

    # 3. The coordinator approves it for the pupil's class, for one hour.
    with chromium() as browser:
        page = _page(browser)
        first_login(page, base, "olu", PASSWORD)
        page.goto(f"{base}/requests/{request.number}/")
        main = page.locator("main")
        expect(main).to_contain_text(SITE)
        expect(main).to_contain_text("Our maths lesson uses its fraction games.")
        approve_for_class_one_hour(page)
        expect(page.locator("main")).to_contain_text("Approved")

    request.refresh_from_db()
    assert request.state == RequestState.APPROVED and request.decided_by == cast.olu
    grant = Grant.objects.get(request=request)
    assert grant.audience == Audience.CLASS and grant.class_group is not None
    assert grant.expires is not None
    assert timedelta(minutes=55) <= grant.expires - timezone.now() <= timedelta(minutes=61)
    version = PolicyVersion.objects.filter(school=school).order_by("-number").first()
    assert version is not None and request.version == version
    assert f"request = {request.number}" in version.text

    with chromium(proxy=through) as browser:
        pupil = _page(browser)
        # 4. The same page now loads through Squid (the helper reads the new policy within seconds).
        _until(lambda: _shows_the_site(pupil, url), 30, "the approved site never loaded")
        assert "origin says hello" in pupil.inner_text("body")

        # 5. An hour later (the helper's clock): blocked again, without anyone publishing.
        versions = PolicyVersion.objects.filter(school=school).count()
        gateway.move_helper_clock(LATER)
        _until(lambda: not _shows_the_site(pupil, url), 30, "the grant never ended at the gateway")
        assert pupil.url.startswith(gateway.block_page + "?")
        assert PolicyVersion.objects.filter(school=school).count() == versions

    # 6. The worker, at that later time, republishes without the grant.
    with time_machine.travel(timezone.now() + LATER, tick=True):
        _worker_once(gateway, cast)
        latest = PolicyVersion.objects.filter(school=school).order_by("-number").first()
        assert latest is not None and latest.number == versions + 1
        assert latest.published_by is None and latest.publisher == policy_actions.EXPIRY_PUBLISHER
        assert f"request = {request.number}" not in latest.text

    # 7. The records: the request's decision and grant in the audit trail, each publish with its
    # reason, and the week's monitoring report counting the request.
    trail = AuditEntry.objects.filter(school=school)
    assert trail.filter(object_type="filterrequests.filterrequest", object_id=str(request.pk)).exists()
    assert trail.filter(object_type="filterrequests.grant", object_id=str(grant.pk), action="create").exists()
    publishes = list(trail.filter(action="publish").order_by("at").values_list("reason", flat=True))
    assert len(publishes) == 3  # the school's own, the approval's, the expiry's
    assert f"Request {request.number}" in publishes[1] or f"request {request.number}" in publishes[1]
    assert publishes[2].startswith("Expired")
    asked = timezone.localtime(request.asked_at).date()
    report = weekly.make_report(school, asked - timedelta(days=asked.weekday()))
    counts = {row["kind"]: row for row in report.figures["requests"]}
    assert (counts["review"]["asked"], counts["review"]["approved"]) == (1, 1)


def approve_for_class_one_hour(page: Page) -> None:
    """The coordinator's decision on the request page: for the pupil's class, for one lesson."""
    page.get_by_label("A class", exact=True).check()
    page.get_by_label("The class").select_option(label="5B")
    page.get_by_label(re.compile(r"^One lesson")).check()
    page.get_by_role("button", name="Show whom it reaches").click()
    expect(page.locator("main")).to_contain_text("Who it reaches")
    page.get_by_role("button", name="Approve", exact=True).click()
