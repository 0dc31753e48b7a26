"""The self-test's fixed choices, with the words its pages show for them."""

from __future__ import annotations

from django.db import models


class Profile(models.TextChoices):
    """What the school means a group's filtering to do: the self-test's expectations come from this,
    never from the running policy (a policy that lets gambling through for pupils must fail the test,
    not change what it expects)."""

    PUPILS = (
        "pupils",
        "Pupils: adult content, gambling, VPNs and DNS over HTTPS blocked; safe search locked on",
    )
    STAFF = "staff", "Staff: only illegal content and the Firefox canary must be blocked"


class YouTubeExpected(models.TextChoices):
    STRICT = "strict", "Strict"
    MODERATE = "moderate", "Moderate"
    NOT_CHECKED = "", "Not checked"


class Gateway(models.TextChoices):
    PROXY = "proxy", "Web proxy"
    DNS = "dns", "DNS"


class Outcome(models.TextChoices):
    PASSED = "passed", "As expected"
    FAILED = "failed", "Not as expected"
    ERROR = "error", "Could not be checked"


class RunState(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    INCOMPLETE = "incomplete", "Could not check everything"


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", "Daily schedule"
    PAGE = "page", "Run now (page)"
    COMMAND = "command", "schoolgate selftest"
