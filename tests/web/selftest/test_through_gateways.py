"""The self-test against a real Squid (configured by `schoolgate squid config`, with Schoolgate's helper)
and a real unbound (configured by `schoolgate unbound config`, with the zones of `schoolgate rpz
export`), both started once for this module. A school whose filtering holds passes; the same school
with a rule that lets gambling through for pupils, or with safe search off, fails, and the failure is a
high alert told to the DSL and to the network manager.

Nothing leaves this machine: Squid's hosts file points every probed name at the loopback (an allowed
site then answers 503, which is "let through"), and unbound forwards to a second unbound that answers
the probed names from local data. The pupils' test address is 127.0.0.10, the staff's 127.0.0.20.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from schoolgate.web.accounts.choices import Role
from schoolgate.web.core.actions import Operator
from schoolgate.web.monitoring import notify
from schoolgate.web.monitoring.choices import AlertKind, Severity
from schoolgate.web.monitoring.models import Alert
from schoolgate.web.policy.models import FilterGroup
from schoolgate.web.selftest import actions, runner, schedule
from schoolgate.web.selftest.choices import Gateway, Outcome, Profile, RunState, YouTubeExpected
from schoolgate.web.selftest.models import SelfTestRun, SelfTestSettings, TestIdentity
from schoolgate.web.selftest.probes import Endpoint
from schoolgate.web.selftest.transport import ask_proxy
from schoolgate.web.tenancy.models import School
from tests.gateways.dns.conftest import require_unbound, start_unbound, stop_unbound
from tests.gateways.squid.conftest import (
    SQUID,
    SQUID_USER,
    _let_proxy_user_run_python,
    start_squid,
    stop_squid,
)
from tests.school import compile_index, run_schoolgate
from tests.servers import free_port, write_upstream_unbound
from tests.web.conftest import Mailbox
from tests.web.factories import make_user

PUPIL_ADDRESS = "127.0.0.10"
STAFF_ADDRESS = "127.0.0.20"
LOGINS = {"test-pupil": "pupil-pw", "test-staff": "staff-pw"}
BLOCK_PAGE = "http://blocked.test/blocked"
# Every name a probe asks for, and the names safe search and YouTube are answered through.
NAMES = [
    "iwf-test.example", "bet365.com", "pornhub.com", "nordvpn.com", "dns.google", "school.test",
    "use-application-dns.net", "www.google.com", "forcesafesearch.google.com", "www.bing.com",
    "strict.bing.com", "www.youtube.com", "restrict.youtube.com", "restrictmoderate.youtube.com",
]  # fmt: skip


def policy_text(*, gambling_for_pupils: bool = False, safe_search: bool = True) -> str:
    """The test school's policy: pupils have adult content, gambling, VPNs and DoH blocked, safe search
    and YouTube's strict restriction; staff only what is illegal; the curriculum is open to everyone.
    The broken versions let gambling through for pupils (a rule above the blocks), or turn pupils'
    safe search off."""
    letting = (
        """
[[rules]]
name = "gambling lesson (a mistake)"
groups = ["pupils"]
categories = ["gambling"]
action = "allow"
"""
        if gambling_for_pupils
        else ""
    )
    return f"""
schema_version = 1

[school]
name = "Self-test Primary"
timezone = "Europe/London"
block_page = "{BLOCK_PAGE}"

[lists.iwf]
format = "domains"
path = "iwf-test.txt"
locked = true

[lists.adult]
format = "domains"
path = "adult.txt"

[lists.gambling]
format = "domains"
path = "gambling.txt"

[lists.vpn]
format = "domains"
path = "vpn.txt"

[lists.doh]
format = "domains"
path = "doh.txt"

[groups.default]
default = "block"

[groups.pupils]
default = "allow"
safe_search = {"true" if safe_search else "false"}
youtube = "strict"

[groups.staff]
default = "allow"
safe_search = false
youtube = "moderate"

[[identities]]
group = "pupils"
users = ["test-pupil"]

[[identities]]
group = "pupils"
networks = ["{PUPIL_ADDRESS}/32"]
label = "pupils' test address"

[[identities]]
group = "staff"
users = ["test-staff"]

[[identities]]
group = "staff"
networks = ["{STAFF_ADDRESS}/32"]
label = "staff's test address"

