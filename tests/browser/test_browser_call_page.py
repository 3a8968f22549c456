"""A visitor reads the call's page (countdown, grid, questions, a template to download) and
the legal pages from the footer; every page passes axe (WCAG 2.1 AA)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import CallFAQ
from applications.services.call_documents import add_call_document
from tests.browser.accessibility import assert_accessible
from tests.factories import AdministratorFactory, CallFactory, CriterionFactory, make_pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_reads_the_call_page_downloads_a_template_and_the_legal_pages(page):
    call = CallFactory(
        title_en="AI clusters",
        closes_at=timezone.now() + timedelta(days=3, hours=2),
        rules_en="One bid per lead institution.\n\nPartners sign the consortium agreement.",
        contact_email="ia-cluster@agency.example.fr",
    )
    CriterionFactory(call=call, name_en="Excellence", weight=2, order=1)
    CriterionFactory(call=call, name_en="Impact", weight=1, order=2)
    for order, question in enumerate(["Who may apply?", "Can a bid be changed?"], start=1):
        CallFAQ.objects.create(
            call=call,
            question_en=question,
            question_fr=question,
            answer_en="Yes.",
            answer_fr="Oui.",
            order=order,
        )
    add_call_document(
        call=call,
        title_en="Full rules",
        title_fr="Règlement complet",
        upload=SimpleUploadedFile("rules.pdf", make_pdf_bytes(2)),
        by=AdministratorFactory(),
    )

    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name="AI clusters").click()
    assert_accessible(page)

    assert page.locator("h1").inner_text() == "AI clusters"
    page.wait_for_function(
        "document.querySelector('.countdown').textContent.startsWith('Closes in 3 days')"
    )
    assert page.locator("#criteria tbody tr").count() == 2
    assert page.locator("#criteria .share").all_inner_texts() == ["67\u00a0%", "33\u00a0%"]
    assert page.locator("#rules p").count() == 2
    page.locator("#faq summary", has_text="Can a bid be changed?").click()
    assert page.locator("#faq details").nth(1).get_attribute("open") is not None
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Full rules").click()
    assert download_info.value.suggested_filename == "Full rules.pdf"

    for link, heading in [
        ("Legal notice", "Legal notice"),
        ("Personal data", "Personal data"),
        ("Accessibility: partially compliant", "Accessibility statement"),
    ]:
        with page.expect_navigation():
            page.locator("#legal-links").get_by_role("link", name=link).click()
        assert_accessible(page)
        assert page.locator("h1").inner_text() == heading
