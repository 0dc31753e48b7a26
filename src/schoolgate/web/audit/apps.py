from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "schoolgate.web.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from schoolgate.web.audit import signals

        signals.connect()
