"""Playwright journeys in Debian's Chromium (/usr/bin/chromium) against Django's live server.

Playwright's sync API runs an event loop in this thread, so Django's async-safety guard is
lifted for these tests only.
"""

import os
import time
from collections.abc import Iterator
from functools import wraps
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.urls import reverse

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
    _wait_for_requests_in_flight()
    assert not unchecked, "pages loaded but never checked by assert_accessible: " + ", ".join(
        unchecked
    )


def _wait_for_requests_in_flight(timeout: float = 10.0) -> None:
    """Let the live server finish what the closed page last sent (an autosave retry, say).

    The flush after the test truncates every table at once; on PostgreSQL, a request still
    writing in the server's thread at that moment can deadlock with it and fail the flush.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite's flush waits on its own busy timeout
    deadline = time.monotonic() + timeout
    quiet_polls = 0
    with connection.cursor() as cursor:
        while quiet_polls < 3 and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                " AND state <> 'idle'"
            )
            quiet_polls = quiet_polls + 1 if cursor.fetchone()[0] == 0 else 0
            time.sleep(0.05)


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


def totp_code(user) -> str:
    """The code an authenticator app would show now, from the secret allauth stored.

    allauth accepts the current 30-second step only (no tolerance): when the step is about
    to end, wait for the next one so that the code is still valid when it is typed.
    """
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 5:
        time.sleep(period - time.time() % period + 0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def login_with_totp(page, *, user, password: str) -> None:
    """Password, then the authenticator's code, as a juror or an administrator signs in."""
    login(page, email=user.email, password=password)
    page.wait_for_url(f"**{reverse('mfa_authenticate')}")
    page.fill("input[name=code]", totp_code(user))
    page.click("main form [type=submit]")
    page.wait_for_load_state()
    assert_accessible(page)
