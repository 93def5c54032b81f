"""Publishing tests write into a temporary publish root and vault, never into var/."""

from __future__ import annotations

from pathlib import Path

import pytest

from govsite.publishing import services


@pytest.fixture
def publish_root(settings, tmp_path) -> Path:
    settings.PUBLISH_ROOT = tmp_path / "publish"
    settings.PUBLISH_VAULT = tmp_path / "vault"
    return settings.PUBLISH_ROOT


def work_off_queue() -> int:
    """Run every queued publish job now, as the publish worker would."""
    return services.run_pending()
