"""The policy pages as staff pages: who gets them, who is refused, and another school's records."""

from __future__ import annotations

from tests.web.viewtests import StaffObjectPageTests, StaffPageTests


class TestOverview(StaffPageTests):
    url_name = "policy:overview"


class TestRulesList(StaffPageTests):
    url_name = "policy:rules"


class TestGroupPage(StaffObjectPageTests):
    url_name = "policy:group"


class TestRuleEditPage(StaffObjectPageTests):
    url_name = "policy:rule-edit"


class TestVersionPage(StaffPageTests):  # addressed by its number at the school: no other school's record
    url_name = "policy:version"
