"""The axe-core check itself: it reports what it should, and unchecked pages are caught."""

import pytest

from tests.browser.accessibility import DocumentLog, assert_accessible, unchecked_documents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_assert_accessible_fails_on_low_contrast_with_rule_and_target(page):
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<p id="pale" style="color: #bbb">Too pale to read</p></main></body></html>'
    )

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)

    assert "- color-contrast (serious)" in str(failure.value)
    assert "#pale" in str(failure.value)


def test_assert_accessible_passes_on_the_home_page(page):
    page.goto("/")  # the fixture's goto runs axe already; once more explicitly

    assert_accessible(page)


def test_unchecked_documents_lists_loaded_pages_axe_never_saw():
    log = DocumentLog(loaded={"a": "http://x/one/", "b": "http://x/two/"}, checked={"a"})

    assert unchecked_documents(log) == ["http://x/two/"]
