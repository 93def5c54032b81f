"""Least privilege for the platform's own admin pages: a view is reached only by the users a
predicate admits (handlers, operators on duty...); anyone else gets Wagtail's "permission denied"."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from wagtail.admin.auth import permission_denied


def only_for(admits: Callable[[object], bool]) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not admits(request.user):
                return permission_denied(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
