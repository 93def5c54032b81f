"""Search tests: pages reach the index through the publishing worker, as in production."""

from __future__ import annotations

import pytest

from govsite.search import dictionary
from tests.publishing.conftest import publish_root, work_off_queue

__all__ = ["publish_root", "work_off_queue"]


@pytest.fixture(autouse=True)
def _fresh_dictionary():
    """Every test sees the dictionary tables as they are in its own database."""
    dictionary.forget()
    yield
    dictionary.forget()
