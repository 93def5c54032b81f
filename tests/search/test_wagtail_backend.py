"""Wagtail's own search (admin page search, choosers) finds a Chinese word inside a sentence."""

from __future__ import annotations

import pytest

from govsite.content.models import ContentPage
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_art21_admin_page_search_finds_a_word_inside_an_unspaced_sentence():
    site = f.county_portal(slug="chongchuan")
    news = f.make_column(site.site.root_page, slug="news", title="政务动态")
    article = f.make_article(
        news, title="市政府办公室关于开展专项行动的通知", body="<p>切实减轻企业负担。</p>"
    )
    f.make_article(news, title="其他稿件", body="<p>与此无关。</p>")

    for word in ("负担", "专项行动", "企业负担"):
        found = list(ContentPage.objects.search(word))
        assert [page.pk for page in found] == [article.pk], word


def test_art21_admin_search_page_shows_the_match(admin_client):
    site = f.county_portal(slug="chongchuan")
    news = f.make_column(site.site.root_page, slug="news", title="政务动态")
    f.make_article(news, title="关于推进老旧小区改造的实施意见")

    response = admin_client.get("/admin/pages/search/", {"q": "小区"})

    assert response.status_code == 200
    assert "关于推进老旧小区改造的实施意见" in response.content.decode()
