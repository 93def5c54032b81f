"""Least privilege for the platform's own admin pages: a view is reached only by the users a
predicate admits (handlers, operators on duty...); anyone else gets Wagtail's "permission denied".
The menu item of such a page is shown to the same users, by the same predicate."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from wagtail.admin.auth import permission_denied
from wagtail.admin.menu import MenuItem

Predicate = Callable[[object], bool]


def only_for(admits: Predicate) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not admits(request.user):
                return permission_denied(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class PermittedMenuItem(MenuItem):
    """An admin menu item shown only to the users `predicate` admits: pass the predicate that guards
    the page's view with `only_for`, so that the menu never offers a page its user cannot open."""

    def __init__(self, label: str, url: str, *, predicate: Predicate, **options) -> None:
        super().__init__(label, url, **options)
        self.predicate = predicate

    def is_shown(self, request: HttpRequest) -> bool:
        return self.predicate(request.user)
