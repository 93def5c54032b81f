"""The wording scan engine (错敏字, gov-site-rules §5.1; Art. 23 daily inspection): pure, no database."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from govsite.monitoring.wording import (
    Kind,
    Severity,
    WordingHit,
    WordingRule,
    WordingScanner,
    normalize,
    term_spellings,
    visible_text,
)
from govsite.monitoring.wording_demo import DEMO_RULES

DEMO = WordingScanner(DEMO_RULES)


def rule(term: str, correction: str = "", **kwargs) -> WordingRule:
    kwargs.setdefault("kind", Kind.MISWRITTEN)
    kwargs.setdefault("severity", Severity.WARN)
    return WordingRule(term, correction=correction, **kwargs)


def found(hits: list[WordingHit]) -> list[tuple[str, int, int]]:
    return [(hit.rule.term, hit.start, hit.end) for hit in hits]


# --- §5.1: what the check in the issue asks --------------------------------------------------------


def test_sec5_1_planted_miswritten_official_name_is_caught_with_its_correction():
    text = "为贯彻落实南通市人民正府关于优化营商环境的部署，现将有关事项通知如下。"
    [hit] = DEMO.scan(text)
    assert hit.rule.kind == Kind.FORMULATION
    assert hit.rule.correction == "南通市人民政府"
    assert text[hit.start : hit.end] == "南通市人民正府"
    assert hit.message == "固定表述错误：「南通市人民正府」应为「南通市人民政府」。"


def test_sec5_1_wrong_official_formulation_blocks_publication_and_miswriting_only_warns():
    hits = DEMO.scan("根据《中华人民共合国政府信息公开条例》，按装工作再接再励。")
    assert [hit.rule.term for hit in WordingScanner.blocks(hits)] == ["中华人民共合国"]
    assert [hit.rule.term for hit in WordingScanner.warnings(hits)] == ["按装", "再接再励"]
    assert [hit.rule.correction for hit in hits] == ["中华人民共和国", "安装", "再接再厉"]
    assert hits[0].blocks and not hits[1].blocks


def test_sec5_1_correct_text_has_no_hits():
    text = "南通市人民政府办公室关于印发《中华人民共和国政府信息公开条例》实施办法的通知。即使困难再多，也要再接再厉。"
    assert DEMO.scan(text) == []


def test_sec5_1_sensitive_stand_in_is_found_without_a_correction():
    [hit] = DEMO.scan("本页含有示例敏感词一处。")
    assert hit.rule.kind == Kind.SENSITIVE
    assert hit.rule.correction == ""
    assert hit.message == "敏感词：「示例敏感词」，请修改或删除。"


def test_demo_dictionary_is_well_formed():
    assert len(DEMO_RULES) >= 30
    assert len(DEMO) == len(DEMO_RULES)  # no duplicates
    for entry in DEMO_RULES:
        assert entry.term.strip() == entry.term
        assert (entry.correction == "") == (entry.kind == Kind.SENSITIVE)
        assert entry.correction != entry.term
        assert all(entry.term in form for form in entry.allowed)
    assert {entry.kind for entry in DEMO_RULES} == set(Kind)
    assert DEMO.scan("".join(entry.correction for entry in DEMO_RULES)) == []


# --- allowed longer forms --------------------------------------------------------------------------


def test_allowed_longer_form_suppresses_the_hit_inside_it():
    text = "既使用线上渠道，又使用线下窗口；既使下雨也照常办理。"
    hits = DEMO.scan(text)
    assert found(hits) == [("既使", 16, 18)]
    assert hits[0].rule.correction == "即使"


def test_allowed_form_of_one_rule_does_not_hide_another_rules_hit():
    scanner = WordingScanner([rule("部署", kind=Kind.SENSITIVE, allowed=("部署会",)), rule("署会", "x")])
    assert found(scanner.scan("召开部署会")) == [("署会", 3, 5)]


def test_allowed_form_only_suppresses_hits_wholly_inside_it():
    scanner = WordingScanner([rule("ABC", "x", allowed=("XAB",))])
    assert found(scanner.scan("XABC")) == [("ABC", 1, 4)]
    assert scanner.scan("XAB") == []


def test_many_allowed_matches_are_all_suppressed():
    scanner = WordingScanner([rule("部署", kind=Kind.SENSITIVE, allowed=("部署会",))])
    text = "部署会" * 20_000 + "部署"
    assert found(scanner.scan(text)) == [("部署", 60_000, 60_002)]


# --- width folding ---------------------------------------------------------------------------------


def test_full_width_letters_and_digits_match_half_width_terms():
    scanner = WordingScanner([rule("GDP增速2025", "GDP增长率")])
    text = "今年ＧＤＰ增速２０２５预计"
    [hit] = scanner.scan(text)
    assert (hit.start, hit.end) == (2, 11)
    assert hit.found == "ＧＤＰ增速２０２５"
    assert hit.excerpt == "今年【ＧＤＰ增速２０２５】预计"


def test_full_width_term_matches_half_width_text():
    scanner = WordingScanner([rule("ＧＤＰ增速", "GDP增长率")])
    assert found(scanner.scan("GDP增速")) == [("ＧＤＰ增速", 0, 5)]


def test_punctuation_in_a_term_matches_either_width():
    scanner = WordingScanner([rule("(试行)", "（试行）", kind=Kind.FORMULATION)])
    assert len(scanner.scan("办法（试行）")) == 1
    assert len(scanner.scan("办法(试行)")) == 1
    assert len(scanner.scan("办法（试行)")) == 1
    assert sorted(term_spellings("(试行)")) == ["(试行)", "(试行）", "（试行)", "（试行）"]


def test_kangxi_radical_and_compatibility_ideograph_are_folded():
    scanner = WordingScanner([rule("人民正府", "人民政府")])
    assert len(scanner.scan("南通市\u2f08民正府")) == 1  # ⼈ KANGXI RADICAL MAN
    assert normalize("\uf90a") == "金"  # CJK COMPATIBILITY IDEOGRAPH-F90A


def test_normalize_keeps_length_and_chinese_punctuation():
    text = "ＧＤＰ增长５％，①项目……㈠㎡　完成。"
    folded = normalize(text)
    assert len(folded) == len(text)
    assert folded == "GDP增长5％，1项目……㈠㎡　完成。"
    plain = "南通市人民政府，2025年。"
    assert normalize(plain) is plain  # nothing to fold: no copy


def test_offsets_refer_to_the_original_text_after_folding_and_astral_characters():
    scanner = WordingScanner([rule("按装", "安装")])
    text = "𠀀𠀁Ａ１按装"
    [hit] = scanner.scan(text)
    assert text[hit.start : hit.end] == "按装"
    assert hit.start == 4


# --- overlapping terms -----------------------------------------------------------------------------


def test_longest_term_at_a_position_wins():
    scanner = WordingScanner([rule("人民正府", "人民政府"), rule("南通市人民正府", "南通市人民政府")])
    assert found(scanner.scan("南通市人民正府")) == [("南通市人民正府", 0, 7)]
    assert found(scanner.scan("如东县人民正府")) == [("人民正府", 3, 7)]


def test_leftmost_hit_wins_over_an_overlapping_later_one():
    scanner = WordingScanner([rule("ABC", "x"), rule("CDE", "y")])
    assert found(scanner.scan("ABCDE CDE")) == [("ABC", 0, 3), ("CDE", 6, 9)]


def test_duplicate_terms_keep_the_most_severe_rule():
    warn = rule("布署", "部署")
    block = rule("布署", "部署", kind=Kind.FORMULATION, severity=Severity.BLOCK, rule_id=7)
    scanner = WordingScanner([warn, block, rule("布署", "别的", rule_id=8)])
    assert len(scanner) == 1
    [hit] = scanner.scan("统一布署")
    assert hit.rule.rule_id == 7


def test_duplicates_of_equal_severity_keep_the_first():
    scanner = WordingScanner([rule("布署", "部署", rule_id=1), rule(" 布署 ", "部署", rule_id=2)])
    assert [entry.rule_id for entry in scanner.rules] == [1]


# --- HTML ------------------------------------------------------------------------------------------


def test_html_tags_and_script_contents_are_ignored_but_visible_text_is_scanned():
    html = (
        "<h1>通知</h1><p>按照<b>南通市人民</b>正府要求</p>"
        "<script>var s = '按装';</script><style>.按装{}</style><!-- 按装 -->"
        '<p title="按装">请及时更新</p>'
    )
    hits = DEMO.scan_html(html)
    assert [hit.rule.term for hit in hits] == ["南通市人民正府"]
    text = visible_text(html)
    assert text[hits[0].start : hits[0].end] == "南通市人民正府"


def test_html_entities_are_unescaped_before_scanning():
    [hit] = DEMO.scan_html("<p>&#25353;&#35013;完毕 &amp; 验收</p>")
    assert hit.rule.term == "按装"


def test_html_paragraph_boundary_does_not_join_words():
    assert DEMO.scan_html("<p>按</p><p>装</p>") == []
    assert DEMO.scan_html("<li>按</li><li>装</li>") == []
    assert visible_text("<p>a</p><p>b<br>c</p>") == "a\nb\nc\n"


def test_html_unclosed_script_hides_the_rest_and_broken_markup_does_not_raise():
    assert DEMO.scan_html("<p>正文</p><script>按装") == []
    assert isinstance(DEMO.scan_html("</script></p><p <b>按装</b"), list)
    assert DEMO.scan_html("<<>>&&;;&#xZZ;&#99999999;") == []


# --- excerpts --------------------------------------------------------------------------------------


def test_excerpt_marks_the_term_with_context_on_both_sides():
    text = "一二三四五六七八九十一二三四五六七八九十按装一二三四五六七八九十一二三四五六七八九十"
    [hit] = DEMO.scan(text)
    assert hit.excerpt == "…六七八九十一二三四五六七八九十【按装】一二三四五六七八九十一二三四五…"


def test_excerpt_at_text_edges_and_newlines():
    [hit] = DEMO.scan("按装\n\n  完毕")
    assert hit.excerpt == "【按装】 完毕"


# --- empty and hostile input -----------------------------------------------------------------------


def test_empty_dictionary_finds_nothing():
    scanner = WordingScanner([])
    assert len(scanner) == 0
    assert scanner.scan("南通市人民正府") == []
    assert scanner.scan_html("<p>按装</p>") == []


def test_blank_terms_are_skipped():
    scanner = WordingScanner([rule(""), rule("   "), rule("\u3000\t"), rule("按装", "安装")])
    assert len(scanner) == 1
    assert found(scanner.scan("  按装  ")) == [("按装", 2, 4)]


def test_empty_and_punctuation_only_text():
    assert DEMO.scan("") == []
    assert DEMO.scan("，。、；：？！“”‘’（）《》【】……——" * 1000) == []
    assert DEMO.scan_html("") == []


def test_very_long_text_with_hits_at_both_ends():
    filler = "政府信息公开工作年度报告，" * 80_000  # about 1 million characters
    text = "按装" + filler + "再接再励"
    hits = DEMO.scan(text)
    assert found(hits) == [("按装", 0, 2), ("再接再励", len(text) - 4, len(text))]


def test_odd_unicode_does_not_break_offsets():
    text = "e\u0301\u200b\u202e\U0001f600\u0000\ud800\U0010ffff按装\ufeff"
    [hit] = DEMO.scan(text)
    assert text[hit.start : hit.end] == "按装"
    assert DEMO.scan("\U0001f600" * 10_000) == []


def test_term_with_odd_unicode_is_found():
    scanner = WordingScanner([rule("\U0001f600按\u0301", "x")])
    text = "前\U0001f600按\u0301后"
    [hit] = scanner.scan(text)
    assert (hit.start, hit.end) == (1, 4)


# --- the engine agrees with a plain reference implementation ----------------------------------------

ALPHABET = "按装安ＡA１1，,（("


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def reference_scan(rules: list[WordingRule], text: str) -> list[tuple[str, int, int]]:
    """Leftmost-longest by brute force over NFKC-folded characters (no allowed forms)."""

    terms = {nfkc(entry.term): entry.term for entry in rules if entry.term.strip()}
    folded = nfkc(text)
    hits, position = [], 0
    while position < len(folded):
        for length in sorted({len(term) for term in terms}, reverse=True):
            piece = folded[position : position + length]
            if len(piece) == length and piece in terms:
                hits.append((terms[piece], position, position + length))
                position += length
                break
        else:
            position += 1
    return hits


@given(
    terms=st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=4), max_size=6, unique_by=nfkc),
    text=st.text(alphabet=ALPHABET, max_size=60),
)
def test_scan_matches_a_brute_force_reference(terms: list[str], text: str):
    rules = [rule(term, "x") for term in terms]
    assert found(WordingScanner(rules).scan(text)) == reference_scan(rules, text)
