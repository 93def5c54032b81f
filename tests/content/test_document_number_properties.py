"""Generated 文号 (GB/T 9704-2012 §7.2.3): 机关代字 + 〔year in full〕 + serial without 第 or leading zeros + 号."""

from __future__ import annotations

from django.utils import timezone
from hypothesis import assume, given
from hypothesis import strategies as st

from govsite.content.services import document_number_problem

# Agency codes are Chinese characters (“第” never belongs to an agency code: it is refused anywhere).
AGENCY_CHARACTERS = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(lambda c: c != "第")
AGENCIES = st.one_of(
    st.sampled_from(["通政办发", "通政发", "国办发", "国办秘函", "苏政办发", "通财预", "通政办函"]),
    st.text(AGENCY_CHARACTERS, min_size=1, max_size=12),
)
YEARS = st.integers(min_value=1949, max_value=timezone.localdate().year)
SERIALS = st.integers(min_value=1, max_value=99999)


def number(agency: str, year: int, serial: str) -> str:
    return f"{agency}〔{year}〕{serial}号"


@given(AGENCIES, YEARS, SERIALS)
def test_every_well_formed_document_number_is_accepted(agency, year, serial):
    assert document_number_problem(number(agency, year, str(serial))) is None


@given(AGENCIES, YEARS, st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=4))
def test_serial_with_leading_zeros_is_refused(agency, year, serial, zeros):
    padded = "0" * zeros + str(serial)
    assume(len(padded) <= 5)  # “089号”, “0089号”: the serial padded within its five digits
    problem = document_number_problem(number(agency, year, padded))
    assert problem is not None and problem.code == "document_number_leading_zero"


@given(AGENCIES, YEARS, SERIALS)
def test_serial_with_di_is_refused(agency, year, serial):
    problem = document_number_problem(number(agency, year, f"第{serial}"))
    assert problem is not None and problem.code == "document_number_di"


@given(
    AGENCIES,
    YEARS,
    SERIALS,
    st.sampled_from(
        [("[", "]"), ("(", ")"), ("（", "）"), ("【", "】"), ("［", "］"), ("〈", "〉"), ("﹝", "﹞")]
    ),
)
def test_year_in_other_brackets_is_refused(agency, year, serial, brackets):
    opening, closing = brackets
    problem = document_number_problem(f"{agency}{opening}{year}{closing}{serial}号")
    assert problem is not None and problem.code == "document_number_brackets"


@given(AGENCIES, st.integers(min_value=0, max_value=99), SERIALS)
def test_year_written_short_is_refused(agency, short_year, serial):
    problem = document_number_problem(number(agency, short_year, str(serial)))
    assert problem is not None and problem.code == "document_number_format"


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_never_an_exception(text):
    problem = document_number_problem(text)
    assert problem is None or problem.code.startswith("document_number_")
