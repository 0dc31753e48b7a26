from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "schoolgate.web.policy"
    label = "policy"
    verbose_name = "Filtering policy"
