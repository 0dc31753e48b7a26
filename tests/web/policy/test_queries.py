"""Queries per page, pinned for the editor's main page and the rules page: the same count however many
groups, people, identities and rules there are, so that a query per row fails here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy.choices import MemberKind
from schoolgate.web.policy.models import Category, FilterGroup, GroupMember, Rule, SiteList, TimeWindow
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import Paths, small_policy

# The session, the user, the OTP device, the roles, the schools (and the session saved), then the
# page's own: the overview reads every part of the policy once (with the
# identities whose access ends, the approved requests in force and the newest version); the rules
# page reads the rules with their groups, categories, site lists and windows.
PAGES = {"/policy/": 25, "/policy/rules/": 13}


def _more(cast: Cast, n: int) -> None:
    """n more of everything: groups with members, people with identities, windows, site lists, rules."""
    school = cast.a
    games = Category.objects.get(school=school, name="games")
    with acting_as(cast.nina):
        for i in range(n):
            group = FilterGroup.objects.create(school=school, name=f"extra-{i}", default="allow")
            person = Person.objects.create(
                school=school, kind=PersonKind.STAFF, first_name=f"P{i}", last_name=f"L{i}"
            )
            NetworkIdentity.objects.create(
                school=school, person=person, kind=IdentityKind.USERNAME, value=f"user{i}"
            )
            GroupMember.objects.create(school=school, group=group, kind=MemberKind.PERSON, person=person)
            window = TimeWindow.objects.create(
                school=school, name=f"window-{i}", days=["mon"], times=["09:00-10:00"]
            )
            site = SiteList.objects.create(school=school, name=f"sites-{i}", domains=[f"site{i}.example"])
            rule = Rule.objects.create(
                school=school,
                position=100 + i,
                name=f"rule {i}",
                action="block",
                everyone=False,
                window=window,
            )
            rule.groups.set([group])
            rule.categories.set([games])
            rule.sites.set([site])


@pytest.mark.parametrize(("url", "queries"), sorted(PAGES.items()))
def test_a_policy_page_asks_the_same_number_of_queries_however_big_the_policy(
    cast: Cast, paths: Paths, django_assert_max_num_queries: DjangoAssertNumQueries, url: str, queries: int
) -> None:
    small_policy(cast)
    client = logged_in(cast.nina)
    client.get(url)  # the first visit may set things up
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _more(cast, 25)
    with django_assert_max_num_queries(queries), CaptureQueriesContext(connection) as big:
        assert client.get(url).status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)
