from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "created"
    UPDATE = "update", "changed"
    DELETE = "delete", "deleted"
    PUBLISH = "publish", "published"
    RESTORE = "restore", "restored"
    IMPORT = "import", "imported"
    LOGIN = "login", "logged in"
    LOGIN_FAILED = "login-failed", "failed to log in"
    LOGOUT = "logout", "logged out"
    VIEW = "view", "viewed"
