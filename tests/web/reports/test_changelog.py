"""The change-control log: every policy version published, with its changes in sentences, and every
filter change request decided, by term, newest first, for the online safety governor and those who see
the policy; no pupil named anywhere in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_django import Settings

from schoolgate.web.filterrequests.actions import do_approve, do_ask, do_refuse
from schoolgate.web.filterrequests.choices import Audience, Duration, RequestKind, RequestSource
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup
from schoolgate.web.policy import actions as policy_actions
from schoolgate.web.reports.changelog import REDACTED, pupil_names, redact, redact_quoted
from tests.web.factories import Cast, person
from tests.web.pages import logged_in, text
from tests.web.policy.helpers import EXAMPLE_LISTS, Northfield, compile_index, small_policy

CHANGELOG = "/reports/changelog/"
NAMES = frozenset({"amelia", "hughes", "oliver", "brown"})


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("For Amelia's project", f"For {REDACTED} project"),
        ("Oliver Brown and Amelia Hughes", f"{REDACTED} {REDACTED} and {REDACTED} {REDACTED}"),
        ("brown bread for everyone", "brown bread for everyone"),  # a word, not a name written as one
        ("Year 6 science", "Year 6 science"),
        ("", ""),
    ],
)
def test_a_pupils_name_in_a_reason_is_replaced(said: str, shown: str) -> None:
    assert redact(said, NAMES) == shown


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        (
            "Rule 3 'no games' now also applies to 'amelia-hughes'",
            f"Rule 3 'no games' now also applies to '{REDACTED}'",
        ),
        ("1 user name moves from 'pupils' to 'oliver'", f"1 user name moves from 'pupils' to '{REDACTED}'"),
        ("the filter group “brown-sen”", f"the filter group “{REDACTED}”"),
        ("brown bread for 'year-6'", "brown bread for 'year-6'"),  # outside the quotes: a word
    ],
)
def test_a_pupils_name_in_a_quoted_group_name_is_replaced_however_written(said: str, shown: str) -> None:
    """The network manager names the filter groups, in lower case: a group made for one pupil and
    named after her would name her in the log."""
    assert redact_quoted(said, NAMES) == shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    "said",
    [
        "For Amelia",
        "For Rose's class work",
        "Ask Mrs O'Neill's son",
        "O'Neill’s project",
        "Amelia-Rose again",
    ],
)
def test_part_of_a_hyphenated_name_and_a_name_with_an_apostrophe_are_replaced(cast: Cast, said: str) -> None:
    """A pupil called Amelia-Rose O'Neill is written "Amelia", "Rose" or "O'Neill" in a reason."""
    person(cast.a, PersonKind.PUPIL, first_name="Amelia-Rose", last_name="O'Neill")
    shown = redact(said, pupil_names(cast.a))
    assert REDACTED in shown
    assert not {"Amelia", "Rose", "Neill", "O'Neill"} & set(shown.replace("'s", " ").split())


@pytest.fixture
def running(cast: Cast, settings: Settings, tmp_path: Path) -> Northfield:
    root = tmp_path / "var"
    (root / "lists").mkdir(parents=True)
    for source in EXAMPLE_LISTS.glob("*.txt"):
        shutil.copy(source, root / "lists" / source.name)
    settings.POLICY_PATH = root / "policy.toml"
    settings.INDEX_PATH = root / "lists.sgidx"
    rows = small_policy(cast)
    draft = policy_actions.check_draft(cast.a)
    policy_actions.do_publish(
        cast.a, actor=cast.nina, reason="Start of term: Amelia Hughes's group set up",
        expected_sha256=draft.rendered.sha256,
    )  # fmt: skip
    compile_index(policy_actions.snapshot_path(cast.a), settings.INDEX_PATH)
    return rows


def test_the_log_shows_versions_and_decisions_by_term_and_never_a_pupils_name(
    cast: Cast, running: Northfield
) -> None:
    assert {"amelia", "hughes", "oliver", "brown"} <= pupil_names(cast.a)
    for_amelia = do_ask(
        cast.a, actor=cast.tom, kind=RequestKind.UNBLOCK, source=RequestSource.REQUEST_PAGE,
        url="https://www.scratch.mit.edu/projects", audience=Audience.PERSON, person=running.amelia,
        reason="Amelia Hughes needs it for her project",
    )  # fmt: skip
    do_approve(
        for_amelia, actor=cast.nina, audience=Audience.PERSON, person=running.amelia,
        duration=Duration.LESSON, reason="Agreed: Amelia's project is on the curriculum",
    )  # fmt: skip
    for_class = do_ask(
        cast.a, actor=cast.tom, kind=RequestKind.UNBLOCK, source=RequestSource.REQUEST_PAGE,
        url="https://www.coolmathgames.com/", audience=Audience.CLASS,
        class_group=ClassGroup.objects.get(school=cast.a, name="6B"), reason="Oliver Brown's maths group",
    )  # fmt: skip
    do_refuse(for_class, actor=cast.nina, reason="Games are not for lessons, Oliver can use the maths site")

    response = logged_in(cast.gina).get(CHANGELOG)
    assert response.status_code == 200
    page = text(response)
    assert "Autumn 2026" in page
    assert page.index("Filter change request 2 decided") < page.index("Filtering policy version 2 published")
    assert page.index("Filtering policy version 2 published") < page.index(
        "Filtering policy version 1 published"
    )
    assert "For a pupil" in page and "For a class" in page
    assert "Site coolmathgames.com" in page and "Decision Refused" in page and "Decision Approved" in page
    assert f"Games are not for lessons, {REDACTED} can use the maths site" in page
    assert f"Agreed: {REDACTED} project is on the curriculum" in page
    assert f"Start of term: {REDACTED} {REDACTED} group set up" in page
    assert "The whole policy is new" in page  # version 1's summary, in sentences
    body = response.content.decode().lower()
    assert not [name for name in ("amelia", "hughes", "oliver", "brown") if name in body]

    assert logged_in(cast.sami).get(CHANGELOG).status_code == 200  # sees the policy
    for user in (cast.tom, cast.greta, cast.omar):
        assert logged_in(user).get(CHANGELOG).status_code == 403, user
    other = text(logged_in(cast.zack).get(CHANGELOG))
    assert "Nothing yet" in other and "coolmathgames" not in other
