"""Sample records for the policy pages whose addresses need one, for tests/web/sitemap.py's SAMPLES (the
permission matrix and the accessibility checks walk every page): `SAMPLES.update(POLICY_SAMPLES)`.
Each call makes a fresh record of `school`, since some pages change or remove the one they are given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count
from typing import Any

from django.db.models import Max
from django.utils import timezone

from schoolgate.web.people.choices import PersonKind
from schoolgate.web.policy import actions
from schoolgate.web.policy.choices import MemberKind
from schoolgate.web.policy.models import (
    Category,
    FilterGroup,
    GroupMember,
    ListSource,
    PolicyVersion,
    Rule,
    SchoolDate,
    SiteList,
    TimeWindow,
)
from tests.web.factories import Cast

_n = count(1)


def _group(cast: Cast, school: Any) -> dict[str, Any]:
    group = FilterGroup.objects.create(school=school, name=f"sample-{next(_n)}", default="allow")
    return {"pk": group.pk}


def _member(cast: Cast, school: Any) -> dict[str, Any]:
    group = FilterGroup.objects.create(school=school, name=f"sample-{next(_n)}", default="allow")
    member = GroupMember.objects.create(
        school=school, group=group, kind=MemberKind.PERSON_KIND, person_kind=PersonKind.STAFF
    )
    return {"pk": group.pk, "member": member.pk}


def _window(cast: Cast, school: Any) -> dict[str, Any]:
    window = TimeWindow.objects.create(
        school=school, name=f"sample-{next(_n)}", days=["mon"], times=["09:00-10:00"]
    )
    return {"pk": window.pk}


def _date(cast: Cast, school: Any) -> dict[str, Any]:
    day = dt.date(2026, 9, 3)
    return {"pk": SchoolDate.objects.create(school=school, name="Autumn term", first=day, last=day).pk}


def _category(cast: Cast, school: Any) -> dict[str, Any]:
    actions.ensure_policy(school)
    category = Category.objects.create(school=school, name=f"sample-{next(_n)}", sources=["ut1/games"])
    return {"pk": category.pk}


def _list(cast: Cast, school: Any) -> dict[str, Any]:
    source = ListSource.objects.create(
        school=school, name=f"sample-{next(_n)}", format="domains", path="x.txt"
    )
    return {"pk": source.pk}


def _site(cast: Cast, school: Any) -> dict[str, Any]:
    site = SiteList.objects.create(school=school, name=f"sample-{next(_n)}", domains=["example.org"])
    return {"pk": site.pk}


def _rule(cast: Cast, school: Any) -> dict[str, Any]:
    rule = Rule.objects.create(
        school=school, name=f"sample rule {next(_n)}", position=next(_n), domains=["example.org"]
    )
    return {"pk": rule.pk}


def _version(cast: Cast, school: Any) -> dict[str, Any]:
    number = (PolicyVersion.objects.filter(school=school).aggregate(n=Max("number"))["n"] or 0) + 1
    PolicyVersion.objects.create(
        school=school, number=number, text="schema_version = 1\n\n[groups.default]\n", sha256="0" * 64,
        published_by=cast.nina, published_at=timezone.now(), reason="sample",
    )  # fmt: skip
    return {"number": number}


POLICY_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    **{f"policy:group{suffix}": _group for suffix in ("", "-edit", "-delete")},
    "policy:member-add": _group,
    "policy:member-remove": _member,
    **{f"policy:window{suffix}": _window for suffix in ("", "-edit", "-delete")},
    **{f"policy:date{suffix}": _date for suffix in ("", "-edit", "-delete")},
    **{f"policy:category{suffix}": _category for suffix in ("", "-edit", "-delete")},
    **{f"policy:list{suffix}": _list for suffix in ("", "-edit", "-delete")},
    **{f"policy:site{suffix}": _site for suffix in ("", "-edit", "-delete")},
    **{f"policy:rule{suffix}": _rule for suffix in ("", "-edit", "-delete", "-move")},
    **{name: _version for name in ("policy:version", "policy:version-text", "policy:restore")},
}
