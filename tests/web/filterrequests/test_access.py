"""Who sees which requests: every request for those who oversee or decide; their own for other staff;
none for anyone else, nor across schools. Who teaches a class is what the settings page says."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings

from schoolgate.web.filterrequests import access, actions
from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestSource
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.people.models import ClassGroup
from tests.web.factories import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(cast: Cast, settings: Settings, tmp_path: Path) -> dict[str, FilterRequest]:
    """A request by tom and one by a pupil from the block page (nothing published: no decision)."""
    settings.POLICY_PATH = tmp_path / "policy.toml"
    settings.INDEX_PATH = tmp_path / "lists.sgidx"
    own = actions.do_ask(
        cast.a,
        actor=cast.tom,
        kind=RequestKind.UNBLOCK,
        source=RequestSource.REQUEST_PAGE,
        url="coolmathgames.com",
        audience=Audience.EVERYONE,
    )
    pupil = actions.do_ask(
        cast.a,
        actor=None,
        kind=RequestKind.REVIEW,
        source=RequestSource.BLOCK_PAGE,
        url="coolmathgames.com",
        audience=Audience.PERSON,
        asked_by_name="ks2-amelia",
    )
    return {"tom": own, "pupil": pupil}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("alice", {"tom", "pupil"}),  # DSL
        ("dara", {"tom", "pupil"}),  # deputy DSL
        ("olu", {"tom", "pupil"}),  # coordinator: decides
        ("nina", {"tom", "pupil"}),  # network manager: decides
        ("hana", {"tom", "pupil"}),  # headteacher
        ("sami", set()),  # SLT: not every request (a pupil's review names them); none of their own here
        ("tom", {"tom"}),  # a teacher: their own
        ("greta", set()),  # a governor
        ("cleo", set()),  # the chair of governors
        ("nora", set()),  # no role
        ("zack", set()),  # another school's DSL
    ],
)
def test_who_sees_which_requests(
    cast: Cast, made: dict[str, FilterRequest], who: str, sees: set[str]
) -> None:
    found = set(access.visible(getattr(cast, who), cast.a).values_list("pk", flat=True))
    assert found == {made[name].pk for name in sees}


def test_a_teacher_teaches_the_classes_the_settings_give_them(cast: Cast) -> None:
    six_b = ClassGroup.objects.create(school=cast.a, name="6B")
    five_a = ClassGroup.objects.create(school=cast.a, name="5A")
    actions.do_set_teachers(six_b, [cast.tom], actor=cast.hana)
    assert access.teaches(cast.tom, six_b) and not access.teaches(cast.tom, five_a)
    assert not access.teaches(cast.sami, six_b)
