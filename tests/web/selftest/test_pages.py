"""The self-test's pages and actions: the settings and test identities (never showing a password),
"run now" (one run at a time), a run's results, and the worker's schedule. No gateways here: a run
with nothing to ask finishes "could not check everything" and alerts (test_through_gateways.py asks
a real Squid and unbound)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.actions import Operator
from schoolgate.web.monitoring.choices import AlertKind, Severity
from schoolgate.web.monitoring.models import Alert
from schoolgate.web.policy.models import FilterGroup
from schoolgate.web.selftest import actions, schedule
from schoolgate.web.selftest.choices import Profile, RunState, Trigger
from schoolgate.web.selftest.models import SelfTestRun, SelfTestSettings, TestIdentity
from tests.web.factories import Cast
from tests.web.pages import logged_in

UTC = dt.UTC


def test_the_network_manager_sets_the_gateways_and_a_bad_address_is_refused(cast: Cast) -> None:
    client = logged_in(cast.nina)
    response = client.post(
        "/selftest/settings/gateways/", {"proxy": "10.0.0.2:99999", "resolver": "10.0.0.2"}
    )
    assert response.status_code == 200
    assert "is not a port number" in response.content.decode()
    response = client.post(
        "/selftest/settings/edit/",
        {"hour": "6", "locked_test_addresses": "https://iwf-test.example/a\nnot an address"},
    )
    assert "Line 2 is not a web address or host name" in response.content.decode()
    response = client.post(
        "/selftest/settings/gateways/", {"proxy": "Proxy.School.Internal", "resolver": "10.0.0.2"}
    )
    assert response.status_code == 302
    # The other form leaves the gateways as they are, whatever is posted with it.
    response = client.post(
        "/selftest/settings/edit/",
        {"proxy": "evil.example", "curriculum": "curriculum", "hour": "5", "daily": "on"},
    )
    assert response.status_code == 302
    chosen = SelfTestSettings.objects.get(school=cast.a)
    assert (chosen.proxy, chosen.resolver, chosen.hour, chosen.daily, chosen.curriculum) == (
        "proxy.school.internal:3128",
        "10.0.0.2:53",
        5,
        True,
        "curriculum",
    )
    page = client.get("/selftest/settings/").content.decode()
    assert "proxy.school.internal:3128" in page and "every day at 05:00" in page
    assert "/selftest/settings/gateways/" in page and "/selftest/identities/new/" in page


def test_a_test_password_is_kept_but_never_shown_or_audited(cast: Cast) -> None:
    pupils = FilterGroup.objects.create(school=cast.a, name="pupils")
    client = logged_in(cast.nina)
    response = client.post(
        "/selftest/identities/new/",
        {"group": pupils.pk, "profile": Profile.PUPILS, "youtube": "strict", "user_name": "test-pupil",
         "new_password": "s3cret-pw", "address": "10.1.0.250"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    identity = TestIdentity.objects.get(school=cast.a)
    assert identity.password == "s3cret-pw"
    page = client.get(f"/selftest/identities/{identity.pk}/").content.decode()
    assert "s3cret-pw" not in page
    # Sent again without a password: the stored one stays.
    client.post(
        f"/selftest/identities/{identity.pk}/",
        {"group": pupils.pk, "profile": Profile.PUPILS, "youtube": "moderate", "user_name": "test-pupil",
         "address": "10.1.0.250"},
    )  # fmt: skip
    identity.refresh_from_db()
    assert (identity.password, identity.youtube) == ("s3cret-pw", "moderate")
    assert not any("s3cret-pw" in str(e.after) + str(e.before) for e in AuditEntry.objects.all())
    assert "user test-pupil, address 10.1.0.250" in client.get("/selftest/settings/").content.decode()


def test_an_identity_needs_a_user_name_or_an_address(cast: Cast) -> None:
    group = FilterGroup.objects.create(school=cast.a, name="staff")
    with pytest.raises(ValidationError, match="Give a test user name, a test address, or both"):
        actions.do_save_identity(
            TestIdentity(school=cast.a, group=group, profile=Profile.STAFF), actor=cast.nina
        )


def test_only_those_who_run_it_may_change_it_or_run_it(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_request_run(cast.a, actor=cast.alice)  # the DSL sees the runs; does not run them
    with pytest.raises(PermissionDenied):
        actions.do_save_settings(SelfTestSettings(school=cast.a), actor=cast.hana)
    page = logged_in(cast.alice).get("/selftest/").content.decode()
    assert "Run the self-test now" not in page


def test_only_the_network_manager_says_where_the_probes_go_and_as_whom(cast: Cast) -> None:
    """The proxy, the resolver and the test logins decide where the test passwords are sent: the
    online safety coordinator runs the self-test and chooses when and what, never these."""
    group = FilterGroup.objects.create(school=cast.a, name="pupils")
    identity = TestIdentity.objects.create(
        school=cast.a, group=group, profile=Profile.PUPILS, user_name="test-pupil", password="pw"
    )
    for change in (
        lambda: actions.do_save_gateways(cast.a, actor=cast.olu, proxy="evil.example", resolver=""),
        lambda: actions.do_save_identity(
            TestIdentity(school=cast.a, group=group, profile=Profile.PUPILS, user_name="x"), actor=cast.olu
        ),
        lambda: actions.do_save_identity(identity, actor=cast.olu, password="other"),
        lambda: actions.do_delete_identity(identity, actor=cast.olu),
    ):
        with pytest.raises(PermissionDenied):
            change()
    client = logged_in(cast.olu)
    for address in (
        "/selftest/settings/gateways/",
        "/selftest/identities/new/",
        f"/selftest/identities/{identity.pk}/",
    ):
        assert client.get(address).status_code == 403
    assert client.post("/selftest/settings/gateways/", {"proxy": "evil.example"}).status_code == 403
    assert client.post(f"/selftest/identities/{identity.pk}/remove/").status_code == 403
    page = client.get("/selftest/settings/").content.decode()
    assert "/selftest/settings/edit/" in page
    assert "/selftest/settings/gateways/" not in page and "/selftest/identities/" not in page
    assert "The network manager adds and changes the test identities" in page
    response = client.post("/selftest/settings/edit/", {"hour": "7", "curriculum": "curriculum"})
    assert response.status_code == 302
    chosen = SelfTestSettings.objects.get(school=cast.a)
    assert (chosen.hour, chosen.curriculum, chosen.proxy) == (7, "curriculum", "")
    identity.refresh_from_db()
    assert identity.password == "pw"


def test_a_new_proxy_forgets_every_stored_test_password(cast: Cast) -> None:
    made = [
        TestIdentity.objects.create(
            school=cast.a, group=FilterGroup.objects.create(school=cast.a, name=name), profile=Profile.PUPILS,
            user_name=f"test-{name}", password=f"{name}-pw",
        )
        for name in ("pupils", "staff")
    ]  # fmt: skip
    elsewhere = TestIdentity.objects.create(
        school=cast.b, group=FilterGroup.objects.create(school=cast.b, name="pupils"), profile=Profile.PUPILS,
        user_name="test-b", password="b-pw",
    )  # fmt: skip
    client = logged_in(cast.nina)

    def passwords() -> list[str]:
        return [TestIdentity.objects.get(pk=i.pk).password for i in (*made, elsewhere)]

    client.post("/selftest/settings/gateways/", {"proxy": "10.0.0.2", "resolver": "10.0.0.2"})
    assert passwords() == ["", "", "b-pw"]  # none was set before: set now, so these were for no proxy
    for identity, password in zip(made, ("pupils-pw", "staff-pw"), strict=True):
        TestIdentity.objects.filter(pk=identity.pk).update(password=password)
    # The same proxy written another way, or a new resolver alone: the passwords stay.
    response = client.post("/selftest/settings/gateways/", {"proxy": "10.0.0.2:3128", "resolver": "10.0.0.3"})
    assert response.status_code == 302
    assert passwords() == ["pupils-pw", "staff-pw", "b-pw"]
    # Another port, then another host: forgotten, and the page says so.
    for proxy in ("10.0.0.2:8080", "proxy.example:8080"):
        response = client.post("/selftest/settings/gateways/", {"proxy": proxy}, follow=True)
        assert passwords() == ["", "", "b-pw"]
        said = response.content.decode()
        assert "As the proxy changed, 2 stored test passwords were forgotten" in said
        for identity, password in zip(made, ("pupils-pw", "staff-pw"), strict=True):
            TestIdentity.objects.filter(pk=identity.pk).update(password=password)
    assert not any("pupils-pw" in str(e.after) + str(e.before) for e in AuditEntry.objects.all())


def test_a_new_test_user_name_forgets_its_password_unless_one_is_given(cast: Cast) -> None:
    pupils = FilterGroup.objects.create(school=cast.a, name="pupils")
    identity = TestIdentity.objects.create(
        school=cast.a, group=pupils, profile=Profile.PUPILS, user_name="test-pupil", password="old-pw"
    )
    client = logged_in(cast.nina)
    form = {"group": pupils.pk, "profile": Profile.PUPILS, "youtube": "strict", "address": ""}
    response = client.post(
        f"/selftest/identities/{identity.pk}/", {**form, "user_name": "other"}, follow=True
    )
    identity.refresh_from_db()
    assert (identity.user_name, identity.password) == ("other", "")
    assert "As its user name changed, the stored password was forgotten" in response.content.decode()
    response = client.post(
        f"/selftest/identities/{identity.pk}/",
        {**form, "user_name": "third", "new_password": "new-pw"},
        follow=True,
    )
    identity.refresh_from_db()
    assert (identity.user_name, identity.password) == ("third", "new-pw")
    assert "the stored password was forgotten" not in response.content.decode()
    # The action itself, whatever the form: a stale copy with the old password is no way round it.
    stale = TestIdentity.objects.get(pk=identity.pk)
    stale.user_name = "fourth"
    actions.do_save_identity(stale, actor=cast.nina)
    assert TestIdentity.objects.get(pk=identity.pk).password == ""


def test_run_now_queues_one_run_for_the_worker_and_refuses_a_second(cast: Cast) -> None:
    client = logged_in(cast.olu)
    response = client.post("/selftest/run/")
    run = SelfTestRun.objects.get(school=cast.a)
    assert response["Location"] == f"/selftest/runs/{run.pk}/"
    assert (run.state, run.trigger, run.requested_by) == (RunState.QUEUED, Trigger.PAGE, cast.olu)
    assert "Waiting for the worker: 0 of 0 checks done" in client.get(response["Location"]).content.decode()
    response = client.post("/selftest/run/", follow=True)
    assert "A self-test is already waiting or running" in response.content.decode()
    assert SelfTestRun.objects.filter(school=cast.a).count() == 1
    assert AuditEntry.objects.filter(object_type="selftest.selftestrun", object_id=str(run.pk)).exists()


def test_a_run_with_nothing_set_up_is_incomplete_and_alerts(cast: Cast) -> None:
    run = actions.do_request_run(cast.a, actor=cast.nina)
    assert schedule.run_due(dt.datetime(2026, 12, 7, 3, 0, tzinfo=UTC)) == 1
    run.refresh_from_db()
    assert run.state == RunState.INCOMPLETE
    assert "the self-test is not set up" in run.problem
    alert = Alert.objects.get(school=cast.a, kind=AlertKind.SELFTEST)
    assert (alert.severity, alert.title) == (Severity.HIGH, "Filtering self-test could not check everything")
    page = logged_in(cast.nina).get(f"/selftest/runs/{run.pk}/").content.decode()
    assert "Could not check everything" in page and "the self-test is not set up" in page


def test_the_daily_run_is_queued_once_a_day_from_the_schools_hour(cast: Cast) -> None:
    schedule.forget()
    SelfTestSettings.objects.create(school=cast.a, daily=True, hour=6)
    winter = dt.datetime(2026, 12, 7, 5, 59, tzinfo=UTC)  # London is on UTC in December
    assert schedule._schedule(winter) == 0
    assert schedule._schedule(winter + dt.timedelta(minutes=1)) == 1
    assert schedule._schedule(winter + dt.timedelta(hours=3)) == 0
    schedule.forget()  # a restarted worker asks the database, which has today's
    assert schedule._schedule(winter + dt.timedelta(hours=4)) == 0
    assert schedule._schedule(winter + dt.timedelta(days=1, minutes=1)) == 1
    runs = SelfTestRun.objects.filter(school=cast.a, trigger=Trigger.SCHEDULE)
    assert runs.count() == 2


def test_a_run_that_breaks_is_closed_and_the_next_schools_run_goes_on(cast: Cast) -> None:
    now = dt.datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    broken = SelfTestRun.objects.create(
        school=cast.a,
        trigger=Trigger.SCHEDULE,
        requested_at=timezone.now() - dt.timedelta(hours=1),
        state=RunState.RUNNING,
        plan=[{"key": "x"}],
    )
    waiting = actions.do_request_run(cast.b, actor=Operator("the tests"))
    assert schedule.run_due(now) == 1
    broken.refresh_from_db()
    assert broken.state == RunState.INCOMPLETE
    assert broken.problem == "the self-test stopped: KeyError"
    assert schedule.run_due(now) == 1
    waiting.refresh_from_db()
    assert waiting.finished_at is not None
