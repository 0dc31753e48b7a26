from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "schoolgate.web.core"
    label = "core"
    verbose_name = "Schoolgate"
