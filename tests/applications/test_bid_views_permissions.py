"""Every bid view × every role: who sees, who edits, who submits."""

import pytest
from django.urls import reverse

from applications.models import BidSection
from tests.applications.bidkit import attach, complete_bid, make_cast, pdf_upload

pytestmark = pytest.mark.django_db

VIEWERS = ["reader", "editor", "coordinator", "partner", "administrator"]
OUTSIDERS = ["other", "juror"]


@pytest.fixture
def cast():
    return make_cast(complete_bid())


def _url(name, bid, *args):
    return reverse(f"applications:{name}", args=[bid.public_id, *args])


READ_PAGES = [
    ("bid_detail", ()),
    ("bid_consortium", ()),
    ("bid_section", ("summary",)),
    ("bid_budget", ()),
    ("bid_attachments", ()),
]


@pytest.mark.parametrize(("name", "args"), READ_PAGES)
def test_read_page_anonymous_redirects_to_login(client, cast, name, args):
    response = client.get(_url(name, cast.bid, *args))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "args"), READ_PAGES)
@pytest.mark.parametrize("role", OUTSIDERS)
def test_read_page_outsider_gets_404(client, cast, name, args, role):
    client.force_login(cast.user(role))

    response = client.get(_url(name, cast.bid, *args))

    assert response.status_code == 404


@pytest.mark.parametrize(("name", "args"), READ_PAGES)
@pytest.mark.parametrize("role", VIEWERS)
def test_read_page_viewer_gets_200(client, cast, name, args, role):
    client.force_login(cast.user(role))

    response = client.get(_url(name, cast.bid, *args))

    assert response.status_code == 200


@pytest.mark.parametrize("role", ["reader", "partner", "administrator"])
def test_section_page_read_only_roles_see_no_save_button(client, cast, role):
    client.force_login(cast.user(role))

    response = client.get(_url("bid_section", cast.bid, "summary"))

    assert b'id="save-section"' not in response.content
    assert b"data-autosave-url" not in response.content


def test_section_page_editor_gets_autosave_form(client, cast):
    client.force_login(cast.editor)

    response = client.get(_url("bid_section", cast.bid, "summary"))

    assert b'id="save-section"' in response.content
    assert b"data-autosave-url" in response.content


def _edit_requests(bid):
    """(name, url, data) of every POST that changes the bid's content."""
    section = BidSection.objects.get(bid=bid, key="summary")
    attachment = bid.attachments.first()
    return {
        "consortium": (
            _url("bid_consortium", bid),
            {
                "acronym": "NEW",
                "title": "New title",
                "requested_amount": "50000000",
                "minimum_amount": "30000000",
                "version": bid.consortium_version,
            },
        ),
        "section": (
            _url("bid_section", bid, "summary"),
            {"content": "Edited.", "version": section.version},
        ),
        "budget": (_url("bid_budget", bid), {"version": bid.budget_version}),
        "upload": (_url("bid_attachments", bid), {"file": pdf_upload("extra.pdf")}),
        "delete": (_url("bid_attachment_delete", bid, attachment.pk), {}),
    }


EDITS = ["consortium", "section", "budget", "upload", "delete"]


@pytest.mark.parametrize("edit", EDITS)
def test_edit_anonymous_redirects_to_login(client, cast, edit):
    url, data = _edit_requests(cast.bid)[edit]

    response = client.post(url, data)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("role", OUTSIDERS)
def test_edit_outsider_gets_404(client, cast, edit, role):
    client.force_login(cast.user(role))
    url, data = _edit_requests(cast.bid)[edit]

    response = client.post(url, data)

    assert response.status_code == 404


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("role", ["reader", "partner", "administrator"])
def test_edit_read_only_role_gets_403(client, cast, edit, role):
    client.force_login(cast.user(role))
    url, data = _edit_requests(cast.bid)[edit]

    response = client.post(url, data)

    assert response.status_code == 403


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("role", ["editor", "coordinator"])
def test_edit_writer_is_redirected_after_saving(client, cast, edit, role):
    client.force_login(cast.user(role))
    url, data = _edit_requests(cast.bid)[edit]

    response = client.post(url, data)

    assert response.status_code == 302


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("other", 404),
        ("juror", 404),
        ("reader", 403),
        ("partner", 403),
        ("administrator", 403),
        ("editor", 200),
        ("coordinator", 200),
    ],
)
def test_autosave_by_role(client, cast, role, status):
    client.force_login(cast.user(role))
    section = BidSection.objects.get(bid=cast.bid, key="summary")

    response = client.post(
        _url("bid_section_autosave", cast.bid, "summary"),
        {"content": "Typed.", "version": section.version},
    )

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


COORDINATOR_ACTIONS = ["bid_submit", "bid_withdraw", "bid_withdraw_undo"]


