"""Django settings for the stock Wagtail search peer: the least that runs
`wagtail.search.backends.database` unmodified (modelsearch's SQLite FTS5 or PostgreSQL backend,
chosen by the database in DATABASE_URL), with one indexed model (`peerapp.Article`).

SQLite gets the same connection settings as govsite (WAL, synchronous=NORMAL), so the two
engines write under the same durability.
"""

import os

import dj_database_url

SECRET_KEY = "bench-search-peer-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "taggit",
    "wagtail",
    "wagtail.search",
    "peerapp",
]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
