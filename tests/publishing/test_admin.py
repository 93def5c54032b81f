"""The publishing admin: the platform operator reads findings and records but cannot forge them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from govsite.publishing.models import TamperFinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("operator", "op@example.gov.cn", None)
    client.force_login(user)
    return user


def test_operator_sees_tamper_findings(client, operator):
    TamperFinding.objects.create(host="chongchuan.localhost", path="news/item/index.html", kind="changed")
    response = client.get("/admin/snippets/publishing/tamperfinding/")
    assert response.status_code == 200
    assert "news/item/index.html" in response.content.decode()


def test_nobody_adds_or_deletes_a_finding_by_hand(client, operator):
    finding = TamperFinding.objects.create(host="h", path="p", kind="added")
    assert client.get("/admin/snippets/publishing/tamperfinding/add/").status_code in (302, 403)
    client.post(f"/admin/snippets/publishing/tamperfinding/delete/{finding.pk}/")
    assert TamperFinding.objects.filter(pk=finding.pk).exists()
