"""The static publisher's per-run cache, seen from the templates, views and models it renders.

While the publisher renders a batch of pages it gives every request the same dict as
`request.render_cache`, so what many pages share (a site's navigation, a column's ancestors and item
order) is computed once per run. A browser's request has no such cache and computes as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_cache(request) -> dict | None:
    """The publishing run's cache, or None outside a publishing run."""
    return getattr(request, "render_cache", None) if request is not None else None


def per_run(request, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()` once per publishing run for `key`; every time outside one."""
    cache = run_cache(request)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]
