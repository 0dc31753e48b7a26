"""gateways/policy.py: the PolicyHolder every gateway keeps — loaded with the one load-and-compile,
reloaded when the policy or its index really changes (policyfile/watch.py), failing closed without a
good policy and keeping the last good one after a bad change. Real files, a real compiled index."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from schoolgate.files import write_atomically
from schoolgate.gateways.policy import DEFAULT_BLOCK_PAGE, PolicyHolder
from schoolgate.lists.compile import compile_lists
from schoolgate.policyfile.load import load_policy
from tests.policyfile.school import POLICY, compiled_school


@pytest.fixture
def school(tmp_path: Path) -> Path:
    return compiled_school(tmp_path)


def holder_of(school: Path) -> tuple[PolicyHolder, io.StringIO]:
    log = io.StringIO()
    return PolicyHolder(school / "policy.toml", school / "lists.sgidx", log, "test"), log


def test_a_good_policy_is_in_force_at_once_and_said_nothing_about(school: Path) -> None:
    holder, log = holder_of(school)
    assert holder.compiled is not None
    assert holder.block_page == "http://filter.school.example/blocked"
    assert not holder.changed()
    assert log.getvalue() == ""


def test_without_the_index_it_fails_closed_but_knows_the_school_s_block_page(school: Path) -> None:
    (school / "lists.sgidx").unlink()
    holder, log = holder_of(school)
    assert holder.compiled is None
    assert holder.block_page == "http://filter.school.example/blocked"
    assert log.getvalue() == (
        f"schoolgate test: cannot open the list index {school / 'lists.sgidx'}: there is no such file\n"
        "blocking every request until it is fixed (failing closed)\n"
    )


def test_an_unreadable_policy_fails_closed_with_the_default_block_page(school: Path) -> None:
    (school / "policy.toml").write_text("schema_version = 1\n[groups\n")
    holder, log = holder_of(school)
    assert holder.compiled is None and holder.block_page == DEFAULT_BLOCK_PAGE
    assert "the policy has problems:\n" in log.getvalue() and "TOML syntax error" in log.getvalue()


def test_a_published_change_is_noticed_and_loaded(school: Path) -> None:
    holder, log = holder_of(school)
    first = holder.compiled
    write_atomically(school / "policy.toml", POLICY.replace("filter.school", "block.school"))
    assert holder.changed()
    assert holder.reload()
    assert holder.compiled is not first and holder.block_page == "http://block.school.example/blocked"
    assert log.getvalue().endswith(f"reloaded {school / 'policy.toml'} and {school / 'lists.sgidx'}\n")
    assert not holder.changed()


def test_a_touched_policy_or_the_same_policy_published_again_is_no_change(school: Path) -> None:
    holder, _ = holder_of(school)
    os.utime(school / "policy.toml", ns=(1, 1))
    write_atomically(school / "policy.toml", POLICY)
    assert not holder.changed()


def test_a_new_index_is_a_change_and_the_same_index_compiled_again_is_not(school: Path) -> None:
    holder, _ = holder_of(school)
    lists = load_policy(school / "policy.toml").lists
    compile_lists(lists, school / "lists.sgidx", progress=False)  # the same bytes, a new file
    assert not holder.changed()
    (school / "lists" / "gambling" / "domains").write_text("bet365.com\ncasino.example\n")
    compile_lists(lists, school / "lists.sgidx", progress=False)
    assert holder.changed()


def test_a_default_group_that_allows_keeps_the_last_good_policy_and_is_not_retried(school: Path) -> None:
    holder, log = holder_of(school)
    good = holder.compiled
    write_atomically(school / "policy.toml", POLICY.replace('default = "block"', 'default = "allow"'))
    assert holder.changed()
    assert not holder.reload()
    assert holder.compiled is good
    said = log.getvalue()
    assert said.startswith("schoolgate test: the policy does not fit the compiled lists:\n")
    assert 'groups.default.default: the "default" group is for unidentified users' in said
    assert said.endswith("keeping the last good policy\n")
    assert not holder.changed()  # not retried until it changes again
