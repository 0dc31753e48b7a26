"""Small numbers: shown as "fewer than 3", hidden with another where a total would give them away,
and never to be worked out by someone who knows the rule and the total."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from schoolgate.web.reports.counts import FEWER, NOT_SHOWN, protect, shown


@pytest.mark.parametrize(("n", "text"), [(0, "0"), (1, FEWER), (2, FEWER), (3, "3"), (1234, "1,234")])
def test_counts_under_3_are_shown_as_fewer_than_3(n: int, text: str) -> None:
    assert shown(n) == text


@pytest.mark.parametrize(
    ("counts", "texts"),
    [
        ([5, 4, 0, 3], ["5", "4", "0", "3"]),  # nothing small: all shown
        ([5, 1, 7, 4], ["5", FEWER, "7", NOT_SHOWN]),  # one more hidden: the last of 3 or more
        ([6, 0, 2, 0], ["not shown", "0", FEWER, "0"]),
        ([1, 2, 2, 0], [FEWER, FEWER, FEWER, "0"]),  # 5 in three: each could be 1 or 2
        ([1, 3, 0, 0], [NOT_SHOWN] * 4),  # 1 and 3 hidden, adding up to 4: they could only be 1 and 3
        ([1, 1, 0, 0], [NOT_SHOWN] * 4),  # both must be 1
        ([0, 2, 0, 0], [NOT_SHOWN] * 4),  # a total under 3
        ([0, 0, 0, 0], ["0"] * 4),
    ],
)
def test_a_small_count_in_a_table_with_a_total_is_hidden_with_another(
    counts: list[int], texts: list[str]
) -> None:
    assert [c.text for c in protect(counts)] == texts
    assert [c.value for c in protect(counts)] == [int(t) if t.isdigit() else None for t in texts]


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


@pytest.mark.parametrize(("rows", "most"), [(4, 18), (5, 12), (7, 9), (10, 7)])  # the report's tables
def test_no_count_under_3_can_be_worked_out_by_someone_who_knows_the_rule_and_the_total(
    rows: int, most: int
) -> None:
    """Every column of `rows` counts adding up to `most` or less: among all the columns a reader cannot
    tell apart (same total, same cells shown), any cell that is 1 or 2 in one of them could be another
    value too. The reader knows the rule, so this covers what the choice of hidden cells says."""
    leaks = []
    for total in range(most + 1):
        alike: dict[tuple[str, ...], list[tuple[int, ...]]] = {}
        for column in _compositions(total, rows):
            alike.setdefault(tuple(c.text for c in protect(column)), []).append(column)
        for texts, columns in alike.items():
            for i in range(rows):
                could_be = {column[i] for column in columns}
                if could_be & {1, 2} and len(could_be) < 2:
                    leaks.append(f"total {total}: {texts} can only be {columns}")
    assert not leaks, "\n".join(leaks[:10])
