"""A small demo dictionary for the wording scan (错敏字, gov-site-rules §5.1), written for the demo city.

Three parts, as operators keep them in the admin:

- common miswritten words (常见错别字) with their correct forms, shown as a warning; one of them
  (既使) with an allowed longer form (既使用) that is right and must not be flagged;
- wrong forms of fixed formulations and official names of the country, the city (南通) and its
  districts and departments (固定表述/机构名称), which block publication: §5.1 counts a
  严重表述错误 as a veto. Only forms that are wrong everywhere are listed (a "人民政府办公厅" is a real
  body in some places, so it is not here);
- sensitive words (敏感词): harmless stand-ins only, so that the repository holds nothing offensive;
  a real list is loaded by operators, never committed.

Loaded by the demo city's data command into `WordingEntry`, and used by tests as a ready dictionary.
"""

from __future__ import annotations

from govsite.monitoring.wording import Kind, Severity, WordingRule


def _miswritten(term: str, correction: str, *, allowed: tuple[str, ...] = ()) -> WordingRule:
    return WordingRule(term, Kind.MISWRITTEN, Severity.WARN, correction, allowed)


def _formulation(term: str, correction: str) -> WordingRule:
    return WordingRule(term, Kind.FORMULATION, Severity.BLOCK, correction)


def _sensitive(
    term: str, severity: Severity = Severity.BLOCK, *, allowed: tuple[str, ...] = ()
) -> WordingRule:
    return WordingRule(term, Kind.SENSITIVE, severity, allowed=allowed)


MISWRITTEN = [
    _miswritten("按装", "安装"),
    # "既使用传统渠道，又……" is right: 既 + 使用, not a miswritten 即使.
    _miswritten("既使", "即使", allowed=("既使用",)),
    _miswritten("凑和", "凑合"),
    _miswritten("一股作气", "一鼓作气"),
    _miswritten("迫不急待", "迫不及待"),
    _miswritten("再接再励", "再接再厉"),
    _miswritten("截止目前", "截至目前"),
    _miswritten("布署", "部署"),
    _miswritten("不径而走", "不胫而走"),
    _miswritten("座落", "坐落"),
    _miswritten("渡假村", "度假村"),
    _miswritten("寒喧", "寒暄"),
    _miswritten("饮鸠止渴", "饮鸩止渴"),
    _miswritten("谈笑风声", "谈笑风生"),
    _miswritten("挖墙角", "挖墙脚"),
    _miswritten("人才倍出", "人才辈出"),
    _miswritten("默守成规", "墨守成规"),
    _miswritten("明火执杖", "明火执仗"),
]

FORMULATIONS = [
    _formulation("中华人民共合国", "中华人民共和国"),
    _formulation("中华人民共和囯", "中华人民共和国"),
    _formulation("中国共产挡", "中国共产党"),
    _formulation("社会主义核心价值关", "社会主义核心价值观"),
    _formulation("全国人民代表大会长务委员会", "全国人民代表大会常务委员会"),
    _formulation("国务院办公庁", "国务院办公厅"),
    _formulation("政府信息公开条列", "政府信息公开条例"),
    _formulation("南通市人民正府", "南通市人民政府"),
    _formulation("南通市人民政付", "南通市人民政府"),
    _formulation("南通市人民政府办工室", "南通市人民政府办公室"),
    _formulation("崇川区人民政付", "崇川区人民政府"),
    _formulation("海门区人民正府", "海门区人民政府"),
]

SENSITIVE = [
    _sensitive("示例敏感词", allowed=("非示例敏感词",)),
    _sensitive("演示禁用词"),
    _sensitive("样例提示词", Severity.WARN),
]

DEMO_RULES: list[WordingRule] = [*MISWRITTEN, *FORMULATIONS, *SENSITIVE]