[categories.child-abuse]
sources = ["iwf"]
uksic = "illegal"

[categories.adult]
sources = ["adult"]
uksic = "pornography"

[categories.gambling]
sources = ["gambling"]
uksic = "gambling"

[categories.vpn]
sources = ["vpn"]

[categories.doh]
sources = ["doh"]

[sites.curriculum]
domains = ["school.test"]
{letting}
[[rules]]
name = "the curriculum"
sites = ["curriculum"]
action = "allow"

[[rules]]
name = "not for pupils"
groups = ["pupils", "default"]
categories = ["adult", "gambling", "vpn", "doh"]
action = "block"
"""


@dataclass
class Gateways:
    work: Path
    policy: Path
    index: Path
    zones: Path
    proxy: Endpoint
    resolver: Endpoint
    unbound_conf: Path
    unbound_control: Path

    def publish(self, text: str) -> None:
        """What publishing does for the gateways: the snapshot (which the Squid helper reloads by
        itself), the zones, and unbound told to read them."""
        temporary = self.policy.with_suffix(".tmp")
        temporary.write_text(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, self.policy)
        run_schoolgate(
            "rpz", "export", "--policy", self.policy, "--index", self.index, "--out", self.zones, "--quiet"
        )
        run_schoolgate(
            "unbound", "reload", "--conf", self.unbound_conf, "--control", self.unbound_control,
            "--zones", self.zones,
        )  # fmt: skip

    def wait_for_proxy(self, url: str, user: str, blocked: bool) -> None:
        """Until the helper has read the new snapshot (it looks at most every two seconds)."""
        deadline = time.monotonic() + 30
        while True:
            answer = ask_proxy(self.proxy, url, user=user, password=LOGINS[user], timeout=10)
            if (answer.status == 302 and answer.location.startswith(BLOCK_PAGE)) == blocked:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the Squid helper did not take up the new policy: {url} gave {answer}")
            time.sleep(0.2)


def _write_lists(work: Path) -> None:
    lists = {
        "iwf-test.txt": "# stand-in: reserved names only\niwf-test.example\n",
        "adult.txt": "pornhub.com\n",
        "gambling.txt": "bet365.com\n",
        "vpn.txt": "nordvpn.com\n",
        "doh.txt": "dns.google\n",
    }
    for name, text in lists.items():
        (work / name).write_text(text)
        os.chmod(work / name, 0o644)


@pytest.fixture(scope="module")
def gateways() -> Iterator[Gateways]:
    if not Path(SQUID).exists():
        pytest.fail("Squid is not installed: `scripts/setup.sh squid-openssl` installs it")
    require_unbound()
    restore: list[tuple[Path, int]] = []
    work = Path(tempfile.mkdtemp(prefix="schoolgate-selftest-"))
    squid = upstream = unbound = None
    try:
        _let_proxy_user_run_python(restore)
        os.chmod(work, 0o755)
        _write_lists(work)
        policy, index, zones = work / "policy.toml", work / "lists.sgidx", work / "zones"
        policy.write_text(policy_text())
        os.chmod(policy, 0o644)
        compile_index(policy, index)
        os.chmod(index, 0o644)
        run_schoolgate("rpz", "export", "--policy", policy, "--index", index, "--out", zones, "--quiet")
        # unbound: the internet stand-in, then the school's resolver in front of it.
        upstream_port = free_port(udp=True)
        records = [f"{name}. 60 IN A 192.0.2.{n}" for n, name in enumerate(NAMES, start=1)]
        write_upstream_unbound(work / "upstream.conf", "127.0.0.1", upstream_port, records)
        upstream = start_unbound(work / "upstream.conf", upstream_port, work / "upstream.log")
        dns_port = free_port(udp=True)
        conf, control = work / "unbound.conf", work / "unbound.ctl"
        run_schoolgate(
            "unbound", "config", "--policy", policy, "--zones", zones,
            "--listen", f"127.0.0.1@{dns_port}", "--network", "127.0.0.0/8",
            "--forward", f"127.0.0.1@{upstream_port}", "--control", control, "--log", work / "unbound.log",
            "--pidfile", work / "unbound.pid", "--user", "", "--output", conf,
        )  # fmt: skip
        with conf.open("a") as text:  # unbound answers names under test. itself (RFC 6761)
            text.write('\nserver:\n    local-zone: "test." nodefault\n')
        unbound = start_unbound(conf, dns_port, work / "unbound.log")
        # Squid, with Schoolgate's helper and the two test logins.
        spool, state = work / "spool", work / "state"
        spool.mkdir(mode=0o777)
        os.chmod(spool, 0o777)
        state.mkdir()
        shutil.chown(state, SQUID_USER, SQUID_USER)
        key = work / "block-page.key"
        run_schoolgate("block-page", "key", str(key))
        os.chmod(key, 0o644)
        passwords = work / "passwords"
        for user, password in LOGINS.items():
            run_schoolgate("squid", "passwd", passwords, user, stdin=password + "\n")
        hosts = work / "hosts"
        hosts.write_text("127.0.0.1 " + " ".join(NAMES) + "\n127.0.0.5 blocked.test\n")
        os.chmod(hosts, 0o644)
        proxy_port = free_port()
        squid_conf = work / "squid.conf"
        run_schoolgate(
            "squid", "config", "--policy", policy, "--index", index, "--spool", spool,
            "--listen", f"127.0.0.1:{proxy_port}", "--network", "127.0.0.0/8", "--auth", "basic",
            "--passwords", passwords, "--state-dir", state, "--hosts-file", hosts,
            "--children", "2", "--block-page-key", key, "--output", squid_conf,
        )  # fmt: skip
        squid = start_squid(squid_conf, state, proxy_port)
        yield Gateways(
            work, policy, index, zones, Endpoint("127.0.0.1", proxy_port), Endpoint("127.0.0.1", dns_port),
            conf, control,
        )  # fmt: skip
    finally:
        stop_squid(squid)
        stop_unbound(unbound)
        stop_unbound(upstream)
        for directory, mode in reversed(restore):
            os.chmod(directory, mode)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def school(gateways: Gateways, db: None) -> Iterator[School]:
    """The school, its self-test set up, its one published policy the gateways' snapshot."""
    made = School.objects.create(name="Self-test Primary", slug="selftest")
    pupils = FilterGroup.objects.create(school=made, name="pupils")
    staff = FilterGroup.objects.create(school=made, name="staff")
    SelfTestSettings.objects.create(
        school=made, proxy=str(gateways.proxy), resolver=str(gateways.resolver), curriculum="curriculum"
    )
    TestIdentity.objects.create(
        school=made, group=pupils, profile=Profile.PUPILS, youtube=YouTubeExpected.STRICT,
        user_name="test-pupil", password=LOGINS["test-pupil"], address=PUPIL_ADDRESS,
    )  # fmt: skip
    TestIdentity.objects.create(
        school=made, group=staff, profile=Profile.STAFF, youtube=YouTubeExpected.MODERATE,
        user_name="test-staff", password=LOGINS["test-staff"], address=STAFF_ADDRESS,
    )  # fmt: skip
    schedule.forget()
    with override_settings(POLICY_PATH=gateways.policy, INDEX_PATH=gateways.index):
        yield made


