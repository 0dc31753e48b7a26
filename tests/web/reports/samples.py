"""Sample records for the reports' pages whose addresses need one, for tests/web/sitemap.py's SAMPLES
(the permission matrix and the accessibility checks walk every page). Each call makes a fresh term of
`school` (a page may change or archive the one it is given), a year apart from the last."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count
from typing import Any

from schoolgate.web.reports.models import SchoolTerm
from tests.web.factories import Cast

_years = count(2030)


def _term(cast: Cast, school: Any) -> dict[str, Any]:
    year = next(_years)
    term = SchoolTerm.objects.create(
        school=school, name=f"Autumn {year}", first=dt.date(year, 9, 3), last=dt.date(year, 12, 18)
    )
    return {"pk": term.pk}


REPORTS_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {"reports:term": _term}
