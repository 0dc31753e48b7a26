"""The matrix's edit page names a table, not a school's object (tests/web/pages.py SAMPLES)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.factories import Cast


def _table(cast: Cast, school: Any) -> dict[str, Any]:
    return {"applies_to": "pupil"}


SANCTIONS_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {"sanctions:edit": _table}
