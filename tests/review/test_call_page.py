"""The call's public page: open to every visitor for a call that is not a draft, with its
rules (escaped), grid, dates, documents, questions and contact; documents checked from their
content on upload and served under a safe name with their checked content type."""

import io
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from applications.admin import CallDocumentForm
from applications.models import Call, CallDocument, CallFAQ
from applications.services.call_documents import add_call_document, check_call_document
from tests.factories import (
    AdministratorFactory,
    CallFactory,
    CriterionFactory,
    MembershipFactory,
    make_pdf_bytes,
)
from tests.review.jury_setup import administrator_with_totp, juror_with_totp

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Budget"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _pdf_upload(name: str = "template.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf_bytes(2), content_type="application/pdf")


def _document(call: Call, **kwargs) -> CallDocument:
    kwargs.setdefault("title_en", "Budget template")
    kwargs.setdefault("title_fr", "Modèle de budget")
    kwargs.setdefault("upload", SimpleUploadedFile("budget.xlsx", _xlsx_bytes()))
    return add_call_document(call=call, by=AdministratorFactory(), **kwargs)


def _page(client, call: Call):
    return client.get(reverse("calls:page", args=[call.slug]))


# --------------------------------------------------------------------------- who sees it


@pytest.mark.parametrize(
    "status",
    [Call.Status.OPEN, Call.Status.CLOSED, Call.Status.UNDER_REVIEW, Call.Status.PUBLISHED],
)
def test_call_page_is_public_once_the_call_is_not_a_draft(client, status):
    call = CallFactory(status=status, title_en="AI clusters, wave 2")

    response = _page(client, call)

    assert response.status_code == 200
    assert "AI clusters, wave 2" in response.content.decode()


def test_call_page_and_its_documents_are_404_for_a_draft(client):
    call = CallFactory(status=Call.Status.DRAFT)
    document = _document(call)

    page = _page(client, call)
    download = client.get(reverse("calls:document", args=[call.slug, document.pk]))

    assert [page.status_code, download.status_code] == [404, 404]


def test_call_page_is_404_for_an_unknown_call(client):
    assert client.get(reverse("calls:page", args=["no-such-call"])).status_code == 404


def test_every_visitor_reads_the_call_page_with_or_without_totp(client):
    call = CallFactory()
    visitors = [
        None,
        MembershipFactory().user,
        juror_with_totp(call=call).user,
        AdministratorFactory(),  # staff without TOTP: the gate lets public pages through
        administrator_with_totp(),
    ]
    codes = []
    for visitor in visitors:
        client.logout()
        if visitor is not None:
            client.force_login(visitor)
        codes.append(_page(client, call).status_code)

    assert codes == [200] * len(visitors)


def test_call_page_refuses_post(client):
    call = CallFactory()

    assert client.post(reverse("calls:page", args=[call.slug])).status_code == 405


# --------------------------------------------------------------------------- content


def test_call_page_shows_rules_as_escaped_paragraphs(client):
    call = CallFactory(
        rules_en="Bids are led by one institution.\n\n<script>alert(1)</script> Partners sign.",
    )

    html = _page(client, call).content.decode()

    assert "<p>Bids are led by one institution.</p>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Partners sign." in html


def test_call_page_shows_rules_in_french_for_a_french_reader(client):
    call = CallFactory(rules_en="English rules.", rules_fr="Règlement en français.")

    html = client.get(
        reverse("calls:page", args=[call.slug]), headers={"accept-language": "fr"}
    ).content.decode()

    assert "Règlement en français." in html
    assert "English rules." not in html


def test_call_page_shows_criteria_with_weights_and_their_share(client):
    call = CallFactory()
    CriterionFactory(call=call, code="excellence", name_en="Excellence", weight=3, order=1)
    CriterionFactory(call=call, code="impact", name_en="Impact", weight=1, order=2)

    response = _page(client, call)

    grid = response.context["page"].grid
    assert [(line.criterion.code, line.share) for line in grid] == [
        ("excellence", Decimal(75)),
        ("impact", Decimal(25)),
    ]
    html = response.content.decode()
    assert "Excellence" in html
    assert "75&nbsp;%" in html
    assert "25&nbsp;%" in html


def test_call_page_states_the_dates_in_paris_time_with_the_zone(client):
    call = CallFactory(
        opens_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        closes_at=datetime(2027, 6, 30, 21, 59, tzinfo=UTC),
    )

    html = _page(client, call).content.decode()

    assert "5 January 2026, 10:00 CET (Europe/Paris)" in html
    assert "30 June 2027, 23:59 CEST (Europe/Paris)" in html


