"""The second factor in the rest of the suite (issue 3 point 8) — for `tests/conftest.py`.

The admin asks superusers, reviewers and leaders for a TOTP code after the password. Tests of
other features sign in with `force_login`, `admin_client` or the password form only; they run with
the gate off (GOVSITE_2FA_ENFORCED=False). The tests in `tests/accounts/` run with it on, and any
other test can switch it on for itself with the `settings` fixture
(`settings.GOVSITE_2FA_ENFORCED = True`, e.g. a browser test of a second-factor login).

To use: in tests/conftest.py,

    from tests.accounts.plugin import second_factor_only_where_tested  # noqa: F401  (autouse fixture)
"""

from __future__ import annotations

from pathlib import Path

import pytest

ACCOUNTS_TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def second_factor_only_where_tested(request, settings):
    settings.GOVSITE_2FA_ENFORCED = Path(str(request.node.path)).resolve().is_relative_to(ACCOUNTS_TESTS)
