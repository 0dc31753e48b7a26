"""A new school's policy starts from the example policy's lists and categories, and loads."""

from __future__ import annotations

import tomllib

from schoolgate.engine.policy import UKSIC_CATEGORIES
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.policy import actions, seed
from schoolgate.web.policy.choices import Uksic
from schoolgate.web.policy.models import Category, FilterGroup, ListSource
from tests.web.factories import Cast
from tests.web.policy.helpers import REPO, Paths, compile_index


def test_the_seed_is_the_example_policys_lists_and_categories() -> None:
    example = tomllib.loads((REPO / "examples" / "policy.toml").read_text(encoding="utf-8"))
    assert {s["name"]: {k: v for k, v in s.items() if k != "name"} for s in seed.LISTS} == example["lists"]
    assert {s["name"]: {k: v for k, v in s.items() if k != "name"} for s in seed.CATEGORIES} == example[
        "categories"
    ]
    assert tuple(Uksic.values) == UKSIC_CATEGORIES


def test_a_new_school_is_set_up_once_and_its_policy_loads_and_compiles(cast: Cast, paths: Paths) -> None:
    actions.ensure_policy(cast.a)
    actions.ensure_policy(cast.a)
    assert ListSource.objects.filter(school=cast.a).count() == len(seed.LISTS)
    assert sorted(Category.objects.filter(school=cast.a, locked=True).values_list("name", flat=True)) == [
        "child-abuse",
        "terrorism",
    ]
    assert Category.objects.filter(school=cast.a).count() == len(seed.CATEGORIES)
    assert list(FilterGroup.objects.filter(school=cast.a).values_list("name", "default")) == [
        ("default", "block")
    ]
    assert not Category.objects.filter(school=cast.b).exists()  # only the school asked for
    seeded = AuditEntry.objects.filter(object_type="policy.category", action="create")
    assert seeded.count() == len(seed.CATEGORIES) and {e.actor_label for e in seeded} == {actions.SEED_ACTOR}

    draft = actions.check_draft(cast.a)
    assert draft.problems == [] and not draft.checked_against_index
    published = paths.root / "draft.toml"
    published.write_text(draft.text)
    compile_index(published, paths.index)
    draft = actions.check_draft(cast.a)
    assert draft.problems == [] and draft.checked_against_index
