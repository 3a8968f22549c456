"""The whole bid as the jury reads it: preview, the draft's PDF, history and differences."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from applications.models import BidSection, BudgetLine
from applications.services.bids import save_section
from applications.services.submission import submit_bid, undo_withdrawal, withdraw_bid
from tests.applications.bidkit import complete_bid, make_cast
from tests.factories import AdministratorFactory, AssignmentFactory, ConflictDeclarationFactory

pytestmark = pytest.mark.django_db

ACTIVATION = "/accounts/2fa/totp/activate/"


@pytest.fixture
def cast():
    return make_cast(complete_bid())


def _url(name, bid, *args):
    return reverse(f"applications:{name}", args=[bid.public_id, *args])


def _write(bid, key, text, by):
    section = BidSection.objects.get(bid=bid, key=key)
    save_section(bid=bid, key=key, content=text, version=section.version, by=by)


@pytest.fixture
def submitted(cast):
    """Version 1 submitted, then the working copy changed."""
    _write(cast.bid, "research", "Version one research.", cast.editor)
    submit_bid(bid=cast.bid, by=cast.coordinator)
    _write(cast.bid, "research", "Draft research, <script>alert(1)</script> added.", cast.editor)
    return cast


def _assign(cast):
    """The juror assigned to the bid, having declared no conflict: reads it on the jury's side."""
    profile = cast.juror.juror_profile
    AssignmentFactory(bid=cast.bid, juror=profile)
    ConflictDeclarationFactory(bid=cast.bid, juror=profile)


PAGES = [
    ("bid_preview", ()),
    ("bid_version_preview", (1,)),
    ("bid_draft_pdf", ()),
    ("bid_history", ()),
    ("bid_compare", ()),
]


# --------------------------------------------------------------------------- who may read


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_reading_page_anonymous_goes_to_login(client, submitted, name, args):
    response = client.get(_url(name, submitted.bid, *args))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "args"), PAGES)
@pytest.mark.parametrize("role", ["other", "juror"])
def test_reading_page_outsider_gets_404(client, submitted, name, args, role):
    client.force_login(submitted.user(role))

    response = client.get(_url(name, submitted.bid, *args))

    assert response.status_code == 404


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_reading_page_assigned_juror_gets_404(client, submitted, name, args):
    _assign(submitted)
    client.force_login(submitted.juror)

    response = client.get(_url(name, submitted.bid, *args))

    assert response.status_code == 404


@pytest.mark.parametrize(("name", "args"), PAGES)
@pytest.mark.parametrize("role", ["reader", "editor", "coordinator", "partner", "administrator"])
def test_reading_page_viewer_gets_200(client, submitted, name, args, role):
    client.force_login(submitted.user(role))

    response = client.get(_url(name, submitted.bid, *args))

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_reading_page_administrator_without_totp_goes_to_activation(
    client, submitted, settings, name, args
):
    settings.PORTAL_DEMO_RELAX_MFA = False
    client.force_login(AdministratorFactory())

    response = client.get(_url(name, submitted.bid, *args))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{ACTIVATION}?next=")


def test_version_preview_unknown_version_is_404(client, submitted):
    client.force_login(submitted.reader)

    response = client.get(_url("bid_version_preview", submitted.bid, 9))

    assert response.status_code == 404


# --------------------------------------------------------------------------- the preview


def test_preview_renders_the_working_copy_with_the_jurors_templates(client, submitted):
    client.force_login(submitted.reader)

    response = client.get(_url("bid_preview", submitted.bid))

    html = response.content.decode()
    templates = [t.name for t in response.templates]
    assert "partials/bid_reading_head.html" in templates
    assert "partials/bid_reading_body.html" in templates
    assert "Draft research, &lt;script&gt;alert(1)&lt;/script&gt; added." in html
    assert "<script>alert(1)" not in html
    assert "Version one research." not in html
    assert "scientific.pdf" in html


def test_version_preview_shows_the_frozen_text_as_the_juror_reads_it(client, submitted):
    _assign(submitted)
    client.force_login(submitted.juror)
    juror_page = client.get(reverse("review:bid_detail", args=[submitted.bid.public_id]))
    client.force_login(submitted.reader)

    response = client.get(_url("bid_version_preview", submitted.bid, 1))

    html = response.content.decode()
    assert "Version one research." in html
    assert "Draft research" not in html
    assert "This is the last submitted version: the one the jury reads." in html
    # The same rendering: the research section's block is identical on both pages.
    block = '<h2 class="h5">Research excellence</h2>'
    assert block in juror_page.content.decode()
    juror_section = juror_page.content.decode().split(block)[1].split("</section>")[0]
    assert html.split(block)[1].split("</section>")[0] == juror_section


def test_preview_links_unchanged_files_to_the_institutions_download(client, submitted):
    client.force_login(submitted.reader)
    attachment = submitted.bid.attachments.get()

    response = client.get(_url("bid_version_preview", submitted.bid, 1))

    assert (
        _url("bid_attachment_download", submitted.bid, attachment.pk) in response.content.decode()
    )


