from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "schoolgate.web.tenancy"
    label = "tenancy"
    verbose_name = "Trusts and schools"
