"""The people pages as staff pages: who gets them, who is refused, and another school's records."""

from __future__ import annotations

from tests.web.viewtests import StaffObjectPageTests, StaffPageTests


class TestPeopleList(StaffPageTests):
    url_name = "people:list"


class TestIdentitiesList(StaffPageTests):
    url_name = "people:identities"


class TestPersonPage(StaffObjectPageTests):
    url_name = "people:detail"


class TestPersonEditPage(StaffObjectPageTests):
    url_name = "people:edit"


class TestArchivePage(StaffObjectPageTests):
    url_name = "people:archive"


class TestIdentityEditPage(StaffObjectPageTests):
    url_name = "people:identity-edit"
