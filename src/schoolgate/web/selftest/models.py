"""What the self-test keeps, per school.

- `SelfTestSettings`: where the school's proxy and resolver are, when the daily run is, which site list
  of the policy is the curriculum that must stay open, and the locked lists' test addresses.
- `TestIdentity`: for one filter group, who the self-test pretends to be: a test login for the proxy
  and/or an address in the group's range, and what the school means the group's filtering to do.
- `SelfTestRun`: one run, kept for good as evidence (the DfE standards ask that filtering is checked and
  the checks kept): when, who asked, the policy version and its sha256, the configuration it ran with
  (never a password), its plan of probes, its progress and its outcome.
- `SelfTestResult`: one probe's expected and actual answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from schoolgate.web.audit.models import Audited
from schoolgate.web.policy.models import FilterGroup, PolicyVersion
from schoolgate.web.selftest.choices import Gateway, Outcome, Profile, RunState, Trigger, YouTubeExpected
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet


class SelfTestSettings(Audited, SchoolScoped):
    """The school's self-test: its gateways, its schedule and the sites it checks. One row per school."""

    daily = models.BooleanField("run every day", default=False)
    hour = models.PositiveSmallIntegerField(
        "at this hour",
        default=6,
        help_text="In the school's time zone, 0 to 23: before the school day is best",
    )
    proxy = models.CharField(
        "web proxy",
        max_length=300,
        blank=True,
        help_text="The school's Squid, as host:port (for example 10.0.0.2:3128); empty: not checked",
    )
    resolver = models.CharField(
        "DNS resolver",
        max_length=300,
        blank=True,
        help_text="The school's unbound, as host:port (for example 10.0.0.2:53); empty: not checked",
    )
    curriculum = models.CharField(
        "curriculum site list",
        max_length=60,
        blank=True,
        help_text="The name of a site list of the policy whose sites must stay open for every group",
    )
    locked_test_addresses = models.TextField(
        "locked lists' test addresses",
        blank=True,
        help_text="The test addresses the IWF and the police give their members, one per line. The "
        "stand-in lists' entries are checked by themselves; a real list's entries never are",
    )

    objects = SchoolQuerySet["SelfTestSettings"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school",), name="selftest_settings_once"),)
        verbose_name = "self-test settings"
        verbose_name_plural = "self-test settings"

    def __str__(self) -> str:
        return "self-test settings"

    def get_absolute_url(self) -> str:
        return reverse("selftest:settings")


class TestIdentity(Audited, SchoolScoped):
    """Who the self-test is when it checks one group: a proxy login that the policy puts in the group
    (a test account made for this and nothing else), and/or an address in the group's range that
    the server running Schoolgate's worker holds (the resolver knows groups by address only)."""

    __test__ = False  # a model, not a test class, whatever pytest makes of its name

    group = models.ForeignKey(FilterGroup, on_delete=models.CASCADE, related_name="+")
    profile = models.CharField("what this group's filtering must do", max_length=8, choices=Profile.choices)
    youtube = models.CharField(
        "YouTube restriction expected", max_length=8, choices=YouTubeExpected.choices, blank=True
    )
    user_name = models.CharField(
        "test user name", max_length=150, blank=True, help_text="A proxy login the policy puts in this group"
    )
    password = models.CharField(
        "its password",
        max_length=200,
        blank=True,
        help_text="Kept so the self-test can log in; never shown again, never in the audit trail",
    )
    address = models.GenericIPAddressField(
        "test address",
        null=True,
        blank=True,
        help_text="An address in the group's range that this server holds; the DNS checks need one",
    )

    audit_exclude = ("password",)

    objects = SchoolQuerySet["TestIdentity"].as_manager()

    class Meta:
        ordering = ("school", "group__name")
        constraints = (
            models.UniqueConstraint(fields=("school", "group"), name="one_test_identity_per_group"),
        )
        verbose_name = "test identity"
        verbose_name_plural = "test identities"

    def __str__(self) -> str:
        return f"test identity of {self.group}"

    def describe(self) -> str:
        """Who it is, in words, without the password."""
        parts = []
        if self.user_name:
            parts.append(f"user {self.user_name}")
        if self.address:
            parts.append(f"address {self.address}")
        return ", ".join(parts) or "nobody (nothing to check with)"

    def get_absolute_url(self) -> str:
        return reverse("selftest:identity", args=[self.pk])


class SelfTestRun(SchoolScoped):
    """One run of the self-test: asked for, worked through by the worker (a few probes a round, so the
    activity keeps flowing), finished. Kept for good; never changed once finished."""

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=RunState.choices, default=RunState.QUEUED)
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    policy_sha256 = models.CharField(max_length=64, blank=True)
    configuration = models.JSONField(default=dict, blank=True, help_text="What it ran with (no passwords)")
    plan = models.JSONField(default=list, blank=True, help_text="Its probes, in order")
    done = models.PositiveIntegerField(default=0, help_text="How many of the probes have an answer")
    problem = models.TextField(blank=True, help_text="Why it could not run, when it could not")
    alert = models.ForeignKey(
        "monitoring.Alert", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = SchoolQuerySet["SelfTestRun"].as_manager()

    class Meta:
        ordering = ("school", "-requested_at", "-id")
        indexes = (models.Index(fields=("state", "requested_at"), name="selftest_runs_waiting"),)

    def __str__(self) -> str:
        return f"self-test of {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return len(self.plan)

    @property
    def finished(self) -> bool:
        return self.state not in (RunState.QUEUED, RunState.RUNNING)

    def get_absolute_url(self) -> str:
        return reverse("selftest:run", args=[self.pk])


class SelfTestResult(models.Model):
    """One probe of a run: what was asked, of which gateway, for which group, what was expected and
    what came back."""

    run = models.ForeignKey(SelfTestRun, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField()
    group = models.CharField(max_length=64)
    gateway = models.CharField(max_length=8, choices=Gateway.choices)
    key = models.CharField(max_length=16)
    label = models.CharField(max_length=200)
    target = models.CharField(max_length=500)
    expected = models.CharField(max_length=200)
    actual = models.CharField(max_length=300)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ("run", "position")
        constraints = (models.UniqueConstraint(fields=("run", "position"), name="one_result_per_probe"),)

    def __str__(self) -> str:
        return f"{self.group} {self.gateway} {self.target}: {self.outcome}"
