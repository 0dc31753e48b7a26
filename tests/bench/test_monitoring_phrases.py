"""bench/monitoring_phrases.py: its mix of search terms and its accuracy figures (the speed is the
bench's to print, never a test's to assert)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from schoolgate.monitoring.phrases import shipped

BENCH = Path(__file__).resolve().parents[2] / "bench" / "monitoring_phrases.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_monitoring_phrases", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_the_mix_is_mostly_ordinary_searches_with_a_few_harmful_ones() -> None:
    terms = bench.mix(20_000, 1, bench.ordinary)
    assert terms == bench.mix(20_000, 1, bench.ordinary)  # the same mix every run
    harmful = {row[0] for row in bench.MUST_MATCH}
    share = sum(term in harmful for term in terms) / len(terms)
    assert 0.01 < share < 0.02
    flagged = sum(bool(shipped().scan(term)) for term in terms[:5000]) / 5000
    assert flagged < 0.03  # the ordinary searches flag nothing; the harmful ones do


def test_unseen_terms_are_words_of_random_letters() -> None:
    terms = bench.mix(1000, 2, bench.unseen)
    assert len(set(terms)) > 950


def test_the_accuracy_is_the_tables() -> None:
    scores = bench.accuracy(shipped())
    assert scores["harmful"] == len(bench.MUST_MATCH)
    assert scores["look_alikes"] == len(bench.MUST_NOT_MATCH)
    assert scores["match_rate"] == 1.0, scores["missed"]
    assert scores["false_alerts"] == 0, scores["false_alert_texts"]
