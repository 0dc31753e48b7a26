"""The policy editor's check (`actions.check_text`, `check_draft`) uses the one load-and-compile
(policyfile/snapshot.py): a draft the gateways would refuse is refused on the page too, whether or not
the lists have been compiled on this server yet."""

from __future__ import annotations

import pytest

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.policy import actions
from schoolgate.web.policy.models import FilterGroup
from schoolgate.web.policy.render import render_policy
from tests.web.factories import Cast
from tests.web.policy.helpers import Paths, compile_index, small_policy

DEFAULT_ALLOWS = (
    'the "default" group is for unidentified users and must be the most restrictive: '
    'its default must be "block"'
)


@pytest.mark.parametrize("compiled", [False, True], ids=["before any compile", "against the index"])
def test_a_default_group_that_allows_is_a_problem_with_or_without_the_lists(
    cast: Cast, paths: Paths, compiled: bool
) -> None:
    small_policy(cast)
    if compiled:
        good = paths.root / "good.toml"
        good.write_text(render_policy(cast.a).text)
        compile_index(good, paths.index)
    with acting_as(cast.nina):
        FilterGroup.objects.filter(school=cast.a, name="default").update(default="allow")
    draft = actions.check_draft(cast.a)
    assert draft.checked_against_index is compiled
    [problem] = draft.problems
    assert problem.message == DEFAULT_ALLOWS
    assert problem.where == 'Group "default"' and problem.key == "groups.default.default"
    assert problem.line is not None
    assert draft.text.splitlines()[problem.line - 1] == 'default = "allow"'


def test_without_the_lists_a_good_draft_has_no_problems_and_is_not_compiled(cast: Cast, paths: Paths) -> None:
    small_policy(cast)
    checked = actions.check_text(actions.check_draft(cast.a).text, cast.a)
    assert checked.problems == [] and checked.policy_file is not None
    assert checked.compiled is None and not checked.against_index


def test_an_index_that_cannot_be_opened_is_one_problem_saying_why(cast: Cast, paths: Paths) -> None:
    small_policy(cast)
    paths.index.write_bytes(b"")
    checked = actions.check_text(actions.check_draft(cast.a).text, cast.a)
    assert [p.message for p in checked.problems] == [
        f"the compiled lists at {paths.index} cannot be opened: the index file is empty: compile it again"
    ]
