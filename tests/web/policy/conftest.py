from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_django import Settings

from tests.web.policy.helpers import EXAMPLE_LISTS, Paths


@pytest.fixture
def paths(settings: Settings, tmp_path: Path) -> Paths:
    """POLICY_PATH and INDEX_PATH in a fresh directory, with the locked lists' test stand-ins beside
    them (where the seeded lists/iwf-test.txt and lists/terrorism-test.txt are looked for)."""
    root = tmp_path / "var"
    (root / "lists").mkdir(parents=True)
    for source in EXAMPLE_LISTS.glob("*.txt"):
        shutil.copy(source, root / "lists" / source.name)
    settings.POLICY_PATH = root / "policy.toml"
    settings.INDEX_PATH = root / "lists.sgidx"
    return Paths(root, settings.POLICY_PATH, settings.INDEX_PATH)
