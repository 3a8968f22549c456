"""axe-core (WCAG 2.1 A and AA) inside the Playwright journeys.

`assert_accessible(page)` injects the vendored axe-core (tests/browser/vendor/axe.min.js,
tests only: never served to users) into the current document, runs the WCAG 2 and 2.1 A/AA
rules and fails with every violation listed (rule id, impact, targets, help).

Every document a journey loads must be checked: `track_documents(page)` gives each new
document an id (an init script) and reports its `load` to Python; `unchecked_documents`
lists those loaded but never checked, which the `page` fixture turns into a failure. The
fixture's `page.goto` checks the page it lands on; after a click that navigates, the
journey waits for the new page and calls `assert_accessible(page)` itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_DOCUMENT_ID_SCRIPT = """
if (window === window.top) {
  window.__a11yDocument = Math.random().toString(36).slice(2) + Date.now().toString(36);
  window.addEventListener("load", () => {
    window.__a11yLoaded(window.__a11yDocument, location.href);
  });
}
"""


@dataclass
class DocumentLog:
    """Documents loaded in a page (id → URL) and the ids axe has checked."""

    loaded: dict[str, str] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)


def track_documents(page: Any, *, origin: str) -> DocumentLog:
    """Record every top-level document of `origin` that finishes loading in `page`."""
    log = DocumentLog()

    def loaded(document_id: str, url: str) -> None:
        if url.startswith(origin):
            log.loaded[document_id] = url

    page.expose_function("__a11yLoaded", loaded)
    page.add_init_script(_DOCUMENT_ID_SCRIPT)
    page._a11y_log = log
    return log


def unchecked_documents(log: DocumentLog) -> list[str]:
    return [url for doc, url in log.loaded.items() if doc not in log.checked]


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG 2.1 A/AA violations axe finds in the page's current document."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's strict CSP does not
        # govern (a <script> tag would be an inline script, refused by script-src 'self').
        page.evaluate(_axe_source())
    return page.evaluate(
        """async (tags) => {
          const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
          return results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target, failureSummary: n.failureSummary})),
          }));
        }""",
        WCAG_TAGS,
    )


def assert_accessible(page: Any) -> None:
    """Fail with the violations axe finds (WCAG 2.1 A and AA) in the page as it is now."""
    violations = axe_violations(page)
    log: DocumentLog | None = getattr(page, "_a11y_log", None)
    if log is not None:
        log.checked.add(page.evaluate("window.__a11yDocument"))
    assert not violations, f"axe found violations on {page.url}:\n" + format_violations(violations)