def test_call_page_counts_down_while_the_call_accepts_bids(client):
    call = CallFactory(closes_at=timezone.now() + timedelta(days=40))

    response = _page(client, call)

    seconds = response.context["seconds_left"]
    assert 40 * 86400 - 60 < seconds <= 40 * 86400
    assert f'data-seconds-left="{seconds}"' in response.content.decode()
    assert "js/countdown.js" in response.content.decode()


def test_call_page_has_no_countdown_once_the_deadline_passed(client):
    call = CallFactory(
        opens_at=timezone.now() - timedelta(days=60), closes_at=timezone.now() - timedelta(days=1)
    )

    response = _page(client, call)

    assert response.context["seconds_left"] is None
    assert "data-seconds-left" not in response.content.decode()
    assert "no longer accepts bids" in response.content.decode()


def test_call_page_lists_documents_questions_in_order_and_the_contact(client):
    call = CallFactory(contact_email="ia-cluster@agency.example.fr")
    _document(call, title_en="Budget template", order=2)
    _document(call, title_en="Full rules", upload=_pdf_upload(), order=1)
    CallFAQ.objects.create(
        call=call,
        question_en="Second?",
        question_fr="Deux ?",
        answer_en="B",
        answer_fr="B",
        order=2,
    )
    CallFAQ.objects.create(
        call=call, question_en="First?", question_fr="Un ?", answer_en="A", answer_fr="A", order=1
    )

    response = _page(client, call)

    page = response.context["page"]
    assert [d.title_en for d in page.documents] == ["Full rules", "Budget template"]
    assert [f.question_en for f in page.faqs] == ["First?", "Second?"]
    html = response.content.decode()
    assert 'href="mailto:ia-cluster@agency.example.fr"' in html
    assert html.index("First?") < html.index("Second?")


@pytest.mark.parametrize("size", [1, 4])
def test_call_page_queries_do_not_grow_with_its_content(
    client, django_assert_max_num_queries, size
):
    call = CallFactory()
    for n in range(size):
        CriterionFactory(call=call)
        _document(call, title_en=f"Template {n}")
        CallFAQ.objects.create(
            call=call, question_en=f"Q{n}", question_fr="Q", answer_en="A", answer_fr="A"
        )

    with django_assert_max_num_queries(5):
        response = _page(client, call)

    assert len(response.context["page"].faqs) == size


# --------------------------------------------------------------------------- documents


