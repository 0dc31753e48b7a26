from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "schoolgate.web.incidents"
    label = "incidents"
    verbose_name = "Online safety log"
