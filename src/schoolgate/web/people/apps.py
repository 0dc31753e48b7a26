from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "schoolgate.web.people"
    label = "people"
    verbose_name = "People"
