"""blockpage/app.py's PolicySource: the block page reads the policy as every gateway does
(policyfile/snapshot.py, without the lists) and notices a change the same way (policyfile/watch.py);
a policy the gateways would refuse is refused here too, and the last good one kept."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from schoolgate.files import write_atomically
from schoolgate.gateways.blockpage import app
from schoolgate.gateways.blockpage.app import PolicySource
from schoolgate.policyfile.errors import PolicyFitError

POLICY = """\
schema_version = 1

[school]
block_page = "http://filter.school.example/blocked"

[groups.default]
default = "block"
"""


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PolicySource, Path, io.StringIO]:
    monkeypatch.setattr(app, "RELOAD_SECONDS", 0.0)  # look at every request
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    log = io.StringIO()
    return PolicySource(path, log), path, log


def test_a_published_change_is_read_at_the_next_request(
    source: tuple[PolicySource, Path, io.StringIO],
) -> None:
    policies, path, log = source
    assert policies.get().block_page == "http://filter.school.example/blocked"
    write_atomically(path, POLICY.replace("filter.school.example", "block.school.example"))
    assert policies.get().block_page == "http://block.school.example/blocked"
    assert log.getvalue() == ""


def test_a_touch_reads_nothing_again(source: tuple[PolicySource, Path, io.StringIO]) -> None:
    policies, path, _ = source
    first = policies.get()
    os.utime(path, ns=(1, 1))
    write_atomically(path, POLICY)  # the same policy published again
    assert policies.get() is first


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda text: text.replace('default = "block"', 'default = "allow"'), 'its default must be "block"'),
        (lambda text: text + "[groups\n", "TOML syntax error"),
    ],
    ids=["a default group that allows", "a syntax error"],
)
def test_a_policy_the_gateways_would_refuse_keeps_the_last_good_one(
    source: tuple[PolicySource, Path, io.StringIO], change: Callable[[str], str], said: str
) -> None:
    policies, path, log = source
    first = policies.get()
    write_atomically(path, change(POLICY))
    assert policies.get() is first
    assert said in log.getvalue() and log.getvalue().endswith("keeping the last good policy\n")
    assert policies.get() is first
    assert log.getvalue().count("keeping the last good policy") == 1  # said once, not at every request


def test_at_start_a_refused_policy_is_the_callers_to_report(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.replace('default = "block"', 'default = "allow"'))
    with pytest.raises(PolicyFitError):
        PolicySource(path, io.StringIO())
