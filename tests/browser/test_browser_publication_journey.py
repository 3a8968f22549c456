"""After the decision: publication, letters, the public page and the exports, in Chromium
with a real Celery worker on Redis.

An administrator publishes a decided call from the programme page; the worker sends every
institution its decision letter; a coordinator reads the outcome of their bid and downloads
the letter; an anonymous visitor reads the public results; the administrator has the four
exports built by the worker and downloads them.
"""

import time

import pytest
from django.urls import reverse

from applications.models import Call
from review.models import CallExport, DecisionLetter
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login, login_with_totp
from tests.factories import PASSWORD
from tests.review.jury_setup import administrator_with_totp
from tests.review.letters_setup import coordinator_of, letter_call

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

EXPORT_TYPES = {
    CallExport.Kind.JURY_REPORT: "application/pdf",
    CallExport.Kind.SCORES: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CallExport.Kind.BIDS: "application/zip",
    CallExport.Kind.RESULTS: "text/csv",
}


def _wait(condition, *, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError("the worker did not finish in time")


def test_publish_letters_by_the_worker_outcome_public_page_and_exports(page, celery_worker_process):
    setup = letter_call()
    call = setup.call
    admin = administrator_with_totp()

    # 1. Publication from the programme page; the worker sends the letters.
    login_with_totp(page, user=admin, password=PASSWORD)
    page.goto(reverse("applications:programme_call", args=[call.slug]))
    with page.expect_navigation():
        page.click("button[name=transition][value=published]")
    assert_accessible(page)
    call.refresh_from_db()
    assert call.status == Call.Status.PUBLISHED
    letters = DecisionLetter.objects.filter(call=call)
    assert letters.count() == 4
    _wait(lambda: set(letters.values_list("status", flat=True)) == {"sent"})
    page.goto(reverse("review:call_letters", args=[call.slug]))
    assert page.locator("main").inner_text().count("Sent") >= 4

    # 2. The exports, built by the worker, downloaded.
    for kind in EXPORT_TYPES:
        page.goto(reverse("review:call_exports", args=[call.slug]))
        page.select_option("#export-form select[name=kind]", kind)
        with page.expect_navigation():
            page.click("#export-form [type=submit]")
        assert_accessible(page)
        # As a user would: wait until the page has reloaded itself with the finished export
        # (a navigation started while its script reloads the page is aborted).
        page.wait_for_selector("#export-progress", state="detached", timeout=60_000)
        page.wait_for_load_state("load")
        assert_accessible(page)
    _wait(lambda: CallExport.objects.filter(call=call, status="done").count() == 4)
    for export in CallExport.objects.filter(call=call):
        response = page.request.get(
            reverse("review:call_export_download", args=[call.slug, export.pk])
        )
        assert response.status == 200
        assert response.headers["content-type"].startswith(EXPORT_TYPES[export.kind])
        assert len(response.body()) == export.size

    # 3. The coordinator reads the outcome and downloads the letter.
    page.context.clear_cookies()
    coordinator = coordinator_of(setup.funded)
    login(page, email=coordinator.email, password=PASSWORD)
    page.goto(reverse("review:evaluation_summary", args=[setup.funded.public_id]))
    outcome = page.inner_text("main")
    assert f"Your bid {setup.funded.acronym} is selected for funding" in outcome
    letter = page.request.get(reverse("review:letter_download", args=[setup.funded.public_id]))
    assert letter.status == 200
    assert letter.body().startswith(b"%PDF-")

    # 4. An anonymous visitor reads the public results.
    page.context.clear_cookies()
    page.goto(reverse("results:call", args=[call.slug]))
    assert setup.funded.acronym in page.inner_text("main")
    assert setup.not_funded.acronym not in page.inner_text("main")
