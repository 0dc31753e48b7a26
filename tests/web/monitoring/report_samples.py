"""Objects for the weekly report's pages whose addresses need one (tests/web/sitemap.py SAMPLES): a
report of the school's last week."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from schoolgate.web.monitoring import weekly
from schoolgate.web.monitoring.models import WeeklyReport
from tests.web.factories import Cast

WEEK = dt.date(2026, 11, 23)


def _report(cast: Cast, school: Any) -> dict[str, Any]:
    found = WeeklyReport.objects.filter(school=school).first()
    return {"pk": (found or weekly.make_report(school, WEEK)).pk}


REPORT_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "monitoring:report": _report,
    "monitoring:report-pdf": _report,
}
