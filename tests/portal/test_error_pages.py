"""Error pages under production settings: styled, in the visitor's language, no detail of what
failed; a refused request is logged as one line (portal.log.OneLineFormatter)."""

import logging

import pytest
from django.conf import settings as django_settings
from django.test import Client

from portal.log import OneLineFormatter
from tests.portal.error_urls import SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.error_urls")]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


@pytest.fixture
def visitor(production) -> Client:
    return Client(raise_request_exception=False)


def _body(response) -> str:
    return response.content.decode()


def _assert_no_detail(body: str) -> None:
    assert SECRET not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body
    assert "secret-detail" not in body


def test_500_is_styled_and_hides_the_error(visitor):
    response = visitor.get("/test-errors/crash/")

    body = _body(response)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "css/portal.css" in body
    _assert_no_detail(body)


def test_404_names_nothing_of_the_lookup(visitor):
    response = visitor.get("/test-errors/missing/")

    body = _body(response)
    assert response.status_code == 404
    assert "Page not found" in body
    _assert_no_detail(body)


def test_unknown_address_is_the_styled_404(visitor):
    response = visitor.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in _body(response)


def test_403_without_message_says_not_allowed(visitor):
    response = visitor.get("/test-errors/refuse/")

    assert response.status_code == 403
    assert "You do not have access to this page or action." in _body(response)


def test_400_hides_the_suspicious_detail(visitor):
    response = visitor.get("/test-errors/suspicious/")

    body = _body(response)
    assert response.status_code == 400
    assert "Request not understood" in body
    _assert_no_detail(body)


def test_csrf_failure_is_the_portal_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/test-errors/form/", {})

    assert response.status_code == 403
    assert "Form expired" in _body(response)
    assert "<style" not in _body(response)


@pytest.mark.parametrize("path", ["/test-errors/crash/", "/test-errors/missing/"])
def test_error_pages_in_french(visitor, path):
    response = visitor.get(path, HTTP_ACCEPT_LANGUAGE="fr")

    body = _body(response)
    assert '<html lang="fr">' in body
    assert "Portail IA-cluster" in body
    _assert_no_detail(body)


@pytest.mark.parametrize("path", ["/test-errors/crash/", "/test-errors/missing/"])
def test_error_pages_in_english(visitor, path):
    body = _body(visitor.get(path, HTTP_ACCEPT_LANGUAGE="en"))

    assert '<html lang="en">' in body
    assert "IA-cluster portal" in body


def _formatted(caplog) -> list[str]:
    config = django_settings.LOGGING["formatters"]["one_line"]
    formatter = OneLineFormatter(config["format"])
    return [
        formatter.format(record) for record in caplog.records if record.name.startswith("django")
    ]


@pytest.mark.parametrize(
    ("path", "logger", "ending"),
    [
        ("/test-errors/refuse/", "django.request", "(PermissionDenied)"),
        ("/test-errors/missing/", "django.request", "Not Found: /test-errors/missing/"),
        (
            "/test-errors/suspicious/",
            "django.security.SuspiciousOperation",
            "(SuspiciousOperation)",
        ),
    ],
)
def test_a_refused_request_is_logged_as_one_line(visitor, caplog, path, logger, ending):
    with caplog.at_level(logging.INFO):
        visitor.get(path)

    lines = _formatted(caplog)
    assert len(lines) == 1
    assert "\n" not in lines[0]
    assert f" {logger} " in lines[0]
    assert lines[0].endswith(ending)


def test_a_csrf_failure_is_logged_as_one_line(caplog):
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.INFO):
        client.post("/test-errors/form/", {})

    lines = _formatted(caplog)
    assert len(lines) == 1
    assert " django.security.csrf " in lines[0]
    assert "\n" not in lines[0]


def test_a_server_error_keeps_its_traceback(visitor, caplog):
    with caplog.at_level(logging.INFO):
        visitor.get("/test-errors/crash/")

    lines = _formatted(caplog)
    assert len(lines) == 1
    assert "Traceback" in lines[0]
    assert "RuntimeError" in lines[0]


def test_the_console_handler_uses_the_one_line_formatter():
    handler = django_settings.LOGGING["handlers"]["console"]

    assert handler["formatter"] == "one_line"
    assert django_settings.LOGGING["formatters"]["one_line"]["()"] == "portal.log.OneLineFormatter"
