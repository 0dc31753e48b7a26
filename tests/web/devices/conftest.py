"""The devices tests' proxy password file: a real one in tmp_path, named by the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings


@pytest.fixture
def password_file(settings: Settings, tmp_path: Path) -> Path:
    """The proxy's password file, made as `schoolgate squid passwd` makes it (owner and group only)."""
    path = tmp_path / "proxy" / "passwords"
    path.parent.mkdir()
    path.write_text("d.kowalski:$2b$10$abcdefghijklmnopqrstuu5Q1Zl0Yq8m9m5o3Vb1qz0Wg8dF6b5xy\n")
    path.chmod(0o640)
    settings.PROXY_PASSWORDS = path
    return path
