"""The monitoring, end to end, with the real components.

1. Through Squid: a pupil's Chromium searches "how to kill myself" through the real Squid with HTTPS
   interception (the school's CA; the origin poses as Google, as in the interception tests); the
   Squid helper writes the search to the spool; the worker (`schoolgate worker --once`'s command, in
   this process, so that it shares the live server's test database) stores it, the risk phrases flag
   it, the alert rules raise a high alert and the DSL is e-mailed at a real SMTP server (aiosmtpd): a
   mail with no name and no term, only a link. The DSL logs in with Chromium, follows the link, sees
   the term on the alert's page, and one click makes the incident, which links back to the alert.
2. Through DNS: a name on the circumvention list, asked from a pupil's device address through the
   real unbound, is written to the spool by `schoolgate dns-log`, and the worker makes it a
   circumvention alert about that pupil (no browser).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import ProxySettings, ViewportSize, expect
from pytest_django import Settings

from schoolgate.web.incidents.models import Incident
from schoolgate.web.monitoring.choices import AlertKind, AlertState, Subject
from schoolgate.web.monitoring.models import ActivityEvent, Alert
from schoolgate.web.people.choices import IdentityKind, KeyStage
from schoolgate.web.people.models import Person
from tests.chromium import chromium
from tests.gateways.dns.conftest import (
    PUPIL,
    Resolver,
    blocked,
    publish,
    require_unbound,
    start_unbound,
    stop_unbound,
    write_upstream_conf,
)
from tests.gateways.dns.conftest import write_policy as write_dns_policy
from tests.gateways.squid.conftest import PASSWORDS
from tests.gateways.squid.test_interception import BumpingProxy, proxy, tls_origin  # noqa: F401 (fixtures)
from tests.school import run_schoolgate
from tests.servers import free_port
from tests.web.browser.conftest import first_login
from tests.web.conftest import Mailbox
from tests.web.factories import PASSWORD, Cast, group, identity, person, year

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

PUPIL_LOGIN = "ks2-amelia"
TERM = "how to kill myself"
WAIT_MS = 30_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
WORKER_SECONDS = 60  # the bound: the DSL has the e-mail within a minute of the request


def _worker_until(spool: Path, slug: str, done: object, seconds: float = WORKER_SECONDS) -> float:
    """`schoolgate worker --once` (its management command) every second, as the worker's default
    interval does, until `done()` holds; returns the seconds it took."""
    started = time.monotonic()
    while True:
        call_command("worker", once=True, spool=[str(spool)], school=[slug], keep_spool=True, interval=1.0,
                     batch=5000)  # fmt: skip
        if done():  # type: ignore[operator]
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, "the worker did not get there in time"
        time.sleep(1.0)


def _pupil(cast: Cast, **identity_fields: Any) -> Person:
    y5 = year(cast.a, "Year 5", KeyStage.KS2, 5)
    amelia = person(
        cast.a, first_name="Amelia", last_name="Hughes", year_group=y5, class_group=group(cast.a, "5B", y5)
    )
    identity(cast.a, person=amelia, **identity_fields)
    return amelia


def test_a_pupils_search_through_squid_reaches_the_dsl_and_becomes_an_incident(
    proxy: BumpingProxy,  # noqa: F811
    cast: Cast,
    smtp: Mailbox,
    live_server: object,
    settings: Settings,
) -> None:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = str(live_server)
    settings.SITE_URL = base
    amelia = _pupil(cast, value=PUPIL_LOGIN, kind=IdentityKind.USERNAME)
    for user in (cast.alice, cast.dara):
        user.email = f"{user.username}@northfield.example"
        user.save(update_fields=["email"])

    # The pupil searches, through Squid, over HTTPS (the school's CA signs what Squid shows the browser).
    through = ProxySettings(server=f"http://127.0.0.1:{proxy.port}", username=PUPIL_LOGIN,
                            password=PASSWORDS[PUPIL_LOGIN])  # fmt: skip
    with chromium("--disable-background-networking", proxy=through) as browser:
        context = browser.new_context(ignore_https_errors=True, viewport=DESKTOP)
        page = context.new_page()
        response = page.goto(f"https://www.google.com/search?q={TERM.replace(' ', '+')}", timeout=WAIT_MS)
        assert response is not None and response.status == 200
        assert "origin says hello to www.google.com/search" in page.inner_text("body")
        context.close()

    # The worker stores it, flags it, raises the alert and e-mails the DSL and deputy.
    took = _worker_until(
        proxy.spool, cast.a.slug, lambda: any(m["Subject"].startswith("High alert") for _, m in smtp.received)
    )
    assert took < WORKER_SECONDS
    alert = Alert.objects.get(kind=AlertKind.PHRASE)
    assert (alert.severity, alert.area, alert.person, alert.subject) == (
        "high",
        "suicide",
        amelia,
        Subject.PUPIL,
    )
    assert ActivityEvent.objects.filter(alert=alert, term=TERM).exists()
    # (The worker also sends the weekly report when one is due: only the alert's mails are looked at.)
    mails = [(rcpt, m) for rcpt, m in smtp.received if m["Subject"] == "High alert at Northfield Primary"]
    assert sorted(a for rcpt, _ in mails for a in rcpt) == [
        "alice@northfield.example",
        "dara@northfield.example",
    ]
    message = next(m for rcpt, m in mails if "alice@northfield.example" in rcpt)
    said = f"{message['Subject']} {smtp.text(message)}"
    for secret in ("Amelia", "Hughes", PUPIL_LOGIN, "kill", "google"):
        assert secret not in said
    [link] = re.findall(r"https?://\S+", smtp.text(message))
    assert link == f"{base}/monitoring/alerts/{alert.pk}/"

    # The DSL follows the link, sees the term, and makes the incident in one click.
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        first_login(page, base, "alice", PASSWORD)
        page.goto(link)
        main = page.locator("main")
        expect(main).to_contain_text(TERM)
        expect(main).to_contain_text("Amelia Hughes")
        page.get_by_role("button", name="Open an incident").click()
        page.wait_for_url(re.compile(r".*/incidents/[0-9A-Z]{4}-[0-9A-Z]{4}/$"))
        expect(page.locator("main")).to_contain_text(f"Raised from alert {alert.pk}")
        context.close()
    incident = Incident.objects.get()
    alert.refresh_from_db()
    assert (alert.state, alert.incident) == (AlertState.INCIDENT, incident)
    assert incident.involvements.filter(person=amelia, role="subject").exists()
    assert TERM in incident.what_happened


# ------------------------------------------------------------------------------------------------- DNS

VPN_NAME = "vpn-gate.test"


@pytest.fixture
def dns_school() -> Iterator[Resolver]:
    """The DNS tests' school (tests/gateways/dns), with a circumvention category of its own blocked for
    pupils: a real unbound in front of an upstream one, as the DNS tests start them."""
    require_unbound()
    work = Path(tempfile.mkdtemp(prefix="schoolgate-unbound-alerts-"))
    upstream = process = None
    try:
        upstream_port = free_port(udp=True)
        write_upstream_conf(work / "upstream.conf", upstream_port)
        upstream = start_unbound(work / "upstream.conf", upstream_port, work / "upstream.log")
        policy, index, zones = work / "policy.toml", work / "lists.sgidx", work / "zones"
        write_dns_policy(policy)
        (work / "vpn.txt").write_text(f"{VPN_NAME}\n")
        with policy.open("a") as text:
            text.write(
                '\n[lists.vpn]\nformat = "domains"\npath = "vpn.txt"\n\n'
                '[categories.circumvention]\nsources = ["vpn"]\n\n'
                '[[rules]]\nname = "no ways round the filter"\ngroups = ["ks2", "default"]\n'
                'categories = ["circumvention"]\naction = "block"\n'
            )
        publish(policy, index, zones)
        port = free_port(udp=True)
        conf, control, log = work / "unbound.conf", work / "unbound.ctl", work / "unbound.log"
        run_schoolgate(
            "unbound", "config", "--policy", str(policy), "--zones", str(zones),
            "--listen", f"127.0.0.1@{port}", "--network", "127.0.0.0/8",
            "--forward", f"127.0.0.1@{upstream_port}", "--control", str(control), "--log", str(log),
            "--pidfile", str(work / "unbound.pid"), "--user", "", "--output", str(conf),
        )  # fmt: skip
        with conf.open("a") as text:
            text.write('\nserver:\n    local-zone: "test." nodefault\n')
        process = start_unbound(conf, port, log)
        yield Resolver(port, work, policy, index, zones, conf, control, log, process)
    finally:
        stop_unbound(process)
        stop_unbound(upstream)
        shutil.rmtree(work, ignore_errors=True)


def test_a_circumvention_name_asked_through_unbound_becomes_an_alert(
    dns_school: Resolver, cast: Cast, tmp_path: Path
) -> None:
    amelia = _pupil(cast, value=PUPIL, kind=IdentityKind.DEVICE, label="KS2-LAPTOP-3")
    assert blocked(dns_school, VPN_NAME, PUPIL)
    spool = tmp_path / "spool"
    deadline = time.monotonic() + 20
    while True:  # unbound writes its log lines a moment after it answers
        done = run_schoolgate(
            "dns-log", "--log", str(dns_school.log), "--spool", str(spool),
            "--position", str(tmp_path / "pos"),
            "--policy", str(dns_school.policy), "--index", str(dns_school.index),
        )  # fmt: skip
        assert "Traceback" not in done.stderr
        if any(spool.glob("*.jsonl*")) and VPN_NAME in "".join(p.read_text() for p in spool.glob("*.jsonl*")):
            break
        assert time.monotonic() < deadline, done.stderr
        time.sleep(0.2)
    _worker_until(spool, cast.a.slug, lambda: Alert.objects.filter(kind=AlertKind.CIRCUMVENTION).exists(), 30)
    alert = Alert.objects.get(kind=AlertKind.CIRCUMVENTION)
    assert (alert.severity, alert.person, alert.ip, alert.device) == ("medium", amelia, PUPIL, "KS2-LAPTOP-3")
    assert VPN_NAME in alert.explanation
    event = ActivityEvent.objects.get(alert=alert)
    assert (event.gateway, event.blocked, event.category) == ("dns", True, "circumvention")
