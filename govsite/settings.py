"""Settings for govsite, read from environment variables with secure defaults.

Every value a deployment may change comes from the environment (GOVSITE_* or the usual
names such as DATABASE_URL); nothing secret is written here. Without GOVSITE_DEBUG=1 the
platform refuses to start without a real secret key.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from govsite.security_defaults import PUBLIC_CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("GOVSITE_DEBUG", False)

SECRET_KEY = os.environ.get("GOVSITE_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("GOVSITE_ALLOW_INSECURE_KEY"):
        raise ImproperlyConfigured("GOVSITE_SECRET_KEY must be set (or GOVSITE_DEBUG=1 for development).")
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("GOVSITE_ALLOWED_HOSTS", "localhost,.localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("GOVSITE_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "govsite.workdays",
    "govsite.sites",
    "govsite.content",
    "govsite.review",
    "govsite.accounts",
    "govsite.publishing",
    "govsite.search",
    "govsite.cases",
    "govsite.monitoring",
    "django_tasks",
    "django_tasks_db",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "govsite.sites.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "govsite.review.middleware.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "govsite.review.middleware.AdminIdleTimeoutMiddleware",
    "govsite.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "govsite.sites.middleware.SiteLifecycleMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "govsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "govsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "govsite.sites.context_processors.gov_site",
            ],
        },
    },
]

WSGI_APPLICATION = "govsite.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'govsite.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer commits; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Issue 3 point 8: ≥ 12 characters, 3 of lower/upper/digit/symbol, not the user name (Chinese messages).
    {
        "NAME": "govsite.review.passwords.StrongPasswordValidator",
        "OPTIONS": {"min_length": 12, "min_classes": 3},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("GOVSITE_STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "govsite" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GOVSITE_MEDIA_ROOT", BASE_DIR / "var" / "media"))

# Security by default: HTTPS-only cookies unless explicitly told otherwise (development over http).
SECURE_COOKIES = env_bool("GOVSITE_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_FAILURE_VIEW = "govsite.errors.csrf_failure"
# Requests per client address: public forms (govsite.throttle) and the read-only JSON APIs.
GOVSITE_FORM_RATE = os.environ.get("GOVSITE_FORM_RATE", "5/m")
# Letters the front accepted, spent captchas and rate counters (govsite/cases/spool.py): a SQLite
# file on every database backend, shared by every server process of the machine.
GOVSITE_INTAKE_DB = Path(os.environ.get("GOVSITE_INTAKE_DB", BASE_DIR / "var" / "intake.sqlite3"))

# Monitoring (issue 7, govsite/monitoring): where inspections send their requests (empty: each site's own
# address; `make run` sets the front on 127.0.0.1 with each site's Host header), and the hosts whose scripts
# pages may load besides their own.
GOVSITE_MONITOR_ORIGIN = os.environ.get("GOVSITE_MONITOR_ORIGIN", "")
GOVSITE_ALLOWED_SCRIPT_HOSTS = tuple(
    host.strip() for host in os.environ.get("GOVSITE_ALLOWED_SCRIPT_HOSTS", "").split(",") if host.strip()
)
GOVSITE_API_RATE = os.environ.get("GOVSITE_API_RATE", "120/m")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("GOVSITE_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Accounts (issue 3 point 8, govsite/review): lockout after repeated failed logins, admin idle timeout.
AUTHENTICATION_BACKENDS = ["govsite.review.auth_backends.LockoutModelBackend"]
WAGTAILADMIN_USER_LOGIN_FORM = "govsite.review.forms.LockoutLoginForm"
GOVSITE_LOGIN_MAX_FAILURES = int(os.environ.get("GOVSITE_LOGIN_MAX_FAILURES", 5))
GOVSITE_LOGIN_IP_MAX_FAILURES = int(os.environ.get("GOVSITE_LOGIN_IP_MAX_FAILURES", 5))
GOVSITE_LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("GOVSITE_LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60))
GOVSITE_LOGIN_LOCK_SECONDS = int(os.environ.get("GOVSITE_LOGIN_LOCK_SECONDS", 15 * 60))
GOVSITE_ADMIN_IDLE_SECONDS = int(os.environ.get("GOVSITE_ADMIN_IDLE_SECONDS", 30 * 60))
# Issue 3 point 8 (govsite/accounts, docs/two-factor.md): a second factor (TOTP) in the admin for
# superusers and members of groups ending in these suffixes (reviewers, leaders in charge, principal
# leaders); 5 wrong codes in 15 minutes lock verification for 15 minutes.
GOVSITE_2FA_ENFORCED = env_bool("GOVSITE_2FA_ENFORCED", True)
GOVSITE_2FA_REQUIRED_GROUP_SUFFIXES = env_list(
    "GOVSITE_2FA_REQUIRED_GROUP_SUFFIXES", "-审核负责人,-分管领导,-主要领导"
)
GOVSITE_2FA_MAX_FAILURES = int(os.environ.get("GOVSITE_2FA_MAX_FAILURES", 5))
GOVSITE_2FA_FAILURE_WINDOW_SECONDS = int(os.environ.get("GOVSITE_2FA_FAILURE_WINDOW_SECONDS", 15 * 60))
GOVSITE_2FA_LOCK_SECONDS = int(os.environ.get("GOVSITE_2FA_LOCK_SECONDS", 15 * 60))
GOVSITE_2FA_ISSUER = os.environ.get(
    "GOVSITE_2FA_ISSUER", ""
)  # name shown in the app; default WAGTAIL_SITE_NAME
# Art. 14: audit records are kept at least 183 days (6 months); a smaller value is raised to 183.
GOVSITE_AUDIT_RETENTION_DAYS = int(os.environ.get("GOVSITE_AUDIT_RETENTION_DAYS", 183))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("GOVSITE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("GOVSITE_HSTS_SECONDS", 0 if DEBUG else 31536000))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("GOVSITE_BEHIND_PROXY") else None
GOVSITE_CSP = os.environ.get("GOVSITE_CSP", PUBLIC_CSP)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

WAGTAIL_SITE_NAME = "南通市政府网站集约化平台"
WAGTAILADMIN_BASE_URL = os.environ.get("GOVSITE_ADMIN_BASE_URL", "http://localhost:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "govsite.search.wagtail_backend"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ofd", "wps", "et", "zip", "txt", "csv"]
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAIL_DATE_FORMAT = "%Y-%m-%d"
# Art. 14-15: an edit during review needs every step again; a finished chain publishes exactly the
# revision it approved (and interpretations submitted with a document, Art. 8).
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAIL_FINISH_WORKFLOW_ACTION = "govsite.review.finish.publish_approved"
WAGTAIL_WORKFLOW_CANCEL_ON_PUBLISH = True
DEFAULT_FROM_EMAIL = os.environ.get("GOVSITE_FROM_EMAIL", "noreply@nantong.gov.cn")
EMAIL_BACKEND = os.environ.get(
    "GOVSITE_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
WAGTAIL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"

# Static publishing (issue 4, govsite/publishing, docs/publishing.md): every site is written as files
# under PUBLISH_ROOT/<host>/; the vault keeps a copy of every published file by its sha256 so that a
# tampered file can be restored exactly. Publish jobs go through a database-backed task queue that the
# `publish_worker` command works off; Wagtail's own tasks stay immediate.
PUBLISH_ROOT = Path(os.environ.get("GOVSITE_PUBLISH_ROOT", BASE_DIR / "var" / "publish"))
PUBLISH_VAULT = Path(os.environ.get("GOVSITE_PUBLISH_VAULT", BASE_DIR / "var" / "publish-vault"))
GOVSITE_APP_UPSTREAM = os.environ.get("GOVSITE_APP_UPSTREAM", "http://127.0.0.1:8001")
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "publishing": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["publishing"]},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GOVSITE_LOG_LEVEL", "WARNING")},
}

# Platform facts (gov-site-rules.md §1.3): the city whose division code prefixes identifier codes.
GOVSITE_CITY_DIVISION_CODE = os.environ.get("GOVSITE_CITY_DIVISION_CODE", "320600")
GOVSITE_PROVINCE_SHORT = os.environ.get("GOVSITE_PROVINCE_SHORT", "苏")
