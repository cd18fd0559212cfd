"""Accord's only settings module. Every knob is an ACCORD_* environment variable.

The development default needs no variables: SQLite in WAL mode under var/, mail to
files under var/mail/, DEBUG on and a secret key generated once into var/.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accord.lib.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_optional,
    env_path,
    env_str,
    read_secret_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("ACCORD_DEBUG", True, "Development mode. Set 0 in production.")
DATA_DIR = env_path(
    "ACCORD_DATA_DIR", BASE_DIR / "var", "Where the SQLite database, mail sink and files live."
)
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env_optional("ACCORD_SECRET_KEY", "Django secret key (prefer ACCORD_SECRET_KEY_FILE).")
    key_file = env_optional("ACCORD_SECRET_KEY_FILE", "File holding the secret key.")
    if key and key_file:
        raise ImproperlyConfigured("Set ACCORD_SECRET_KEY or ACCORD_SECRET_KEY_FILE, not both")
    if key_file:
        return read_secret_file("ACCORD_SECRET_KEY_FILE", key_file)
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("ACCORD_DEBUG=0 needs ACCORD_SECRET_KEY_FILE (or ACCORD_SECRET_KEY)")
    # Development only: a key generated once per data directory, never committed.
    generated = DATA_DIR / "secret_key"
    if not generated.exists():
        generated.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        generated.chmod(0o600)
    return generated.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list(
    "ACCORD_ALLOWED_HOSTS",
    ["127.0.0.1", "localhost"],
    "Host names this instance answers to (comma separated).",
)
SITE_URL = env_str(
    "ACCORD_SITE_URL", "http://127.0.0.1:8000", "Public base URL, used in links in mail."
).rstrip("/")
BIND = env_str("ACCORD_BIND", "127.0.0.1:8000", "Address and port `accord run` serves the web UI on.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    # Only for its static files and templates: the API docs then load Swagger UI from this
    # instance instead of a CDN (which the CSP blocks and an offline instance cannot reach).
    "ninja",
    "accord.core",
    "accord.accounts",
    "accord.mailgate",
    "accord.cases",
    "accord.vendors",
    "accord.answers",
    "accord.archive",
    "accord.publication",
    "accord.exports",
    "accord.conversation",
    "accord.notifications",
    "accord.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accord.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accord.accounts.middleware.Require2FAMiddleware",
    "accord.accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "accord.api.guards.ApiBodyLimitMiddleware",
    "accord.api.guards.RejectNulMiddleware",
    "accord.api.idempotency.IdempotencyMiddleware",
    "accord.core.errors.RuleViolationMiddleware",
]

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"
ASGI_APPLICATION = "accord.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.core.context.site",
            ],
            "builtins": ["accord.core.templatetags.accord"],
        },
    }
]

# Database: SQLite (WAL) by default, PostgreSQL through ACCORD_DATABASE_URL.
_database_url = env_optional(
    "ACCORD_DATABASE_URL", "postgres://user@host:5432/name for PostgreSQL; SQLite if unset."
)
if _database_url:
    if not _database_url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured("ACCORD_DATABASE_URL must be a postgres:// URL (SQLite is the default)")
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "accord.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server, worker and scheduler read while one writes;
                # IMMEDIATE transactions avoid lock-upgrade deadlocks between them.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

REQUIRE_2FA_FOR_STAFF = env_bool(
    "ACCORD_REQUIRE_2FA_FOR_STAFF", True, "Coordinator staff must use TOTP two-factor authentication."
)
OTP_TOTP_ISSUER = env_str(
    "ACCORD_INSTANCE_NAME", "Accord", "Instance name shown in the UI, mail and 2FA apps."
)
INSTANCE_NAME = OTP_TOTP_ISSUER

# Login throttling (django-axes): lock a username+client pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("ACCORD_LOGIN_FAILURE_LIMIT", 5, "Failed logins before a lockout.", minimum=1)
AXES_COOLOFF_TIME = env_int("ACCORD_LOGIN_LOCKOUT_MINUTES", 15, "Minutes a lockout lasts.", minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accord.accounts.views.lockout"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("ACCORD_LOGIN_THROTTLING", True, "Lock accounts after repeated failed logins.")
# Behind a reverse proxy every client arrives from the proxy's address; login throttling and
# the report rate limit take the forwarded client address, but only from these proxies.
TRUSTED_PROXIES = env_networks(
    "ACCORD_TRUSTED_PROXIES",
    "Reverse proxies (IPs or CIDR networks, comma separated) whose X-Forwarded-For is believed.",
)
AXES_CLIENT_IP_CALLABLE = "accord.core.client_ip.client_ip"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = DATA_DIR / "files"

# Security baseline. Behind HTTPS (ACCORD_HTTPS=1) cookies are secure and HSTS is sent.
HTTPS = env_bool("ACCORD_HTTPS", False, "The site is served over HTTPS (secure cookies, HTTPS redirect).")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env_bool("ACCORD_BEHIND_PROXY", False, "Trust X-Forwarded-Proto from a reverse proxy.")
    else None
)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SECURE_HSTS_SECONDS = env_int(
    "ACCORD_HSTS_SECONDS", 0, "Strict-Transport-Security max-age (0 = off).", minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ACCORD_HSTS_INCLUDE_SUBDOMAINS", False, "HSTS includeSubDomains.")
SECURE_HSTS_PRELOAD = env_bool("ACCORD_HSTS_PRELOAD", False, "HSTS preload.")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("ACCORD_CSRF_TRUSTED_ORIGINS", [], "Extra origins allowed to POST forms.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Jobs: django-tasks with the database backend; `accord db_worker` runs them.
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env_choice("ACCORD_TASK_BACKEND", "database", ("database", "immediate"), "Where jobs run.")]
    }
}
SCHEDULER_INTERVAL = env_int("ACCORD_SCHEDULER_INTERVAL", 30, "Seconds between scheduler ticks.", minimum=1)

# Mail: everything leaves through the outbox (accord.mailgate). Django's own mail
# (password reset) is captured into it by the outbox email backend.
EMAIL_BACKEND = "accord.mailgate.backend.OutboxBackend"
SMTP_URL = env_str(
    "ACCORD_SMTP_URL",
    f"file://{DATA_DIR / 'mail'}",
    "Where the outbox sends: smtp://user:pass@host:port, smtp+starttls://…, smtps://…, or file:///dir.",
)
SMTP_TIMEOUT = env_int("ACCORD_SMTP_TIMEOUT", 30, "Seconds before an SMTP connection gives up.", minimum=1)
DEFAULT_FROM_EMAIL = env_str("ACCORD_FROM_EMAIL", "accord@localhost", "Sender address of Accord's mail.")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The coordinator's OpenPGP key (`accord keys`): kept as files under the data directory, see
# accord/mailgate/coordinator_key.py. The passphrase is read from its file when the key is used.
OPENPGP_DIR = DATA_DIR / "openpgp"
OPENPGP_PASSPHRASE_FILE = env_optional(
    "ACCORD_OPENPGP_PASSPHRASE_FILE",
    "File holding the passphrase of the coordinator's OpenPGP key (unset: the key has none).",
)

# Inbound mail (accord.mailgate.inbound): `accord mail_serve` and `accord ingest_mail`.
SMTP_LISTEN = env_str(
    "ACCORD_SMTP_LISTEN", "127.0.0.1:2525", "host:port where `accord mail_serve` receives mail."
)
MAIL_RECIPIENTS = [
    address.lower()
    for address in env_list(
        "ACCORD_MAIL_RECIPIENTS", ["cert@localhost"], "Addresses the SMTP receiver accepts mail for."
    )
]
INBOUND_MAX_BYTES = env_int(
    "ACCORD_INBOUND_MAX_BYTES", 25 * 1024 * 1024, "Largest inbound mail, in bytes.", minimum=1024
)
# `accord mail_fetch` (accord.mailgate.imap): polls a mailbox, and `accord run` starts it when set.
IMAP_URL = env_optional(
    "ACCORD_IMAP_URL",
    "Mailbox `accord mail_fetch` polls: imap://user@host:143/INBOX, imap+starttls://…, imaps://user@host:993/INBOX.",
)
IMAP_PASSWORD_FILE = env_optional("ACCORD_IMAP_PASSWORD_FILE", "File holding the IMAP password.")
IMAP_DONE_FOLDER = env_str(
    "ACCORD_IMAP_DONE_FOLDER", "Accord.processed", "IMAP folder stored mail is moved to (created if missing)."
)
IMAP_INTERVAL = env_int("ACCORD_IMAP_INTERVAL", 60, "Seconds between two IMAP polls.", minimum=1)
IMAP_TIMEOUT = env_int("ACCORD_IMAP_TIMEOUT", 30, "Seconds before an IMAP connection gives up.", minimum=1)

MAIL_AUTHSERV_ID = env_str(
    "ACCORD_MAIL_AUTHSERV_ID",
    "",
    "authserv-id of the receiving MTA whose Authentication-Results headers are trusted (RFC 8601);"
    " empty: only the topmost such header.",
)

# The CVD process (process.md): identifiers and the instance's disclosure policy defaults.
CASE_PREFIX = env_str("ACCORD_CASE_PREFIX", "VU#", "Prefix of case ids.")
DISCLOSURE_DAYS = env_int(
    "ACCORD_DISCLOSURE_DAYS",
    45,
    "Days from the first contact attempt to the target publication date.",
    minimum=1,
)
EXIT_EMBARGO_ON_ATTACKS = env_bool(
    "ACCORD_EXIT_EMBARGO_ON_ATTACKS", True, "End the embargo at once when attacks are confirmed (A)."
)
DRAFT_SHARE_DAYS = env_int(
    "ACCORD_DRAFT_SHARE_DAYS", 10, "Days before publication the draft note goes to vendors.", minimum=0
)
TARGET_NEAR_DAYS = env_int(
    "ACCORD_TARGET_NEAR_DAYS", 7, "The dashboard lists cases whose target date is this close.", minimum=0
)
REPORT_MAX_ATTACHMENT_BYTES = env_int(
    "ACCORD_REPORT_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, "Largest file a report may attach.", minimum=1
)
MESSAGE_MAX_ATTACHMENT_BYTES = env_int(
    "ACCORD_MESSAGE_MAX_ATTACHMENT_BYTES",
    10 * 1024 * 1024,
    "Largest file a message may attach.",
    minimum=1,
)
MESSAGE_MAX_ATTACHMENTS = 5
REPORT_MAX_ATTACHMENTS = 5
STATEMENT_MAX_BYTES = env_int(
    "ACCORD_STATEMENT_MAX_BYTES", 64 * 1024, "Largest vendor statement, in bytes.", minimum=1024
)
REPORT_ATTACHMENT_TYPES = env_list(
    "ACCORD_REPORT_ATTACHMENT_TYPES",
    [
        ".txt",
        ".md",
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".zip",
        ".gz",
        ".tgz",
        ".json",
        ".xml",
        ".pcap",
        ".har",
        ".log",
        ".csv",
        ".asc",
        ".eml",
        ".c",
        ".py",
        ".html",
        ".js",
    ],
    "File name endings a report attachment may have.",
)
REPORT_RATE_LIMIT = env_int(
    "ACCORD_REPORT_RATE_LIMIT", 10, "Reports one client may submit per hour (0 = no limit).", minimum=0
)

CLAIM_LINK_DAYS = env_int(
    "ACCORD_CLAIM_LINK_DAYS",
    30,
    "Days the account link in a vendor's notification stays valid.",
    minimum=1,
)

# Vendor directory: security.txt discovery (RFC 9116).
SECURITY_TXT_TIMEOUT = env_int(
    "ACCORD_SECURITY_TXT_TIMEOUT", 10, "Seconds a security.txt or key fetch may take in all.", minimum=1
)
SECURITY_TXT_ALLOW_LOOPBACK = env_bool(
    "ACCORD_SECURITY_TXT_ALLOW_LOOPBACK",
    False,
    "Let security.txt discovery fetch from loopback addresses over http (tests only).",
)

# API tokens
API_TOKEN_PREFIX = "accord_"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ACCORD_LOG_LEVEL", "INFO", "Log level.")},
    # python-gnupg logs gpg's own complaints; accord.lib.openpgp turns them into sentences instead.
    "loggers": {"axes": {"level": "WARNING"}, "gnupg": {"level": "ERROR"}},
}
# Machine-readable exports (accord/exports) and the CSAF provider directory.
CSAF_21 = env_bool(
    "ACCORD_CSAF_21",
    False,
    "Also export CSAF 2.1 (the draft stage PyPI csaf validates) and serve it under /.well-known/csaf/v2.1/.",
)
CVE_ORG_ID = env_str(
    "ACCORD_CVE_ORG_ID",
    "",
    "This instance's CVE Numbering Authority org UUID; CVE JSON 5.2 exports are offered only with it.",
)
CVE_ORG_SHORT_NAME = env_str(
    "ACCORD_CVE_ORG_SHORT_NAME", "", "The CNA short name shown in CVE records (default: the instance name)."
)
OSV_PREFIX = env_str(
    "ACCORD_OSV_PREFIX",
    "",
    "A registered OSV id prefix (e.g. ACCORD); without one, OSV ids use the unregistered 'x_' prefix.",
)
AUTO_PUBLISH_LATE_STATEMENTS = env_bool(
    "ACCORD_AUTO_PUBLISH_LATE_STATEMENTS",
    False,
    "Publish a statement that arrives after publication at once, without a publisher's approval.",
)
