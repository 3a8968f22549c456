import pytest

from tests.browser.accessibility import assert_accessible
from tests.factories import CallFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_shows_call_and_switches_to_french(page):
    CallFactory(title_en="AI clusters", title_fr="Clusters IA")

    page.goto("/")
    assert page.locator("h2").first.inner_text() == "AI clusters"
    with page.expect_navigation():
        page.select_option("#language-switcher select", "fr")
    assert_accessible(page)

    assert page.locator("h2").first.inner_text() == "Clusters IA"
