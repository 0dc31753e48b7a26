"""Sample objects for the permission matrix (tests/web/sitemap.py): url name -> arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.factories import Cast

AGREEMENTS_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {}