def run_selftest(school: School) -> SelfTestRun:
    return runner.run_now(actions.do_request_run(school, actor=Operator("the tests")))


def not_as_expected(run: SelfTestRun) -> set[tuple[str, str, str]]:
    return {(r.group, r.gateway, r.key) for r in run.results.exclude(outcome=Outcome.PASSED)}


def test_a_school_whose_filtering_holds_passes_every_check(gateways: Gateways, school: School) -> None:
    run = run_selftest(school)
    assert run.state == RunState.PASSED, [(r.label, r.gateway, r.target, r.actual) for r in run.results.all()]
    assert run.problem == ""
    assert run.alert is None
    checked = {(r.group, r.gateway, r.key) for r in run.results.all()}
    for key in ("locked", "adult", "gambling", "vpn", "doh", "curriculum"):
        assert ("pupils", Gateway.PROXY, key) in checked
        assert ("pupils", Gateway.DNS, key) in checked
    for key in ("canary", "google", "bing", "youtube"):
        assert ("pupils", Gateway.DNS, key) in checked
    # Staff are checked for what is illegal, the canary, YouTube and the curriculum, not for gambling.
    assert {key for group, _, key in checked if group == "staff"} == {
        "locked",
        "canary",
        "youtube",
        "curriculum",
    }
    gambling = run.results.get(group="pupils", gateway=Gateway.PROXY, key="gambling")
    assert gambling.actual == "sent to the block page"
    youtube = run.results.get(group="staff", key="youtube")
    assert "restrictmoderate.youtube.com" in youtube.actual
    assert run.policy_sha256 and run.configuration["identities"][0]["group"] == "pupils"
    assert "password" not in str(run.configuration)


