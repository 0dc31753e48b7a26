from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings


@pytest.fixture
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    """POLICY_PATH and INDEX_PATH in a fresh directory, with no locked list installed (a new school's
    server, where `lists/iwf.txt` and `lists/terrorism.txt` are looked for)."""
    root = tmp_path / "var"
    root.mkdir()
    settings.POLICY_PATH = root / "policy.toml"
    settings.INDEX_PATH = root / "lists.sgidx"
    return root
