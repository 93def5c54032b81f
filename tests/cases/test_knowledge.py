"""The knowledge base (Art. 10): curated from answered cases, ranked, suggested and searched."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from govsite.cases import knowledge, services
from govsite.cases.models import KnowledgeEntry
from tests import factories
from tests.cases.conftest import letter, make_handler

pytestmark = pytest.mark.django_db


def entry(question: str, answer: str, **fields) -> KnowledgeEntry:
    return KnowledgeEntry.objects.create(question=question, answer=answer, **fields)


@pytest.fixture
def entries():
    return {
        "pension": entry(
            "如何查询养老保险缴费记录？", "可登录江苏智慧人社办理查询。", topic="social_security", asks=3
        ),
        "school": entry("小学入学报名需要哪些材料？", "户口簿、房产证明等。", topic="education", views=10),
        "old": entry(
            "养老保险缴费基数是多少？", "以上一年度为准。", topic="social_security", is_current=False
        ),
    }


def test_art10_suggest_answers_while_typing(entries):
    found = services.suggest_answers("我想查询一下养老保险的缴费记录")
    assert found[0] == entries["pension"]
    assert entries["old"] not in found  # retired entries are never suggested
    assert services.suggest_answers("好") == []
    assert services.suggest_answers("请问怎么") == []  # words of asking alone match nothing


def test_art10_search_by_words_and_topic(entries):
    assert list(services.search_knowledge("养老保险")) == [entries["pension"]]
    assert list(services.search_knowledge("", topic="education")) == [entries["school"]]
    assert list(services.search_knowledge("入学", topic="social_security")) == []


def test_art10_ranked_by_views_and_asks(entries):
    pension, school = entries["pension"], entries["school"]
    assert list(services.search_knowledge("")) == [pension, school]
    for _ in range(4):
        services.note_asked([school])
    services.note_view(school)
    school.refresh_from_db()
    assert (school.asks, school.views) == (4, 11)
    assert list(services.search_knowledge("")) == [school, pension]


def test_art10_entry_drafted_from_an_answered_case_is_masked_and_not_yet_current(
    mayor_mailbox, general_office
):
    case = services.submit_letter(mayor_mailbox, letter(subject="张三咨询公积金提取")).case
    drafter, reviewer = make_handler(general_office), make_handler(general_office)
    with pytest.raises(ValidationError):
        services.draft_knowledge_entry(case, actor=drafter)
    services.draft_reply(case, "可通过南通公积金中心网上办理提取。", actor=drafter)
    services.review_reply(case, actor=reviewer, approve=True)
    services.send_reply(case, actor=drafter)
    with pytest.raises(PermissionDenied):
        services.draft_knowledge_entry(case, actor=make_handler(factories.municipal_department()))
    drafted = services.draft_knowledge_entry(case, actor=drafter, topic="housing")
    assert drafted.question == "张**咨询公积金提取"
    assert drafted.source_case == case and not drafted.is_current
    assert services.suggest_answers("公积金提取") == []
    knowledge.mark_reviewed(drafted, actor=reviewer)
    assert services.suggest_answers("公积金提取") == [drafted]
    drafted.refresh_from_db()
    assert drafted.reviewed_at is not None