def test_draft_pdf_is_the_working_copy_headed_as_a_draft(client, submitted):
    client.force_login(submitted.partner)

    response = client.get(_url("bid_draft_pdf", submitted.bid))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('-draft.pdf"')
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "the working copy, not submitted" in " ".join(text.split())
    assert "Draft research" in text
    assert "Version one research." not in text


# --------------------------------------------------------------------------- history


def test_history_lists_versions_and_withdrawals_with_who_and_when(client, submitted):
    withdraw_bid(bid=submitted.bid, reason="Merging with a partner.", by=submitted.coordinator)
    undo_withdrawal(bid=submitted.bid, by=submitted.coordinator)
    client.force_login(submitted.reader)

    response = client.get(_url("bid_history", submitted.bid))

    html = response.content.decode()
    kinds = [event.kind for event in response.context["events"]]
    assert kinds == ["restored", "withdrawn", "submitted"]
    assert "Merging with a partner." in html
    assert submitted.coordinator.email in html
    assert "Version 1 submitted" in html


def test_history_shows_who_last_edited_each_section(client, submitted):
    client.force_login(submitted.reader)

    response = client.get(_url("bid_history", submitted.bid))

    edits = dict(response.context["section_edits"])
    assert edits["Research excellence"].updated_by == submitted.editor
    assert submitted.editor.email in response.content.decode()


@pytest.mark.parametrize("versions", [1, 3])
def test_history_query_count_does_not_grow_with_versions(
    client, cast, django_assert_max_num_queries, versions
):
    for number in range(versions):
        # A resubmission of unchanged content returns the last version: change a section.
        BidSection.objects.update_or_create(
            bid=cast.bid, key="summary", defaults={"content": f"Take {number}."}
        )
        submit_bid(bid=cast.bid, by=cast.coordinator)
    client.force_login(cast.reader)

    with django_assert_max_num_queries(16):
        response = client.get(_url("bid_history", cast.bid))

    assert len(response.context["events"]) == versions


# --------------------------------------------------------------------------- differences


def test_compare_defaults_to_last_version_against_the_working_copy(client, submitted):
    client.force_login(submitted.reader)

    response = client.get(_url("bid_compare", submitted.bid))

    research = next(s for s in response.context["comparison"].sections if s.key == "research")
    assert research.changed
    html = response.content.decode()
    assert (
        "<del>Version one research.</del>"
        "<ins>Draft research, &lt;script&gt;alert(1)&lt;/script&gt; added.</ins>"
    ) in html
    assert "<script>alert(1)" not in html


def test_compare_escapes_html_in_both_deleted_and_inserted_text(client, cast):
    _write(cast.bid, "research", "<b>old</b> text", cast.editor)
    submit_bid(bid=cast.bid, by=cast.coordinator)
    _write(cast.bid, "research", "<i>new</i> text", cast.editor)
    client.force_login(cast.reader)

    response = client.get(_url("bid_compare", cast.bid))

    html = response.content.decode()
    assert "<del>&lt;b&gt;old&lt;/b&gt; </del><ins>&lt;i&gt;new&lt;/i&gt; </ins>text" in html


def test_compare_budget_cell_by_cell_with_formatted_amounts(client, cast):
    submit_bid(bid=cast.bid, by=cast.coordinator)
    BudgetLine.objects.create(bid=cast.bid, year=2, category="equipment", requested=2_500_000)
    client.force_login(cast.reader)

    response = client.get(_url("bid_compare", cast.bid))

    assert response.context["comparison"].budget == [
        {
            "year": 2,
            "category": "Equipment and computing",
            "old_requested": 0,
            "new_requested": 2_500_000,
            "old_cofunding": 0,
            "new_cofunding": 0,
        }
    ]
    assert "<ins>€2,500,000</ins>" in response.content.decode()


def test_compare_two_versions(client, submitted):
    submit_bid(bid=submitted.bid, by=submitted.coordinator)
    client.force_login(submitted.partner)

    response = client.get(_url("bid_compare", submitted.bid), {"old": "2", "new": "1"})

    assert response.status_code == 200
    assert "<ins>Version one research.</ins>" in response.content.decode()


def test_compare_same_state_says_identical(client, submitted):
    client.force_login(submitted.reader)

    response = client.get(_url("bid_compare", submitted.bid), {"old": "1", "new": "1"})

    assert 'id="compare-identical"' in response.content.decode()


def test_compare_unknown_version_rerenders_with_a_message(client, submitted):
    client.force_login(submitted.reader)

    response = client.get(_url("bid_compare", submitted.bid), {"old": "7", "new": "draft"})

    assert response.status_code == 400
    assert "Select a valid choice. 7 is not one of the available choices." in (
        response.content.decode()
    )


def test_compare_without_versions_says_nothing_to_compare(client, cast):
    client.force_login(cast.reader)

    response = client.get(_url("bid_compare", cast.bid))

    assert 'id="nothing-to-compare"' in response.content.decode()
