"""The search engine: Chinese words inside sentences, synonyms, pinyin, document numbers, facets,
ranking by demand and validity, hostile queries. Runs on SQLite and on PostgreSQL (the suite runs
twice)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from govsite.search import documents, index, services
from govsite.search.documents import DocumentData
from govsite.search.models import (
    PinnedResult,
    QueryDay,
    ResultClick,
    SearchDocument,
    SearchTerm,
    SearchVector,
    SearchWord,
    SynonymGroup,
)
from govsite.search.services import SearchQuery
from tests import factories as f
from tests.publishing.conftest import work_off_queue

pytestmark = pytest.mark.django_db

SENTENCE = "为进一步优化营商环境，市政府办公室决定在全市范围内开展惠企政策兑现专项行动，切实减轻企业负担。"


@pytest.fixture
def sites():
    return f.county_portal(slug="chongchuan", name="崇川区人民政府"), f.county_portal(
        slug="haimen", name="海门区人民政府", division_code="320614"
    )


def doc(page_id: int, site, title: str, body: str = "", **fields) -> DocumentData:
    fields.setdefault("published_at", timezone.now() - datetime.timedelta(days=page_id))
    return DocumentData(
        page_id=page_id, site_id=site.pk, path=f"/news/{page_id}/", title=title, body=body, **fields
    )


def find(text: str, **options) -> services.SearchResult:
    options.setdefault("whole_platform", True)
    return services.search(SearchQuery(text=text, **options))


def titles(result: services.SearchResult) -> list[str]:
    return [str(hit.title).replace("<em>", "").replace("</em>", "") for hit in result.hits]


def test_art21_two_character_word_inside_a_long_sentence_is_found(sites):
    documents.write_documents([doc(1, sites[0], "市政府办公室关于开展专项行动的通知", SENTENCE)])

    for word in ("企业", "负担", "营商环境", "惠企政策"):
        result = find(word)
        assert result.total == 1, word
        assert "<em>" in result.hits[0].snippet


def test_art21_word_is_highlighted_and_markup_in_text_is_escaped(sites):
    documents.write_documents(
        [doc(1, sites[0], "关于<b>企业</b>负担的说明", "企业<script>alert(1)</script>负担减轻")]
    )

    hit = find("企业").hits[0]

    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<b>" not in hit.title and "<em>企业</em>" in hit.title


def test_art21_synonyms_find_each_other(sites):
    SynonymGroup.objects.create(words="社保，社会保险")
    documents.write_documents(
        [doc(1, sites[0], "社会保险费缴纳指南", "城乡居民社会保险"), doc(2, sites[0], "社保卡申领", "社保卡")]
    )

    assert find("社保").total == 2
    assert find("社会保险").total == 2


def test_art21_custom_dictionary_keeps_a_place_name_whole(sites):
    SearchWord.objects.create(word="紫琅湖畔", kind=SearchWord.Kind.PLACE)
    documents.write_documents([doc(1, sites[0], "紫琅湖畔新建口袋公园", "市民休闲")])

    assert find("紫琅湖畔").total == 1


def test_art21_full_pinyin_and_initials_find_the_word(sites):
    documents.write_documents([doc(1, sites[0], "社保卡补办流程", "社保卡遗失后补办")])
    services.learn_term("社保", "test", weight=5)

    for typed in ("shebao", "sb", "SheBao"):
        result = find(typed)
        assert result.searched_for == "社保", typed
        assert result.pinyin_from == typed
        assert result.total == 1
    assert find("shebao", literal=True).total == 0, "the letters themselves can still be searched"


def test_art21_mistyped_homophone_is_corrected(sites):
    documents.write_documents([doc(1, sites[0], "住房公积金提取", "公积金提取办理")])
    services.learn_term("公积金", "test", weight=3)

    result = find("公积经")

    assert result.corrected_from == "公积经"
    assert result.searched_for == "公积金"
    assert result.total == 1


def test_art21_exact_document_number_goes_straight_to_the_document(sites):
    documents.write_documents(
        [
            doc(
                1, sites[0], "南通市政府网站管理办法", ctype="policy", document_number="通政办发〔2019〕89号"
            ),
            doc(2, sites[0], "另一份文件", ctype="policy", document_number="通政办发〔2019〕90号"),
        ]
    )

    for typed in ("通政办发〔2019〕89号", "通政办发[2019]89号", "通政办发（2019）89 号"):
        result = services.search(SearchQuery(text=typed, site=sites[0]))
        assert result.redirect == "/news/1/", typed


def test_art21_exact_index_number_goes_straight_to_the_document(sites):
    documents.write_documents([doc(1, sites[0], "某通知", index_number="11320602MB1234567X-2024-00012")])

    result = find("11320602mb1234567x-2024-00012")

    assert result.redirect.endswith("/news/1/")


def test_art21_policy_search_by_part_of_the_number_issuer_and_validity(sites):
    documents.write_documents(
        [
            doc(
                1,
                sites[0],
                "关于印发办法的通知",
                ctype="policy",
                document_number="通政发〔2021〕3号",
                issuer="南通市人民政府",
            ),
            doc(
                2,
                sites[0],
                "关于废止办法的通知",
                ctype="policy",
                document_number="通政发〔2020〕7号",
                issuer="南通市人民政府",
                validity="repealed",
            ),
            doc(3, sites[0], "普通稿件", document_number=""),
        ]
    )

    by_number = services.search(SearchQuery(number="2021", whole_platform=True))
    assert [hit.page_id for hit in by_number.hits] == [1]
    repealed = services.search(
        SearchQuery(number="通政发", filters={"validity": "repealed"}, whole_platform=True)
    )
    assert [hit.page_id for hit in repealed.hits] == [2]


def test_art21_facets_count_and_narrow(sites):
    chongchuan, haimen = sites
    documents.write_documents(
        [
            doc(1, chongchuan, "养老服务补贴申请", category="news", ctype="article"),
            doc(2, chongchuan, "养老服务机构名单", category="policy", ctype="policy"),
            doc(3, haimen, "养老服务中心开放", category="news", ctype="article"),
            doc(4, haimen, "学校招生", category="news"),
        ]
    )

    result = find("养老服务")
    counts = {facet.key: {value.value: value.count for value in facet.values} for facet in result.facets}

    assert result.total == 3
    assert counts["site"] == {str(chongchuan.pk): 2, str(haimen.pk): 1}
    assert counts["type"] == {"article": 2, "policy": 1}
    narrowed = find("养老服务", filters={"site": str(haimen.pk)})
    assert [hit.page_id for hit in narrowed.hits] == [3]
    site_facet = next(facet for facet in narrowed.facets if facet.key == "site")
    assert [value.selected for value in site_facet.values] == [True]


def test_art21_site_search_stays_on_its_site_and_platform_search_does_not(sites):
    chongchuan, haimen = sites
    documents.write_documents([doc(1, chongchuan, "河长制工作会议"), doc(2, haimen, "河长制巡河记录")])

    assert find("河长制", site=chongchuan, whole_platform=False).total == 1
    platform = find("河长制", site=chongchuan)
    assert platform.total == 2
    other = next(hit for hit in platform.hits if hit.page_id == 2)
    assert other.url.startswith("http") and other.url.endswith("/news/2/")


def test_art21_repealed_document_ranks_below_a_valid_one(sites):
    documents.write_documents(
        [
            doc(1, sites[0], "城市房屋拆迁管理办法", validity="repealed", published_at=timezone.now()),
            doc(
                2,
                sites[0],
                "城市房屋拆迁管理实施细则",
                published_at=timezone.now() - datetime.timedelta(days=900),
            ),
        ]
    )

    assert [hit.page_id for hit in find("房屋拆迁").hits] == [2, 1]


def test_art21_title_match_ranks_above_a_mention_in_the_text(sites):
    documents.write_documents(
        [
            doc(1, sites[0], "全市工作简报", "本期提到了垃圾分类。"),
            doc(2, sites[0], "垃圾分类工作推进会召开", "会议部署下一阶段工作。"),
        ]
    )

    assert [hit.page_id for hit in find("垃圾分类").hits] == [2, 1]


def test_art21_the_result_people_choose_rises_for_that_query(sites):
    documents.write_documents(
        [
            doc(1, sites[0], "医保报销比例调整", published_at=timezone.now()),
            doc(2, sites[0], "医保报销办理指南", published_at=timezone.now() - datetime.timedelta(days=400)),
        ]
    )
    assert find("医保报销").hits[0].page_id == 1

    for _ in range(5):
        services.record_click("医保报销", 2, None)

    assert find("医保报销").hits[0].page_id == 2
    assert ResultClick.objects.get(query="医保报销", page_id=2).clicks == 5
    assert find("医保").hits[0].page_id == 1, "clicks count for their own query"


def test_art21_click_log_keeps_no_personal_data():
    names = {field.name for field in ResultClick._meta.get_fields()} | {
        field.name for field in QueryDay._meta.get_fields()
    }
    assert not names & {"ip", "address", "user", "session", "cookie", "user_agent"}


def test_art21_an_editors_pinned_answer_comes_first(sites):
    chongchuan = sites[0]
    news = f.make_column(chongchuan.site.root_page, slug="news", title="政务动态")
    documents.write_documents(
        [doc(1, chongchuan, "户籍办理须知", published_at=timezone.now()), doc(2, chongchuan, "户籍迁移")]
    )
    answer = f.make_article(news, title="户籍业务办事指南")
    documents.reindex()
    PinnedResult.objects.create(query="户籍", page=answer)

    result = find("户籍", site=chongchuan, whole_platform=False)

    assert result.hits[0].page_id == answer.pk and result.hits[0].pinned
    assert [hit.page_id for hit in result.hits].count(answer.pk) == 1


def test_art21_hot_searches_and_zero_results_report(sites):
    documents.write_documents([doc(1, sites[0], "营商环境优化", "营商环境")])
    for _ in range(3):
        find("营商环境")
    find("无此内容的检索词")

    assert services.hot_queries(None) == ["营商环境"]
    report = services.zero_results_report()
    assert [(row.query, row.searches) for row in report] == [("无此内容的检索词", 1)]


def test_art21_suggestions_by_characters_pinyin_and_initials():
    SearchTerm.objects.all().delete()
    services.learn_term("社会保险", "test", weight=2)
    services.learn_term("社保", "test", weight=9)

    assert services.suggest("社") == ["社保", "社会保险"]
    assert services.suggest("sheh") == ["社会保险"]
    assert services.suggest("sb") == ["社保"]
    assert services.suggest("") == []


HOSTILE = [
    "x" * 5000,
    "，。！？、；：“”",
    '"',
    "*",
    "NEAR(",
    '"社保" NEAR(a b) OR *',
    "title_tokens : 社保",
    "' OR 1=1 --",
    "'; DROP TABLE govsearch_searchdocument; --",
    "<script>alert(1)</script>",
    "社保\\",
    "a & b | !c",
    "()",
    "\u200b\u3000",
    "通政办发〔〕号",
    "zq s",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_art21_hostile_queries_give_a_normal_answer(sites, query):
    documents.write_documents([doc(1, sites[0], "社保卡申领", SENTENCE)])

    result = find(query)

    assert result.total >= 0
    assert SearchDocument.objects.count() == 1


def test_art21_unknown_facet_values_and_pages_are_harmless(sites):
    documents.write_documents([doc(1, sites[0], "社保卡申领")])

    result = services.search(
        SearchQuery(
            text="社保", filters={"site": "abc", "year": "'1", "bogus": "x"}, page=10_000, whole_platform=True
        )
    )

    assert result.total == 0 and result.page == services.MAX_PAGES


def test_art21_index_follows_publish_and_unpublish(publish_root, sites):
    chongchuan = sites[0]
    news = f.make_column(chongchuan.site.root_page, slug="news", title="政务动态")
    article = f.make_article(news, title="崇川区推进老旧小区改造", body="<p>今年改造老旧小区十二个。</p>")
    work_off_queue()
    assert find("老旧小区").total == 1
    assert SearchDocument.objects.get(page_id=article.pk).category == "news"

    article.unpublish()
    work_off_queue()
    assert find("老旧小区").total == 0


def test_art21_unreviewed_draft_is_never_indexed(publish_root, sites):
    news = f.make_column(sites[0].site.root_page, slug="news", title="政务动态")
    draft = f.make_article(news, title="尚未审核的草稿稿件", publish=False)

    documents.reindex()

    assert not SearchDocument.objects.filter(page_id=draft.pk).exists()
    assert find("草稿").total == 0


def test_art21_deleted_page_leaves_the_index(sites):
    news = f.make_column(sites[0].site.root_page, slug="news", title="政务动态")
    article = f.make_article(news, title="即将删除的稿件")
    documents.reindex()
    assert find("删除").total == 1

    article.delete()

    assert find("删除").total == 0


def test_art21_reindex_reports_progress_and_resumes(sites):
    news = f.make_column(sites[0].site.root_page, slug="news", title="政务动态")
    for number in range(5):
        f.make_article(news, title=f"第{number}期工作简报")
    seen: list[tuple[int, int]] = []

    class Stop(Exception):
        pass

    def interrupt(progress):
        seen.append((progress.done, progress.total))
        if progress.done >= 2:
            raise Stop

    with pytest.raises(Stop):
        documents.reindex(report=interrupt, batch=2)
    assert SearchDocument.objects.count() == 2

    run = documents.reindex(resume=True, report=lambda p: seen.append((p.done, p.total)), batch=2)

    assert run.done == 5 and run.finished_at is not None
    assert seen[-1] == (5, 5)
    assert find("工作简报").total == 5


def test_art21_many_matches_are_counted_as_a_lower_bound_and_old_rare_ones_still_found(sites, monkeypatch):
    from govsite.search import index

    monkeypatch.setattr(services, "FACET_CAP", 5)
    monkeypatch.setattr(index, "FIRST_WINDOW", 2)
    old = doc(1, sites[0], "滨江公园提升改造", published_at=timezone.now() - datetime.timedelta(days=3000))
    common = [doc(100 + n, sites[0], f"第{n}期政务动态", "全市政务动态") for n in range(12)]
    documents.write_documents([old, *common])

    many = find("政务动态")
    assert many.total == 5 and many.total_is_lower_bound

    rare = find("滨江公园")
    assert rare.total == 1 and not rare.total_is_lower_bound
    assert [hit.page_id for hit in rare.hits] == [1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_art21_a_fresh_bulk_build_ends_with_its_full_text_index(sites):
    """On PostgreSQL a fresh build copies the rows in and builds the GIN index of each partition
    once; a page that comes twice in the stream is updated, not doubled; whatever the database,
    the documents are found afterwards and the index is whole."""
    batches = [
        [doc(page_id, sites[0], f"第{page_id}号通知", SENTENCE) for page_id in range(1, 4)],
        [doc(2, sites[0], "第2号通知（修订）", SENTENCE + "O'Brien\\路")],
    ]

    assert documents.write_stream(batches) == 4

    result = find("惠企政策")
    assert result.total == 3
    assert "第2号通知（修订）" in titles(result)
    assert find("O'Brien").total == 1
    if index.vendor() == "postgresql":
        assert index.index_is_whole()
        assert SearchVector.objects.count() == 3


def test_art21_documents_far_apart_in_age_are_found_and_a_removed_one_leaves_no_trace(sites):
    """On PostgreSQL the index is partitioned by document id: a new document lands in a new
    partition (created on the way) and old and new are found together; removing a document
    removes its full-text row too."""
    documents.write_documents([doc(1, sites[0], "惠企政策兑现通知", SENTENCE)])
    if index.vendor() == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [index.TABLE, 2 * index.PARTITION_IDS + 5],
            )
    documents.write_documents([doc(2, sites[1], "惠企政策解读", SENTENCE)])

    assert sorted(titles(find("惠企政策"))) == ["惠企政策兑现通知", "惠企政策解读"]
    if index.vendor() == "postgresql":  # term ids are stored uncompressed, new partitions too
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT attstorage FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE a.attname = 'terms' AND c.relkind IN ('r', 'p') AND c.relname LIKE %s",
                [index.VECTOR_TABLE + "%"],
            )
            assert {row[0] for row in cursor.fetchall()} == {"e"}

    documents.remove_documents([1, 2])
    assert find("惠企政策").total == 0
    assert not SearchVector.objects.exists()
    assert not SearchDocument.objects.exists()


def test_art21_term_ids_are_sent_in_postgresqls_binary_array_form():
    """The bulk build sends each document's term ids as a binary `bigint[]`; the same ids come back
    out of it for an update, one id per word, different words different ids, none for no words."""
    words = ["社保", "t_社保", "zt政策", "O'Brien\\路", "了"]

    binary = index.terms_binary(words)

    assert index.terms_of_binary(binary) == [index.term_id(word) for word in words]
    assert len(set(index.terms_of_binary(binary))) == len(words)
    assert all(-(2**63) <= term < 2**63 for term in index.terms_of_binary(binary))
    assert index.terms_of_binary(index.terms_binary([])) == []
