from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def evidence_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each test keeps its evidence files apart, so that what one finds on disk is its own."""
    path = tmp_path / "evidence"
    settings.EVIDENCE_DIR = path  # type: ignore[attr-defined]
    return path
