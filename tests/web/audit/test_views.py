"""The audit trail's page as a staff page: who reads it, and who is refused."""

from __future__ import annotations

from tests.web.viewtests import StaffPageTests


class TestAuditList(StaffPageTests):
    url_name = "audit:list"
