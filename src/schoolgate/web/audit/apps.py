from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem


class AuditConfig(NavApp):
    name = "schoolgate.web.audit"
    label = "audit"
    verbose_name = "Audit trail"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Audit trail", "audit:list", Capability.AUDIT_VIEW, order=70),
    )

    def ready(self) -> None:
        from schoolgate.web.audit import signals

        signals.connect()