@pytest.mark.parametrize("name", COORDINATOR_ACTIONS)
def test_coordinator_action_anonymous_redirects_to_login(client, cast, name):
    response = client.post(_url(name, cast.bid), {"reason": "x"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("name", COORDINATOR_ACTIONS)
@pytest.mark.parametrize("role", OUTSIDERS)
def test_coordinator_action_outsider_gets_404(client, cast, name, role):
    client.force_login(cast.user(role))

    response = client.post(_url(name, cast.bid), {"reason": "x"})

    assert response.status_code == 404


@pytest.mark.parametrize("name", COORDINATOR_ACTIONS)
@pytest.mark.parametrize("role", ["reader", "editor", "partner", "administrator"])
def test_coordinator_action_non_coordinator_gets_403(client, cast, name, role):
    client.force_login(cast.user(role))

    response = client.post(_url(name, cast.bid), {"reason": "x"})

    assert response.status_code == 403
    cast.bid.refresh_from_db()
    assert cast.bid.status == "draft"


def test_submit_coordinator_creates_version(client, cast):
    client.force_login(cast.coordinator)

    response = client.post(_url("bid_submit", cast.bid))

    assert response.status_code == 302
    assert cast.bid.versions.count() == 1


def test_withdraw_page_coordinator_gets_form(client, cast):
    client.force_login(cast.coordinator)
    client.post(_url("bid_submit", cast.bid))

    response = client.get(_url("bid_withdraw", cast.bid))

    assert response.status_code == 200
    assert b'name="reason"' in response.content


@pytest.fixture
def submitted(cast, client):
    client.force_login(cast.coordinator)
    client.post(_url("bid_submit", cast.bid))
    client.logout()
    return cast


@pytest.mark.parametrize("role", OUTSIDERS)
def test_receipt_outsider_gets_404(client, submitted, role):
    client.force_login(submitted.user(role))

    response = client.get(_url("bid_receipt", submitted.bid, 1))

    assert response.status_code == 404


def test_receipt_anonymous_redirects_to_login(client, submitted):
    response = client.get(_url("bid_receipt", submitted.bid, 1))

    assert response.status_code == 302


@pytest.mark.parametrize("role", VIEWERS)
def test_receipt_viewer_downloads_pdf(client, submitted, role):
    client.force_login(submitted.user(role))

    response = client.get(_url("bid_receipt", submitted.bid, 1))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_receipt_unknown_version_is_404(client, submitted):
    client.force_login(submitted.coordinator)

    response = client.get(_url("bid_receipt", submitted.bid, 7))

    assert response.status_code == 404


@pytest.mark.parametrize("role", OUTSIDERS)
def test_attachment_download_outsider_gets_404(client, cast, role):
    client.force_login(cast.user(role))
    attachment = cast.bid.attachments.first()

    response = client.get(_url("bid_attachment_download", cast.bid, attachment.pk))

    assert response.status_code == 404


def test_attachment_download_anonymous_redirects_to_login(client, cast):
    attachment = cast.bid.attachments.first()

    response = client.get(_url("bid_attachment_download", cast.bid, attachment.pk))

    assert response.status_code == 302


@pytest.mark.parametrize("role", VIEWERS)
def test_attachment_download_viewer_streams_pdf(client, cast, role):
    client.force_login(cast.user(role))
    attachment = cast.bid.attachments.first()

    response = client.get(_url("bid_attachment_download", cast.bid, attachment.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="scientific.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_attachment_download_of_another_bid_is_404(client, cast):
    """An attachment id of bid B through the URL of bid A (which the user may see) → 404."""
    foreign = attach(complete_bid(), name="secret.pdf")
    client.force_login(cast.coordinator)

    response = client.get(_url("bid_attachment_download", cast.bid, foreign.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("count", [1, 5])
def test_detail_page_query_count_does_not_grow_with_versions(
    client, django_assert_max_num_queries, count
):
    from applications.services.submission import submit_bid

    cast = make_cast(complete_bid())
    for number in range(count):
        # Each version with new content: unchanged content resubmitted keeps the version.
        BidSection.objects.filter(bid=cast.bid, key="summary").update(content=f"Draft {number}.")
        submit_bid(bid=cast.bid, by=cast.coordinator)
    client.force_login(cast.coordinator)

    # 16: the unsubmitted-changes check reads accepted partners and external partners.
    with django_assert_max_num_queries(16):
        response = client.get(_url("bid_detail", cast.bid))

    assert len(response.context["versions"]) == count


@pytest.mark.parametrize("count", [1, 5])
def test_attachments_page_query_count_does_not_grow_with_files(
    client, django_assert_max_num_queries, count
):
    cast = make_cast(complete_bid())
    for _ in range(count):
        attach(cast.bid)
    client.force_login(cast.editor)

    with django_assert_max_num_queries(7):
        response = client.get(_url("bid_attachments", cast.bid))

    assert len(response.context["extras"]) == count


@pytest.mark.django_db
def test_bid_page_administrator_without_totp_is_sent_to_activation(client, settings):
    from tests.factories import AdministratorFactory, BidFactory

    settings.PORTAL_DEMO_RELAX_MFA = False
    bid = BidFactory()
    client.force_login(AdministratorFactory())

    response = client.get(f"/bids/{bid.public_id}/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
