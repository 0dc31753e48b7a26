"""Settings, from the environment. SQLite under the data directory unless a PostgreSQL address is given.

- `SCHOOLGATE_DATA`: the data directory (the SQLite database, the secret key, published policies);
  default `var`.
- `SCHOOLGATE_DATABASE`: `sqlite` (the default) or `postgresql://USER:PASSWORD@HOST:PORT/NAME`.
- `SCHOOLGATE_SECRET_KEY`: Django's secret key; else read from (or made once in) `DATA/secret-key`.
- `SCHOOLGATE_ALLOWED_HOSTS`: host names the application answers to, comma-separated; default
  `127.0.0.1,localhost`.
- `SCHOOLGATE_HTTPS`: `1` (the default) when served over HTTPS only: secure cookies, HSTS, a redirect
  from plain HTTP; `0` for plain HTTP on loopback (the demo, the tests).
- `SCHOOLGATE_DEBUG`: `1` shows Django's debug pages: never on a school's server.
- `SCHOOLGATE_POLICY`: the published policy snapshot the gateways read; default `DATA/policy.toml`.
  With several schools in one deployment, each school's is written beside it as
  `<name>-<school slug>.toml` (`policy-northfield.toml`).
- `SCHOOLGATE_INDEX`: the compiled list index; default `DATA/lists.sgidx`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SCHOOLGATE_DATA", "var")).resolve()


def _flag(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value not in ("0", "1", "yes", "no", "true", "false"):
        raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0")
    return value in ("1", "yes", "true")


def _secret_key() -> str:
    given = os.environ.get("SCHOOLGATE_SECRET_KEY")
    if given:
        return given
    path = DATA_DIR / "secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


def _database() -> dict[str, object]:
    given = os.environ.get("SCHOOLGATE_DATABASE", "sqlite").strip()
    if given == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "schoolgate.sqlite3",
            # Writers wait for each other instead of failing at once with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    url = urlsplit(given)
    if url.scheme not in ("postgresql", "postgres") or not url.path.strip("/"):
        raise ImproperlyConfigured(
            f"SCHOOLGATE_DATABASE={given!r}: use sqlite or postgresql://USER:PASSWORD@HOST:PORT/NAME"
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(url.path.strip("/")),
        "USER": unquote(url.username or ""),
        "PASSWORD": unquote(url.password or ""),
        "HOST": url.hostname or "",
        "PORT": str(url.port or ""),
        "CONN_MAX_AGE": 60,
    }


SECRET_KEY = _secret_key()
DEBUG = _flag("SCHOOLGATE_DEBUG", "0")
HTTPS = _flag("SCHOOLGATE_HTTPS", "1")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SCHOOLGATE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

POLICY_PATH = Path(os.environ.get("SCHOOLGATE_POLICY", DATA_DIR / "policy.toml")).resolve()
INDEX_PATH = Path(os.environ.get("SCHOOLGATE_INDEX", DATA_DIR / "lists.sgidx")).resolve()
# Evidence files of the online safety log, each kept by its SHA-256 (never served but through the log).
EVIDENCE_DIR = DATA_DIR / "evidence"
FILE_UPLOAD_HANDLERS = [
    "schoolgate.web.incidents.uploads.IllegalRouteUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "schoolgate.web.core",
    "schoolgate.web.tenancy",
    "schoolgate.web.accounts",
    "schoolgate.web.audit",
    "schoolgate.web.people",
    "schoolgate.web.policy",
    "schoolgate.web.incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "schoolgate.web.accounts.middleware.SchoolMiddleware",
    "schoolgate.web.audit.middleware.ActorMiddleware",
]

ROOT_URLCONF = "schoolgate.web.urls"
WSGI_APPLICATION = "schoolgate.web.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "schoolgate.web.core.context.navigation",
            ],
        },
    },
]

DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 for every new password; older hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A session ends after 30 minutes without a request, and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Login throttling: this many failed attempts for one user name, or from one address, within the
# window lock further attempts out until the window has passed.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW_S = 15 * 60

OTP_TOTP_ISSUER = "Schoolgate"

if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind the school's TLS-terminating reverse proxy, which sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static files come from the package itself (no collectstatic, no STATIC_ROOT).
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
