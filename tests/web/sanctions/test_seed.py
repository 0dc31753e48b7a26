"""The sanctions matrix a school starts with is the policy's "School Actions & Sanctions" tables, checked
against the policy text itself, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from schoolgate.web.sanctions import seed
from schoolgate.web.sanctions.choices import AppliesTo

POLICY = Path(__file__).resolve().parents[3].parent / "shared" / "policies" / "002_5def962ba9ff46b3.txt"


# Page headers that the PDF's conversion left inside the staff table.
STRAY_LINES = {"Students / Pupils Incidents", "Pupils Incidents"}


def _plain(text: str) -> str:
    """Words as the seed writes them: straight quotes, no bullets, single spaces."""
    text = text.replace("’", "'").replace("‘", "'").replace("●", " ")
    return " ".join(text.split())


def _sections(part: str, columns: tuple[tuple[str, str, bool], ...]) -> dict[str, str]:
    """The policy's list of misuse under each action's heading, by action key."""
    headings = {name: key for key, name, _ in columns}
    found: dict[str, list[str]] = {}
    before: list[str] = []
    current: str | None = None
    for line in part.splitlines():
        words = _plain(line)
        if words in STRAY_LINES:
            continue
        if words in headings:
            current = headings[words]
            assert current not in found, f"{words!r} is a heading twice"
            found[current] = []
        elif current is None:
            before.append(words)
        else:
            found[current].append(words)
    assert not _plain(" ".join(before)), f"text before the first action: {before}"
    assert list(found) == [key for key, _, _ in columns], "the policy's actions, in its order"
    return {key: _plain(" ".join(lines)) for key, lines in found.items()}


def _policy_tables() -> dict[AppliesTo, dict[str, str]]:
    assert POLICY.is_file(), f"the seed policy is missing: {POLICY}"
    text = POLICY.read_text(encoding="utf-8")
    assert text.count("\nSchool Actions & Sanctions\n") == 1
    tail = text.split("\nSchool Actions & Sanctions\n", 1)[1]
    assert tail.count("Pupils:") == 1 and tail.count("Staff:") == 1
    pupils, staff = tail.split("Pupils:", 1)[1].split("Staff:", 1)
    return {
        AppliesTo.PUPILS: _sections(pupils, seed.PUPIL_ACTIONS),
        AppliesTo.STAFF: _sections(staff, seed.STAFF_ACTIONS),
    }


SEED = {
    AppliesTo.PUPILS: (seed.PUPIL_ACTIONS, seed.PUPIL_MISUSE),
    AppliesTo.STAFF: (seed.STAFF_ACTIONS, seed.STAFF_MISUSE),
}


@pytest.mark.parametrize("applies_to", list(AppliesTo))
def test_the_seed_is_the_policys_table_word_for_word_both_ways(applies_to: AppliesTo) -> None:
    sections = _policy_tables()[applies_to]
    columns, rows = SEED[applies_to]
    wrong = []
    for key, _name, _ in columns:
        for row_key, description, expected in rows:
            in_policy = _plain(description) in sections[key]
            if in_policy != (key in expected):
                wrong.append(f"{key} × {row_key}: policy {in_policy}, seed {key in expected}")
    assert not wrong, "\n".join(wrong)
    # Nothing under any heading is left once the seed's rows are taken out: no row is missing.
    descriptions = sorted((_plain(d) for _, d, _ in rows), key=len, reverse=True)
    for key, section in sections.items():
        rest = section
        for description in descriptions:
            rest = rest.replace(description, "")
        assert not rest.strip(), f"{key}: in the policy but not in the seed: {rest.strip()!r}"
    assert len({k for k, _, _ in rows}) == len(rows) and len({k for k, _, _ in columns}) == len(columns)
