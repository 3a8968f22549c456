"""An administrator imports the jury from a spreadsheet, in Chromium: template, upload,
the preview with a bad row named, the import, the jurors listed and invited."""

import pytest
from django.core import mail
from django.urls import reverse

from review.models import JurorProfile
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login_with_totp
from tests.factories import PASSWORD, BidFactory, CallFactory
from tests.review.jury_setup import administrator_with_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_imports_jurors_from_a_table(page, tmp_path):
    call = CallFactory()
    BidFactory(call=call, acronym="ALPHA")
    table = tmp_path / "jury.csv"
    table.write_text(
        "name,email,country,affiliations,conflicts\n"
        "Ada Lovelace,ada@example.org,United Kingdom,University of London (2015-2022),ALPHA\n"
        "Grace Hopper,grace@example.org,United States,,\n"
        "Nobody,not-an-address,,,\n",
        encoding="utf-8",
    )
    login_with_totp(page, user=administrator_with_totp(), password=PASSWORD)

    page.goto(reverse("review:juror_list"))
    with page.expect_navigation():
        page.click("text=Import jurors from a table")
    assert_accessible(page)
    page.select_option("#id_call", str(call.pk))
    page.set_input_files("#id_file", str(table))
    with page.expect_navigation():
        page.click("button:has-text('Check the table')")
    assert_accessible(page)

    rows = page.locator("#import-rows tbody tr")
    assert rows.count() == 3
    bad = page.locator("#import-rows tr[data-row='4']")
    assert "is not a valid e-mail address" in bad.inner_text()
    assert "The country is missing." in bad.inner_text()
    assert JurorProfile.objects.count() == 0  # nothing written before confirming

    with page.expect_navigation():
        page.click("button:has-text('Import 2 jurors and send the invitations')")
    assert_accessible(page)
    assert "2 new jurors invited" in page.locator("main").inner_text()
    assert "Ada Lovelace" in page.locator("main").inner_text()
    assert set(JurorProfile.objects.filter(calls=call).values_list("user__email", flat=True)) == {
        "ada@example.org",
        "grace@example.org",
    }
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.org",
        "grace@example.org",
    ]