def test_gambling_let_through_for_pupils_fails_and_alerts_the_dsl_and_network_manager(
    gateways: Gateways, school: School, smtp: Mailbox
) -> None:
    dsl = make_user("dee", school, Role.DSL)
    manager = make_user("nick", school, Role.NETWORK_MANAGER)
    teacher = make_user("tess", school, Role.TEACHER)
    for user in (dsl, manager, teacher):
        user.email = f"{user.username}@selftest.example"
        user.save()
    gateways.publish(policy_text(gambling_for_pupils=True))
    try:
        gateways.wait_for_proxy("http://bet365.com/", "test-pupil", blocked=False)
        # The worker's way: queued, then moved on a few probes a round until it is finished.
        actions.do_request_run(school, actor=manager)
        rounds = 0
        while SelfTestRun.objects.filter(school=school, finished_at__isnull=True).exists():
            schedule.run_due(timezone.now(), budget=0.0)  # one probe a round
            rounds += 1
            assert rounds < 200
        run = SelfTestRun.objects.get(school=school)
        assert rounds == run.total  # one answer a round: the progress the run page shows
        assert run.state == RunState.FAILED
        assert not_as_expected(run) == {
            ("pupils", Gateway.PROXY, "gambling"),
            ("pupils", Gateway.DNS, "gambling"),
        }
        alert = Alert.objects.get(school=school, kind=AlertKind.SELFTEST)
        assert run.alert == alert and alert.severity == Severity.HIGH
        assert "Gambling (bet365.com)" in alert.explanation
        assert notify.send_due(timezone.now()) == 1
        told = {address for recipients, _ in smtp.received for address in recipients}
        assert told == {"dee@selftest.example", "nick@selftest.example"}
        assert smtp.link("nick@selftest.example") == "http://testserver/selftest/"
        # A second failing run brings the same open alert up to date instead of raising another.
        again = run_selftest(school)
        assert again.state == RunState.FAILED and again.alert == alert
        assert Alert.objects.filter(school=school, kind=AlertKind.SELFTEST).count() == 1
    finally:
        gateways.publish(policy_text())
        gateways.wait_for_proxy("http://bet365.com/", "test-pupil", blocked=True)


def test_safe_search_off_for_pupils_fails(gateways: Gateways, school: School) -> None:
    gateways.publish(policy_text(safe_search=False))
    try:
        run = run_selftest(school)
        assert run.state == RunState.FAILED
        assert not_as_expected(run) == {("pupils", Gateway.DNS, "google"), ("pupils", Gateway.DNS, "bing")}
        google = run.results.get(group="pupils", key="google")
        assert google.expected == "answered by forcesafesearch.google.com"
        assert Alert.objects.filter(school=school, kind=AlertKind.SELFTEST, severity=Severity.HIGH).exists()
    finally:
        gateways.publish(policy_text())


def test_a_wrong_test_password_is_a_check_not_made(gateways: Gateways, school: School) -> None:
    # From an address the policy knows, Squid asks no login (the address says who it is): the staff's
    # identity here is its user name alone, with the wrong password, and no address for DNS.
    TestIdentity.objects.filter(school=school, group__name="staff").update(password="wrong", address=None)
    run = run_selftest(school)
    assert run.state == RunState.INCOMPLETE
    assert '"staff" has no test address, so it is not checked through DNS' in run.problem
    assert not run.results.filter(group="staff", gateway=Gateway.DNS).exists()
    errors = run.results.filter(outcome=Outcome.ERROR)
    assert {(r.group, r.gateway) for r in errors} == {("staff", Gateway.PROXY)}
    assert all("check the group's test user name and password" in r.actual for r in errors)
    assert not run.results.filter(outcome=Outcome.FAILED).exists()
