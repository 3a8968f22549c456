"""Playwright journeys in Debian's Chromium (/usr/bin/chromium) against Django's live server.

Playwright's sync API runs an event loop in this thread, so Django's async-safety guard is
lifted for these tests only.
"""

import os
from collections.abc import Iterator
from functools import wraps
from pathlib import Path

import pytest

from tests.browser.accessibility import assert_accessible, track_documents, unchecked_documents

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request, settings) -> Iterator[object]:
    settings.PORTAL_SITE_URL = live_server.url  # links in e-mails lead to this server
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    documents = track_documents(page, origin=live_server.url)
    page.goto = _checking_goto(page)
    yield page
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    unchecked = []
    if call is not None and call.passed:
        page.wait_for_load_state("load")
        page.evaluate("0")  # delivers the last documents' load reports
        unchecked = unchecked_documents(documents)
    context.close()
    assert not unchecked, "pages loaded but never checked by assert_accessible: " + ", ".join(
        unchecked
    )


def _checking_goto(page):
    """`page.goto` that runs axe on the page it lands on (see tests/browser/accessibility.py)."""
    goto = page.goto

    @wraps(goto)
    def checked_goto(url: str, **kwargs):
        response = goto(url, **kwargs)
        assert_accessible(page)
        return response

    return checked_goto


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def login(page, *, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form [type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert_accessible(page)
