"""Shared test set-up for the whole suite.

Environment: pytest-django imports `govsite.settings` (from pyproject's DJANGO_SETTINGS_MODULE)
before any conftest is read, so the environment the settings need is set by the caller:
`scripts/run-tests.sh` (what `make test` runs) exports GOVSITE_DEBUG=0 and a random
GOVSITE_SECRET_KEY, and picks the database (SQLite by default, PostgreSQL through DATABASE_URL).
To run a part of the suite: `bash scripts/run-tests.sh -x tests/e2e`, or
`GOVSITE_TEST_DATABASES=sqlite bash scripts/run-tests.sh -k workdays`.

Domain factories live beside the tests of their app, not here.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.accounts.plugin import second_factor_only_where_tested  # noqa: F401  (autouse fixture)

# Hypothesis profiles (HYPOTHESIS_PROFILE; run-tests.sh picks "ci" under CI=true). The machines have
# 2 cores shared by a browser, a database and the app server: timing-based checks would fail on
# load, not on bugs, so there is no deadline. Both run Hypothesis's default 100 examples a test;
# "ci" also prints the blob that reproduces a failure (@reproduce_failure).
hypothesis_settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile(
    "ci", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which database this run uses: the suite runs twice, on SQLite and on PostgreSQL."""
    db = django_settings.DATABASES["default"]
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    where = f"{db.get('HOST')}:{db.get('PORT')}/{db.get('NAME')}" if engine != "sqlite3" else "in memory"
    return [f"govsite database: {engine} ({where}), DEBUG={django_settings.DEBUG}"]


@pytest.fixture(autouse=True)
def _isolated_media_root(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded images and documents, and the public's attachments, go to temporary directories,
    never into var/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    settings.GOVSITE_CASE_ATTACHMENT_ROOT = str(tmp_path_factory.mktemp("case-attachments"))


@pytest.fixture(scope="session")
def _intake_spool_path(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("intake") / "intake.sqlite3"


@pytest.fixture(autouse=True)
def _isolated_intake_spool(settings, _intake_spool_path) -> None:
    """Spent captchas, rate counters and spooled letters start empty in every test, never in var/."""
    from govsite.cases.spool import spool

    settings.GOVSITE_INTAKE_DB = _intake_spool_path
    store = spool(_intake_spool_path)
    with store.transaction() as db:
        db.execute("DELETE FROM letter")
        db.execute("DELETE FROM used_captcha")
        db.execute("DELETE FROM rate")