def test_document_downloads_under_its_title_with_its_checked_type(client):
    call = CallFactory()
    document = _document(
        call, title_en='Budget: "template" v2', upload=SimpleUploadedFile("x.pdf", _xlsx_bytes())
    )

    response = client.get(reverse("calls:document", args=[call.slug, document.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="Budget- -template- v2.xlsx"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == document.file.open("rb").read()


def test_document_of_another_call_is_404(client):
    call, other = CallFactory(), CallFactory()
    document = _document(other)

    response = client.get(reverse("calls:document", args=[call.slug, document.pk]))

    assert response.status_code == 404


def test_document_is_stored_under_a_random_name_with_the_checked_extension():
    document = _document(CallFactory(), upload=SimpleUploadedFile("../../evil.sh", _xlsx_bytes()))

    assert document.file.name.endswith(".xlsx")
    assert "evil" not in document.file.name
    assert document.original_name == "evil.sh"
    assert (document.extension, document.content_type) == ("xlsx", XLSX)


def test_check_accepts_pdf_and_opendocument():
    pdf = check_call_document(upload=_pdf_upload())
    ods = check_call_document(
        upload=SimpleUploadedFile(
            "a.ods",
            _zip_bytes(
                {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""}
            ),
        )
    )

    assert (pdf.extension, pdf.content_type) == ("pdf", "application/pdf")
    assert ods.extension == "ods"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<html><script>alert(1)</script></html>", "not_accepted"),
        (b"", "empty"),
        (_zip_bytes({"readme.txt": b"hello"}), "not_accepted"),
        (
            _zip_bytes(
                {"[Content_Types].xml": b"", "word/document.xml": b"", "word/vbaProject.bin": b""}
            ),
            "macros",
        ),
        (b"PK\x03\x04 not really a zip", "not_accepted"),
    ],
)
def test_check_refuses_what_is_not_an_accepted_document(content, code):
    with pytest.raises(ValidationError) as caught:
        check_call_document(upload=SimpleUploadedFile("budget.pdf", content))

    assert caught.value.code == code


def test_check_refuses_a_file_over_the_portal_limit(settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 1000

    with pytest.raises(ValidationError) as caught:
        check_call_document(upload=SimpleUploadedFile("b.xlsx", _xlsx_bytes()))

    assert caught.value.code == "too_large"


# --------------------------------------------------------------------------- admin


def test_admin_call_page_offers_documents_and_questions(client):
    call = CallFactory()
    client.force_login(administrator_with_totp())

    response = client.get(reverse("admin:applications_call_change", args=[call.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="documents-TOTAL_FORMS"' in html
    assert 'name="faqs-TOTAL_FORMS"' in html
    assert 'name="rules_fr"' in html
    assert reverse("calls:page", args=[call.slug]) in html


def _call_admin_post(client, call: Call, **extra) -> dict:
    url = reverse("admin:applications_call_change", args=[call.pk])
    initial = client.get(url).context["adminform"].form.initial
    form = {k: v for k, v in initial.items() if v is not None}
    form.pop("review_deadline", None)
    form.pop("overall_threshold", None)
    form.update(
        {
            "opens_at_0": "2026-01-05",
            "opens_at_1": "10:00:00",
            "closes_at_0": "2030-03-01",
            "closes_at_1": "12:00:00",
            "required_attachments-TOTAL_FORMS": "0",
            "required_attachments-INITIAL_FORMS": "0",
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "faqs-TOTAL_FORMS": "0",
            "faqs-INITIAL_FORMS": "0",
            **extra,
        }
    )
    return form


@pytest.mark.parametrize(
    ("content", "saved"), [(_xlsx_bytes(), True), (b"<html>not a sheet</html>", False)]
)
def test_admin_uploads_a_document_and_a_question_on_the_call(client, content, saved):
    call = CallFactory()
    client.force_login(administrator_with_totp())
    form = _call_admin_post(
        client,
        call,
        rules_en="Read the rules.",
        contact_email="ia-cluster@agency.example.fr",
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-order": "1",
            "documents-0-title_en": "Budget template",
            "documents-0-title_fr": "Modèle de budget",
            "documents-0-file": SimpleUploadedFile("budget.xlsx", content),
            "faqs-TOTAL_FORMS": "1",
            "faqs-0-order": "1",
            "faqs-0-question_en": "Who may apply?",
            "faqs-0-question_fr": "Qui peut candidater ?",
            "faqs-0-answer_en": "Universities.",
            "faqs-0-answer_fr": "Les universités.",
        },
    )

    response = client.post(reverse("admin:applications_call_change", args=[call.pk]), form)

    call.refresh_from_db()
    if saved:
        assert response.status_code == 302
        assert (call.rules_en, call.contact_email) == (
            "Read the rules.",
            "ia-cluster@agency.example.fr",
        )
        (document,) = call.documents.all()
        assert (document.extension, document.original_name) == ("xlsx", "budget.xlsx")
        assert [f.question_en for f in call.faqs.all()] == ["Who may apply?"]
    else:
        assert response.status_code == 200
        assert "not an accepted document" in response.content.decode()
        assert not call.documents.exists()
        assert call.rules_en == ""


def test_admin_document_form_records_the_checked_format():
    call = CallFactory()
    form = CallDocumentForm(
        data={"order": 1, "title_en": "Template", "title_fr": "Modèle"},
        files={"file": SimpleUploadedFile("t.docx", _xlsx_bytes())},
        instance=CallDocument(call=call),
    )

    assert form.is_valid(), form.errors
    document = form.save()

    assert (document.extension, document.content_type, document.original_name) == (
        "xlsx",
        XLSX,
        "t.docx",
    )
    assert document.file.name.endswith(".xlsx")


def test_admin_document_form_refuses_a_disguised_file_with_the_reason():
    form = CallDocumentForm(
        data={"order": 1, "title_en": "Template", "title_fr": "Modèle"},
        files={"file": SimpleUploadedFile("t.pdf", b"<html></html>")},
        instance=CallDocument(call=CallFactory()),
    )

    assert not form.is_valid()
    assert "not an accepted document" in form.errors["file"][0]


# --------------------------------------------------------------------------- links


def test_home_page_links_to_each_call_page(client):
    call = CallFactory()

    html = client.get(reverse("home")).content.decode()

    assert reverse("calls:page", args=[call.slug]) in html


def test_institution_dashboard_links_to_the_call_page(client):
    call = CallFactory()
    client.force_login(MembershipFactory().user)

    html = client.get(reverse("applications:dashboard")).content.decode()

    assert reverse("calls:page", args=[call.slug]) in html
