"""Error pages the framework renders before or without a view still speak Chinese, show no trace
and store nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import BadRequest
from django.test import Client, RequestFactory
from django.views.defaults import bad_request

pytestmark = pytest.mark.django_db


def test_a_form_posted_without_its_security_token_gets_a_chinese_403_page(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)

    response = client.post("/hudong/chaxun/", data={"receipt": "中文"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "表单已失效" in page and "未被保存" in page
    assert "CSRF verification failed" not in page


def test_a_malformed_request_gets_a_chinese_400_page():
    request = RequestFactory().post("/hudong/chaxun/")

    response = bad_request(request, BadRequest("malformed"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "您的请求无法处理" in page and "未被保存" in page
    assert "Bad Request" not in page


def test_the_500_page_is_chinese_and_standalone():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")

    assert "服务暂时不可用" in page
    assert "{%" not in page and 'href="/error-report/"' in page
