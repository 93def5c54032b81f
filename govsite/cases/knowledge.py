"""The knowledge base (Art. 10: 定期整理网民咨询及答复内容，按照主题、关注度等进行分类汇总和
结构化处理，编制形成知识库，实行动态更新).

Entries are matched by the words of the platform's Chinese segmenter (`govsite.search.text`):
an entry keeps the search-mode tokens of its question and answer, space-delimited, and a query's
precise-mode words are looked up among them. Ranking is by how often an entry was asked about
(suggested while a citizen typed) and viewed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from govsite.search import text

SUGGEST_CANDIDATES = 200
SUGGEST_MIN_CHARS = 2
# Words of asking itself: every question has them, so they tell nothing about the topic.
QUESTION_WORDS = frozenset(
    {
        "怎么",
        "怎样",
        "如何",
        "什么",
        "哪些",
        "哪里",
        "是否",
        "能否",
        "可以",
        "需要",
        "请问",
        "咨询",
        "问题",
        "想",
        "办",
    }
)


def search_text_of(entry) -> str:
    """The index tokens of an entry's question and answer, space-delimited on both sides."""
    tokens = text.index_tokens(f"{entry.question} {entry.answer}")
    return f" {' '.join(dict.fromkeys(tokens))} " if tokens else ""


def _word_filter(word: str) -> Q:
    return Q(search_text__contains=f" {word} ")


def current_entries(gov_site=None) -> QuerySet:
    from govsite.cases.models import KnowledgeEntry

    entries = KnowledgeEntry.objects.filter(is_current=True)
    if gov_site is not None:
        entries = entries.filter(Q(gov_site=gov_site) | Q(gov_site__isnull=True))
    return entries


def topic_words(typed: str) -> list[str]:
    """The words of what a citizen typed, without the words of asking (怎么, 如何...)."""
    return [word for word in text.query_words(typed or "") if word not in QUESTION_WORDS]


def search(query: str, *, topic: str = "", gov_site=None) -> QuerySet:
    """Current entries containing every word of `query` (all of them when empty), best ranked first."""
    entries = current_entries(gov_site)
    if topic:
        entries = entries.filter(topic=topic)
    for word in text.query_words(query or ""):
        entries = entries.filter(_word_filter(word))
    return entries.order_by("-asks", "-views", "-pk")


def suggest(typed: str, *, gov_site=None, limit: int = 5) -> list:
    """Entries sharing the most words with what a citizen is typing; ties go to the best ranked."""
    words = topic_words(typed)
    if len((typed or "").strip()) < SUGGEST_MIN_CHARS or not words:
        return []
    any_word = Q()
    for word in words:
        any_word |= _word_filter(word)
    candidates = list(
        current_entries(gov_site).filter(any_word).order_by("-asks", "-views")[:SUGGEST_CANDIDATES]
    )
    scored = [(sum(f" {word} " in entry.search_text for word in words), entry) for entry in candidates]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].asks, -pair[1].views, -pair[1].pk))
    return [entry for score, entry in scored[: max(limit, 0)] if score > 0]


def draft_from_case(case, *, actor, topic: str):
    """Art. 10: a knowledge entry drafted from an answered case: masked question and reply.

    The entry starts as not current; an editor checks the wording and marks it current.
    """
    from govsite.cases import masking, services
    from govsite.cases.models import KnowledgeEntry
    from govsite.review import audit

    if not (services.handles(actor, case.unit_id) or services.may_publish(case, actor)):
        raise PermissionDenied("您不是该事项办理单位的人员。")
    reply = services.sent_reply(case)
    if reply is None:
        raise ValidationError("答复发送后才能整理入知识库。", code="not_answered")
    if topic not in KnowledgeEntry.Topic.values:
        raise ValidationError({"topic": ValidationError("请选择主题。", code="invalid_topic")})
    known = masking.known_values(
        name=case.name, phone=case.phone, email=case.email, id_number=case.id_number, address=case.address
    )
    entry = KnowledgeEntry.objects.create(
        gov_site=case.gov_site,
        question=masking.mask_text(case.subject, known)[:200],
        answer=masking.mask_text(reply.body, known),
        topic=topic,
        unit=case.unit,
        source_case=case,
        is_current=False,
        reviewed_at=timezone.now(),
    )
    audit.record(
        "cases.knowledge_draft", actor=actor, site=case.gov_site_id, obj=entry, object_repr=entry.question
    )
    return entry


def mark_reviewed(entry, *, actor, is_current: bool = True):
    """Editors keep entries current: confirm (or retire) an entry and note when it was checked."""
    from govsite.review import audit

    entry.is_current = is_current
    entry.reviewed_at = timezone.now()
    entry.save(update_fields=["is_current", "reviewed_at", "updated_at"])
    audit.record(
        "cases.knowledge_review",
        actor=actor,
        site=entry.gov_site_id,
        obj=entry,
        object_repr=entry.question,
        detail={"is_current": is_current},
    )
    return entry
