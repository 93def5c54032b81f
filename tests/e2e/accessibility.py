"""Accessibility checks with axe-core (GB/T 37668, WCAG 2.x), run inside the page in Chromium.

axe-core comes from npm (package.json pins it; `scripts/test-services.sh` runs `npm ci`).
The site's Content-Security-Policy (script-src 'self') blocks an injected script tag, so the
pages that run axe come from a browser context opened with `bypass_csp=True` (the `page`
fixture); `strict_page` keeps the policy on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page) -> list[dict]:
    """Every axe-core violation on the page as it is now."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `bash scripts/test-services.sh` (npm ci)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return results["violations"]


def describe(violations: list[dict], *, max_nodes: int = 5) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:max_nodes]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:160]}")
        if len(violation["nodes"]) > max_nodes:
            lines.append(f"    … and {len(violation['nodes']) - max_nodes} more")
    return "\n".join(lines)


def assert_no_serious_axe_violations(page: Page) -> None:
    """Fail listing every axe violation whose impact is serious or critical."""
    blocking = [v for v in axe_violations(page) if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(
            f"{len(blocking)} serious/critical accessibility violation(s) on {page.url}:\n{describe(blocking)}",
            pytrace=False,
        )
