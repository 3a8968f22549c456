"""The CSP allows no inline script, style or event handler: no template may carry one, including
the pages other branches add later (this scans the whole templates/ tree)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))

# <script> without src (and not a JSON data block such as json_script's), <style>, style="…",
# on…="…" handlers, javascript: URLs.
FORBIDDEN = {
    "inline <script>": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
    ),
    "<style> block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_are_found():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_template_has_no_inline_script_or_style(path):
    text = path.read_text(encoding="utf-8")

    found = [
        f"{what} at line {text[: match.start()].count(chr(10)) + 1}"
        for what, pattern in FORBIDDEN.items()
        for match in pattern.finditer(text)
    ]

    assert found == []


def test_the_scan_catches_what_the_csp_blocks():
    samples = [
        '<div style="width: 3%">',
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<select onchange="this.form.submit()">',
        '<a href="javascript:void(0)">',
    ]

    caught = [any(p.search(sample) for p in FORBIDDEN.values()) for sample in samples]

    assert caught == [True] * len(samples)


def test_the_scan_allows_external_and_data_scripts():
    samples = [
        "<script src=\"{% static 'js/portal.js' %}\"></script>",
        '<script id="data" type="application/json">{}</script>',
    ]

    assert [any(p.search(s) for p in FORBIDDEN.values()) for s in samples] == [False, False]


def test_vendored_files_reference_no_missing_source_map():
    # The manifest storage fails on a sourceMappingURL whose .map is not in static/.
    for path in Path(settings.BASE_DIR, "static").rglob("*"):
        if path.suffix in {".css", ".js"}:
            for name in re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", path.read_text()):
                assert (path.parent / name).exists(), f"{path}: {name}"
