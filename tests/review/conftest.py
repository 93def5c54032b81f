"""Fixtures of the audit-trail and account tests: two sites, their users and the platform operator.

`site_a` and `site_b` are two open county portals (the city portal is registered on the way).
`site_user(site)` makes a reviewer-like user whose group holds page permissions on that site's
home page and may read the audit view; `superuser` is the platform operator.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.review.support import make_user, site_group


@pytest.fixture
def site_a():
    return factories.county_portal()


@pytest.fixture
def site_b():
    return factories.county_portal()


@pytest.fixture
def site_user():
    def build(gov_site, **kwargs):
        return make_user(groups=[site_group(gov_site, audit_view=kwargs.pop("audit_view", True))], **kwargs)

    return build


@pytest.fixture
def superuser():
    return make_user("platform-operator", superuser=True)
