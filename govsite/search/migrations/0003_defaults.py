"""Platform defaults: common synonyms of government services and Nantong's place and policy words.

Editors keep both lists in the admin (站内检索 → 同义词 / 检索词典); these are only a start.
"""

from django.db import migrations

SYNONYMS = [
    "社保，社会保险",
    "医保，医疗保险，基本医疗保险",
    "公积金，住房公积金",
    "户口，户籍",
    "身份证，居民身份证",
    "驾照，驾驶证，机动车驾驶证",
    "低保，最低生活保障",
    "养老金，退休金，基本养老金",
    "房产证，不动产权证书，不动产证",
    "营业执照，工商执照",
    "网签，网上签约",
    "12345，12345热线，政务服务便民热线",
]

WORDS = [
    ("紫琅湖", "place"),
    ("狼山", "place"),
    ("濠河", "place"),
    ("通州湾", "place"),
    ("通州湾示范区", "place"),
    ("苏锡通园区", "place"),
    ("南通创新区", "place"),
    ("崇川", "place"),
    ("海门", "place"),
    ("海安", "place"),
    ("如皋", "place"),
    ("如东", "place"),
    ("启东", "place"),
    ("放管服", "policy"),
    ("一网通办", "policy"),
    ("不见面审批", "policy"),
    ("一件事一次办", "policy"),
    ("营商环境", "policy"),
    ("惠企政策", "policy"),
    ("稳岗返还", "policy"),
    ("以旧换新", "policy"),
    ("政务服务", "service"),
    ("公积金提取", "service"),
    ("社保卡", "service"),
    ("人才公寓", "service"),
]


def seed(apps, schema_editor):
    from pypinyin import Style, lazy_pinyin

    synonym_group = apps.get_model("govsearch", "SynonymGroup")
    search_word = apps.get_model("govsearch", "SearchWord")
    search_term = apps.get_model("govsearch", "SearchTerm")
    terms = set()
    for words in SYNONYMS:
        synonym_group.objects.get_or_create(words=words)
        terms.update(words.split("，"))
    for word, kind in WORDS:
        search_word.objects.get_or_create(word=word, defaults={"kind": kind})
        terms.add(word)
    for term in sorted(terms):
        full = "".join(lazy_pinyin(term, errors="ignore")).lower()
        initials = "".join(lazy_pinyin(term, style=Style.FIRST_LETTER, errors="ignore")).lower()
        search_term.objects.get_or_create(
            term=term.lower(), defaults={"pinyin": full, "initials": initials, "weight": 1, "source": "default"}
        )


class Migration(migrations.Migration):
    dependencies = [("govsearch", "0002_fulltext")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
