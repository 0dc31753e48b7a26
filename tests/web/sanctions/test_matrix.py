"""The matrix is filled from the seed once for each school, when it is first needed."""

from __future__ import annotations

from schoolgate.web.sanctions import matrix, seed
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import Misuse, SanctionAction
from tests.web.factories import Cast
from tests.web.sanctions.make import table_of
from tests.web.sanctions.test_seed import SEED


def test_the_matrix_is_filled_from_the_seed_once_for_each_school(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    matrix.ensure_matrix(cast.a)
    for applies_to, (columns, rows) in SEED.items():
        names = SanctionAction.objects.filter(school=cast.a, applies_to=applies_to).values_list(
            "name", flat=True
        )
        assert list(names) == [name for _, name, _ in columns]
        assert table_of(cast.a, applies_to) == {key: set(expected) for key, _, expected in rows}
        continued = Misuse.objects.get(school=cast.a, applies_to=applies_to, is_continued=True)
        assert continued.key == seed.CONTINUED_KEY
    assert SanctionAction.objects.filter(school=cast.a).count() == len(seed.PUPIL_ACTIONS) + len(
        seed.STAFF_ACTIONS
    )
    assert Misuse.objects.filter(school=cast.a).count() == len(seed.PUPIL_MISUSE) + len(seed.STAFF_MISUSE)
    sanctions = set(
        SanctionAction.objects.filter(
            school=cast.a, applies_to=AppliesTo.PUPILS, is_sanction=True
        ).values_list("key", flat=True)
    )
    assert sanctions == {"remove-access", "warning", "further-sanction"}
    assert not Misuse.objects.filter(school=cast.b).exists()  # each school's own, when it is needed
