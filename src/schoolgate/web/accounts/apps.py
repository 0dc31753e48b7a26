from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "schoolgate.web.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
