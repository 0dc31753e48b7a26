"""The staff logins pages as staff pages: who gets them, who is refused, and another school's logins."""

from __future__ import annotations

from tests.web.viewtests import StaffObjectPageTests, StaffPageTests


class TestStaffList(StaffPageTests):
    url_name = "accounts:staff"


class TestStaffDetail(StaffObjectPageTests):
    url_name = "accounts:staff-detail"
