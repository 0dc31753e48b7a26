"""Settings, from the environment. SQLite under the data directory unless a PostgreSQL address is given.

- `SCHOOLGATE_DATA`: the data directory (the SQLite database, the secret key, published policies);
  default `var`.
- `SCHOOLGATE_DATABASE`: `sqlite` (the default) or `postgresql://USER:PASSWORD@HOST:PORT/NAME`.
- `SCHOOLGATE_SECRET_KEY`: Django's secret key; else read from `DATA/secret-key`, which `web serve`
  and the management commands make once (mode 600) if it is not there; reading the settings (or
  asking for help) writes nothing.
- `SCHOOLGATE_ALLOWED_HOSTS`: host names the application answers to, comma-separated; default
  `127.0.0.1,localhost`.
- `SCHOOLGATE_HTTPS`: `1` (the default) when served over HTTPS only: secure cookies, HSTS, a redirect
  from plain HTTP; `0` for plain HTTP on loopback (the demo, the tests).
- `SCHOOLGATE_TRUSTED_PROXY`: the address of the school's reverse proxy (nginx, Apache), the only
  peer whose X-Forwarded-For and X-Forwarded-Proto `schoolgate web serve` believes; unset, no one's.
- `SCHOOLGATE_INTERNAL_NETWORKS`: the school's own IPv6 networks with global addresses
  (`2001:db8:10:1::/64`, comma-separated), where login throttling counts each address alone; elsewhere
  a global IPv6 address counts as its /64.
- `SCHOOLGATE_DEBUG`: `1` shows Django's debug pages: never on a school's server.
- `SCHOOLGATE_POLICY`: the published policy snapshot the gateways read; default `DATA/policy.toml`.
  With several schools in one deployment, each school's is written beside it as
  `<name>-<school slug>.toml` (`policy-northfield.toml`).
- `SCHOOLGATE_INDEX`: the compiled list index; default `DATA/lists.sgidx`.
- `SCHOOLGATE_SPOOL`: the activity spool the gateways write and `schoolgate worker` reads; default
  `DATA/spool`. With several schools, each school's is `<spool>/<school slug>/`.
- `SCHOOLGATE_PROXY_PASSWORDS`: the proxy's password file (the one Squid's Basic login reads, made with
  `schoolgate squid passwd`), where guest logins are written and taken out when they end; unset (the
  default), no guest login is made, and the guest logins page says so.
- `SCHOOLGATE_SMTP`: the mail server that sends invitations, reset links and notices of safeguarding
  roles: `smtp://[USER:PASSWORD@]HOST[:PORT]` (add `?starttls=1` to upgrade the connection to TLS,
  port 587 by default) or `smtps://...` (TLS from the start, port 465 by default); user name and
  password percent-encoded. Unset (the default), e-mail is not set up, and every page says so where
  it matters.
- `SCHOOLGATE_EMAIL_FROM`: the address e-mails come from (needed with `SCHOOLGATE_SMTP`).
- `SCHOOLGATE_URL`: the public address of the web application (`https://schoolgate.school.example`),
  used in the links e-mails carry; unset, a link is built from the request (the host checked against
  `SCHOOLGATE_ALLOWED_HOSTS`).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from schoolgate.web.secretkey import data_dir, given_key

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()


def _flag(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value not in ("0", "1", "yes", "no", "true", "false"):
        raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0")
    return value in ("1", "yes", "true")


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


def trusted_proxy(given: str, name: str = "SCHOOLGATE_TRUSTED_PROXY") -> str | None:
    """The reverse proxy's address, written as the web server sees its peers' ("::1", not "0::1"):
    one address, never a range or "*" (a peer not the proxy could then say whose request it is)."""
    given = given.strip()
    if not given:
        return None
    try:
        return str(ipaddress.ip_address(given.strip("[]")))
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={given!r}: give the one address of the reverse proxy in front of Schoolgate, "
            "for example 127.0.0.1"
        ) from None


# Read, never made here (secretkey.py): the commands that need a lasting key make it first. Empty,
# Django refuses anything that would sign with it.
SECRET_KEY = given_key()
DEBUG = _flag("SCHOOLGATE_DEBUG", "0")
HTTPS = _flag("SCHOOLGATE_HTTPS", "1")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SCHOOLGATE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

TRUSTED_PROXY = trusted_proxy(os.environ.get("SCHOOLGATE_TRUSTED_PROXY", ""))


def internal_networks(given: str) -> tuple[ipaddress.IPv6Network, ...]:
    """The school's own IPv6 networks with global addresses, where login throttling counts each
    address alone (accounts/throttle.py): comma-separated, such as `2001:db8:10:1::/64`."""
    found = []
    for part in (p.strip() for p in given.split(",")):
        if not part:
            continue
        try:
            found.append(ipaddress.IPv6Network(part, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"SCHOOLGATE_INTERNAL_NETWORKS: {part!r} is not an IPv6 network such as 2001:db8:10:1::/64"
            ) from None
    return tuple(found)


INTERNAL_NETWORKS = internal_networks(os.environ.get("SCHOOLGATE_INTERNAL_NETWORKS", ""))

POLICY_PATH = Path(os.environ.get("SCHOOLGATE_POLICY", DATA_DIR / "policy.toml")).resolve()
INDEX_PATH = Path(os.environ.get("SCHOOLGATE_INDEX", DATA_DIR / "lists.sgidx")).resolve()
# The activity spool the gateways write and `schoolgate worker` reads (monitoring/ingest.py): with one
# school, this directory; with several, `SPOOL_DIR/<school slug>/`.
SPOOL_DIR = Path(os.environ.get("SCHOOLGATE_SPOOL", DATA_DIR / "spool")).resolve()
# Guest proxy logins (devices/guests.py): written to this file; None: not set up.
_passwords = os.environ.get("SCHOOLGATE_PROXY_PASSWORDS", "").strip()
PROXY_PASSWORDS = Path(_passwords).resolve() if _passwords else None
# Evidence files of the online safety log, each kept by its SHA-256 (never served but through the log).
EVIDENCE_DIR = DATA_DIR / "evidence"
FILE_UPLOAD_HANDLERS = [
    "schoolgate.web.incidents.uploads.IllegalRouteUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Request bodies: a form without files takes up to 2 MB (a long list of sites pasted into the policy
# editor is well under it) and 1,000 fields; only the pages that take files take more
# (core/security.py, which refuses a larger body before anything reads it). Uploaded files up to 2 MB
# are held in memory, larger ones in a temporary file while the request lasts.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_filters",
    "schoolgate.web.core",
    "schoolgate.web.tenancy",
    "schoolgate.web.accounts",
    "schoolgate.web.audit",
    "schoolgate.web.people",
    "schoolgate.web.policy",
    "schoolgate.web.incidents",
    "schoolgate.web.sanctions",
    "schoolgate.web.reports",
    "schoolgate.web.monitoring",
    "schoolgate.web.filterrequests",
    "schoolgate.web.selftest",
    "schoolgate.web.agreements",
    "schoolgate.web.consent",
    "schoolgate.web.devices",
    "schoolgate.web.training",
    "schoolgate.web.annualreview",
]

# Nothing before RequestSizeMiddleware reads the request's body: the two above it add headers to the
# response and redirect plain HTTP (core/security.py).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "schoolgate.web.core.security.SecurityHeadersMiddleware",
    "schoolgate.web.core.security.RequestSizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "schoolgate.web.accounts.middleware.SchoolMiddleware",
    "schoolgate.web.accounts.middleware.PasswordChangeMiddleware",
    # After the login, second factor and school are known; before the CSRF check reads the form.
    "schoolgate.web.core.security.UploadAccessMiddleware",
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

# Login throttling (accounts/throttle.py): this many failed attempts for one user name from one
# address, or the higher number from one address whatever the user names, within the window lock
# further attempts out until the window has passed. Never a user name alone from every address.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_ADDRESS_LIMIT = 20
LOGIN_FAILURE_WINDOW_S = 15 * 60

OTP_TOTP_ISSUER = "Schoolgate"

if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # No SECURE_PROXY_SSL_HEADER: the scheme is the WSGI server's (`schoolgate web serve` takes it
    # from the trusted proxy's X-Forwarded-Proto, and from no one else), so that a client talking to
    # the server directly, or another server that passes the header through, cannot claim HTTPS.

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


def email_settings(env: Mapping[str, str]) -> dict[str, object]:
    """E-mail from `SCHOOLGATE_SMTP`, `SCHOOLGATE_EMAIL_FROM` and `SCHOOLGATE_URL` (see the top)."""
    from email.utils import parseaddr
    from urllib.parse import parse_qs

    site = env.get("SCHOOLGATE_URL", "").strip()
    if site:
        parts = urlsplit(site)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ImproperlyConfigured(f"SCHOOLGATE_URL={site!r}: use https://HOST[:PORT][/PATH]")
        site = site.rstrip("/")
    sender = env.get("SCHOOLGATE_EMAIL_FROM", "").strip()
    given = env.get("SCHOOLGATE_SMTP", "").strip()
    if not given:
        return {"EMAIL_SET_UP": False, "DEFAULT_FROM_EMAIL": sender, "SITE_URL": site}
    url = urlsplit(given)
    usage = "use smtp://[USER:PASSWORD@]HOST[:PORT][?starttls=1] or smtps://..."
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise ImproperlyConfigured(f"SCHOOLGATE_SMTP: {usage}")  # not echoed: it may hold a password
    try:
        port = url.port
    except ValueError:
        raise ImproperlyConfigured(f"SCHOOLGATE_SMTP: the port is a number up to 65535: {usage}") from None
    query = parse_qs(url.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise ImproperlyConfigured(f"SCHOOLGATE_SMTP: unknown option {unknown[0]!r}: {usage}")
    starttls = query.get("starttls", ["0"])[-1].strip().lower() in ("1", "yes", "true")
    if starttls and url.scheme == "smtps":
        raise ImproperlyConfigured("SCHOOLGATE_SMTP: smtps:// (TLS from the start) or ?starttls=1, not both")
    address = parseaddr(sender)[1]
    if not sender or "@" not in address or " " in address:
        raise ImproperlyConfigured(
            f"SCHOOLGATE_EMAIL_FROM={sender!r}: the address e-mails come from is needed with SCHOOLGATE_SMTP"
        )
    return {
        "EMAIL_SET_UP": True,
        "EMAIL_HOST": url.hostname,
        "EMAIL_PORT": port or (465 if url.scheme == "smtps" else 587 if starttls else 25),
        "EMAIL_HOST_USER": unquote(url.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(url.password or ""),
        "EMAIL_USE_TLS": starttls,
        "EMAIL_USE_SSL": url.scheme == "smtps",
        "DEFAULT_FROM_EMAIL": sender,
        "SITE_URL": site,
    }


# E-mail (accounts/mail.py sends it, always through SMTP, and says whether it went).
_EMAIL = email_settings(os.environ)
EMAIL_SET_UP = bool(_EMAIL["EMAIL_SET_UP"])
EMAIL_HOST = str(_EMAIL.get("EMAIL_HOST", "localhost"))
EMAIL_PORT = int(str(_EMAIL.get("EMAIL_PORT", 25)))
EMAIL_HOST_USER = str(_EMAIL.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = str(_EMAIL.get("EMAIL_HOST_PASSWORD", ""))
EMAIL_USE_TLS = bool(_EMAIL.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_EMAIL.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = 10  # seconds: a mail server that does not answer holds a page up no longer
DEFAULT_FROM_EMAIL = str(_EMAIL["DEFAULT_FROM_EMAIL"]) or "schoolgate@localhost"
SITE_URL = str(_EMAIL["SITE_URL"])
