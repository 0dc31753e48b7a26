"""The demo school's term dates: this school year's and last year's three terms, so that the demo's
governors' report counts by the school's own terms (and the Christmas, Easter and summer holidays with
the term before each)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from schoolgate.web.core.actions import Operator
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.reports.actions import do_add_term
from schoolgate.web.reports.models import SchoolTerm

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

DEMO = Operator("schoolgate web import-demo")


def seed_demo(school: School, now: dt.datetime) -> None:
    """Six terms, from the autumn of last school year to the summer of this one; nothing if the school
    has terms already."""
    if SchoolTerm.objects.filter(school=school).exists():
        return
    year = school_year(now.date())
    for start in (year - 1, year):
        for name, first, last in (
            (f"Autumn {start}", dt.date(start, 9, 3), dt.date(start, 12, 18)),
            (f"Spring {start + 1}", dt.date(start + 1, 1, 5), dt.date(start + 1, 3, 26)),
            (f"Summer {start + 1}", dt.date(start + 1, 4, 13), dt.date(start + 1, 7, 21)),
        ):
            do_add_term(school, actor=DEMO, name=name, first=first, last=last)
