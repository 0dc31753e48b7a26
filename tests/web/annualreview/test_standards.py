"""The standards as data: four standards, each point with its words, what "met" looks like, and
evidence that Schoolgate gathers."""

from __future__ import annotations

import re

from schoolgate.web.annualreview import evidence, standards


def test_the_four_standards_are_there_in_order_each_with_points() -> None:
    assert [s.number for s in standards.STANDARDS] == [1, 2, 3, 4]
    titles = " ".join(s.title.lower() for s in standards.STANDARDS)
    for words in ("roles", "at least once a year", "blocks harmful", "monitoring"):
        assert words in titles
    assert all(len(s.points) >= 3 for s in standards.STANDARDS)


def test_every_point_has_a_unique_key_its_words_and_known_evidence() -> None:
    keys = [p.key for s in standards.STANDARDS for p in s.points]
    assert len(keys) == len(set(keys)) == len(standards.POINTS)
    for p in standards.POINTS.values():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", p.key), p.key  # fits the address's slug
        assert len(p.key) <= 40  # Answer.point's length
        assert p.text.endswith(".") and p.met.endswith(".")
        assert p.evidence and set(p.evidence) <= set(evidence.KEYS), p.key


def test_every_kind_of_evidence_speaks_to_some_point() -> None:
    used = {k for p in standards.POINTS.values() for k in p.evidence}
    assert used == set(evidence.KEYS)


def test_a_key_that_names_no_point_is_none() -> None:
    assert standards.point("roles-dsl") is standards.POINTS["roles-dsl"]
    assert standards.point("../etc") is None
