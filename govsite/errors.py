"""Error answers the framework gives before a view runs, in Chinese and without a trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseForbidden
from django.template.loader import render_to_string


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseForbidden:
    """A form sent without its security token (an expired page, a forged post): nothing is stored."""
    return HttpResponseForbidden(render_to_string("errors/csrf.html"))
