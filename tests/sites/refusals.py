"""Assertions on refusals: each problem carries its code and one message in Chinese.

Shared by tests/sites and tests/content. `assert_refused(error, domain="domain_not_gov_cn")`
checks that the field has exactly one problem, with that code, in Chinese.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from wagtail.models import Page, Site

from govsite.sites.models import GovSite

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def assert_refused(error: ValidationError, *, exactly: bool = False, **codes: str) -> None:
    """Each named field carries exactly one problem with the given code and a Chinese message.

    With `exactly=True` no other field may carry a problem.
    """
    problems = error.error_dict
    for field, code in codes.items():
        assert field in problems, f"no problem reported for {field!r}; got {sorted(problems)}"
        assert [problem.code for problem in problems[field]] == [code], problems[field]
        for message in error.message_dict[field]:
            assert CHINESE.search(message), f"message for {field!r} is not Chinese: {message!r}"
    if exactly:
        assert set(problems) == set(codes), sorted(problems)


def stored_counts() -> tuple[int, int, int]:
    """How many Wagtail Sites, Pages and GovSites exist: a refusal must leave all three unchanged."""
    return Site.objects.count(), Page.objects.count(), GovSite.objects.count()
