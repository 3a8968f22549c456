"""Request-level tests: reading a bid, its PDFs, the review form, the other reviews, reopening."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from applications.models import Attachment, Call
from review.models import Assignment, ConflictDeclaration, Review, ReviewReopening
from tests.factories import ConflictFactory, JurorProfileFactory
from tests.review.jury_setup import administrator_with_totp, institution_member, juror_with_totp
from tests.review.review_setup import panel, review_post, write_review

pytestmark = pytest.mark.django_db


def _urls(bid):
    return {
        "detail": reverse("review:bid_detail", args=[bid.public_id]),
        "download": reverse("review:download_attachment", args=[bid.public_id, 0]),
        "review": reverse("review:review_form", args=[bid.public_id]),
        "reviews": reverse("review:bid_reviews", args=[bid.public_id]),
    }


def _outsider(kind, p):
    """Users who must get nothing from the bid's jury pages."""
    if kind == "member":
        return institution_member(bid=p.bid)
    juror = juror_with_totp(call=p.call)
    if kind == "confirmed_conflict":
        Assignment.objects.create(juror=juror, bid=p.bid)
        ConflictDeclaration.objects.create(juror=juror, bid=p.bid, has_conflict=False)
        ConflictFactory(juror=juror, bid=p.bid, status="confirmed")
    elif kind == "declared_conflict":
        Assignment.objects.create(juror=juror, bid=p.bid)
        ConflictDeclaration.objects.create(
            juror=juror, bid=p.bid, has_conflict=True, kind="collaboration", reason="Co-author"
        )
    return juror.user


@pytest.mark.parametrize("page", ["detail", "download", "review", "reviews"])
def test_jury_bid_pages_redirect_anonymous_to_login(client, page):
    p = panel(jurors=1)

    response = client.get(_urls(p.bid)[page])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "kind", ["member", "unassigned", "confirmed_conflict", "declared_conflict"]
)
@pytest.mark.parametrize("page", ["detail", "download", "review", "reviews"])
def test_jury_bid_pages_are_not_found_for_outsiders(client, kind, page):
    p = panel(jurors=1)
    write_review(p.assignments[0], Decimal(4))
    client.force_login(_outsider(kind, p))

    response = client.get(_urls(p.bid)[page])

    assert response.status_code == 404


@pytest.mark.parametrize(
    "kind", ["member", "unassigned", "confirmed_conflict", "declared_conflict"]
)
def test_review_form_post_is_refused_to_outsiders(client, kind):
    p = panel(jurors=1)
    client.force_login(_outsider(kind, p))

    response = client.post(_urls(p.bid)["review"], review_post(p.call, {0: "3"}, action="save"))

    assert response.status_code == 404
    assert Review.objects.count() == 0


def test_bid_detail_shows_only_title_and_summary_before_declaration(client):
    p = panel(jurors=1, declared=False)
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["detail"])

    content = response.content.decode()
    assert response.status_code == 200
    assert ("A short public summary." in content, "Secret research plan." in content) == (
        True,
        False,
    )
    assert reverse("review:declare_conflict", args=[p.bid.public_id]) in content


@pytest.mark.parametrize("page", ["download", "review", "reviews"])
def test_jury_pages_beyond_summary_are_forbidden_before_declaration(client, page):
    p = panel(jurors=1, declared=False)
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)[page])

    assert response.status_code == 403


def test_bid_detail_shows_the_submitted_version_after_declaration(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["detail"])

    content = response.content.decode()
    assert response.status_code == 200
    assert "Secret research plan." in content
    assert "scientific-document.pdf" in content
    assert "Partner lab" in content


def test_download_streams_the_submitted_pdf_to_a_declared_juror(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["download"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_download_refuses_an_index_beyond_the_submitted_version(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)

    response = client.get(reverse("review:download_attachment", args=[p.bid.public_id, 1]))

    assert response.status_code == 404


def test_download_serves_the_submitted_file_even_after_the_row_is_replaced(client):
    p = panel(jurors=1)
    Attachment.objects.filter(bid=p.bid).delete()  # replaced after submission; file kept
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["download"])

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="scientific-document.pdf"'


def test_download_refuses_a_file_whose_hash_does_not_match_the_snapshot(client):
    p = panel(jurors=1)
    stored = p.bid.versions.get().snapshot["attachments"][0]["file"]
    with default_storage.open(stored, "wb") as handle:
        handle.write(b"%PDF-tampered")
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["download"])

    assert response.status_code == 404


def test_administrator_reads_the_bid_and_its_pdf(client):
    p = panel(jurors=1)
    client.force_login(administrator_with_totp())

    detail = client.get(_urls(p.bid)["detail"])
    download = client.get(_urls(p.bid)["download"])

    assert (detail.status_code, download.status_code) == (200, 200)
    assert "Secret research plan." in detail.content.decode()


def test_administrator_does_not_score(client):
    p = panel(jurors=1)
    client.force_login(administrator_with_totp())

    response = client.get(_urls(p.bid)["review"])

    assert response.status_code == 403


def test_juror_without_totp_is_sent_to_activation(client):
    p = panel(jurors=1)
    p.jurors[0].user.authenticator_set.all().delete()
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["review"])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


# ---------------------------------------------------------------- review form


def test_review_form_shows_criteria_descriptors_and_guidance(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["review"])

    content = response.content.decode()
    assert response.status_code == 200
    assert "Guidance for criterion 0" in content
    assert "Very good" in content


def test_save_draft_accepts_partial_input(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)

    response = client.post(
        _urls(p.bid)["review"], review_post(p.call, {0: "3.5"}, {0: "Good"}, action="save")
    )

    review = Review.objects.get()
    assert response.status_code == 302
    assert (review.status, review.version, review.bid_version) == (
        Review.Status.DRAFT,
        1,
        p.bid.versions.get(),
    )
    assert sorted((s.value, s.comment) for s in review.scores.all() if s.value) == [
        (Decimal("3.5"), "Good")
    ]


def test_submit_locks_the_review_and_records_the_version(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)
    data = review_post(
        p.call, {0: "4", 1: "3.5", 2: "5"}, {0: "a", 1: "b", 2: "c"}, confidence=3, action="submit"
    )

    response = client.post(_urls(p.bid)["review"], data)

    review = Review.objects.get()
    assert response.status_code == 302
    assert (review.status, review.submitted_at is not None, review.bid_version_id) == (
        Review.Status.SUBMITTED,
        True,
        p.bid.versions.get().pk,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("6", "6 is outside the scale"),
        ("-1", "-1 is outside the scale"),
        ("3.3", "3.3 is not on the scale"),
    ],
)
def test_score_off_the_scale_is_refused_with_a_clear_message(client, value, message):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)

    response = client.post(
        _urls(p.bid)["review"],
        review_post(p.call, {0: value}, {0: "My typed comment"}, action="save"),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert "My typed comment" in content
    assert Review.objects.count() == 0


def test_submit_without_comments_is_refused_and_keeps_input(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)
    data = review_post(
        p.call, {0: "4", 1: "3", 2: "2"}, {0: "Only this one"}, confidence=2, action="submit"
    )

    response = client.post(_urls(p.bid)["review"], data)

    content = response.content.decode()
    assert response.status_code == 200
    assert "A comment on “Criterion" in content
    assert "Only this one" in content
    assert Review.objects.filter(status=Review.Status.SUBMITTED).count() == 0


def test_submit_without_scores_is_refused(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)
    data = review_post(p.call, {0: "4"}, {0: "a", 1: "b", 2: "c"}, confidence=2, action="submit")

    response = client.post(_urls(p.bid)["review"], data)

    assert response.status_code == 200
    assert "Give a score for" in response.content.decode()


def test_edit_after_submission_is_forbidden(client):
    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(4))
    client.force_login(p.jurors[0].user)

    response = client.post(
        _urls(p.bid)["review"],
        review_post(p.call, {0: "1"}, version=review.version, action="save"),
    )

    assert response.status_code == 403
    assert "is locked" in response.content.decode()
    assert sorted(s.value for s in review.scores.all()) == [Decimal(4)] * 3


def test_edit_after_review_deadline_is_forbidden(client):
    p = panel(jurors=1)
    Call.objects.filter(pk=p.call.pk).update(review_deadline=timezone.now() - timedelta(seconds=1))
    client.force_login(p.jurors[0].user)

    response = client.post(_urls(p.bid)["review"], review_post(p.call, {0: "3"}, action="save"))

    assert response.status_code == 403
    assert "review deadline passed" in response.content.decode()
    assert Review.objects.count() == 0


def test_review_form_is_read_only_after_deadline(client):
    p = panel(jurors=1)
    write_review(p.assignments[0], Decimal(2), submitted=False)
    Call.objects.filter(pk=p.call.pk).update(review_deadline=timezone.now() - timedelta(hours=1))
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["review"])

    content = response.content.decode()
    assert response.status_code == 200
    assert ('id="review-locked"' in content, 'id="review-form"' in content) == (True, False)


def test_stale_version_from_another_tab_is_refused_and_keeps_input(client):
    p = panel(jurors=1)
    client.force_login(p.jurors[0].user)
    client.post(
        _urls(p.bid)["review"], review_post(p.call, {0: "3"}, {0: "First tab"}, action="save")
    )

    response = client.post(
        _urls(p.bid)["review"],
        review_post(p.call, {0: "4"}, {0: "Second tab text"}, version=0, action="save"),
    )

    assert response.status_code == 409
    assert "Second tab text" in response.content.decode()
    assert Review.objects.get().scores.get(criterion__order=0).comment == "First tab"


# ---------------------------------------------------------------- independence


def test_other_reviews_hidden_before_own_submission(client):
    p = panel(jurors=2)
    write_review(p.assignments[1], Decimal(5), comment="Other juror's secret")
    write_review(p.assignments[0], Decimal(3), submitted=False)
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["reviews"])

    content = response.content.decode()
    assert response.status_code == 403
    assert "Other juror&#x27;s secret" not in content
    assert "once you have submitted your own" in content


def test_other_reviews_visible_after_own_submission(client):
    p = panel(jurors=2)
    write_review(p.assignments[1], Decimal(5), comment="Other juror's opinion")
    write_review(p.assignments[0], Decimal(3))
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["reviews"])

    assert response.status_code == 200
    assert "Other juror&#x27;s opinion" in response.content.decode()


def test_other_reviews_never_visible_when_call_says_never(client):
    p = panel(jurors=2, jury_visibility=Call.JuryVisibility.NEVER)
    write_review(p.assignments[1], Decimal(5), comment="Other juror's opinion")
    write_review(p.assignments[0], Decimal(3))
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["reviews"])

    assert response.status_code == 403
    assert "Other juror&#x27;s opinion" not in response.content.decode()


def test_other_reviews_hide_a_conflicted_jurors_review(client):
    p = panel(jurors=3)
    write_review(p.assignments[0], Decimal(3))
    write_review(p.assignments[1], Decimal(4), comment="Visible")
    write_review(p.assignments[2], Decimal(1), comment="Conflicted opinion")
    ConflictFactory(juror=p.jurors[2], bid=p.bid, status="confirmed")
    client.force_login(p.jurors[0].user)

    response = client.get(_urls(p.bid)["reviews"])

    content = response.content.decode()
    assert ("Visible" in content, "Conflicted opinion" in content) == (True, False)


# ---------------------------------------------------------------- reopening


def test_administrator_reopens_a_submitted_review_with_a_reason(client):
    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(4))
    admin = administrator_with_totp()
    client.force_login(admin)

    response = client.post(
        reverse("review:reopen_review", args=[review.pk]), {"reason": "Score typo"}
    )

    review.refresh_from_db()
    reopening = ReviewReopening.objects.get()
    assert response.status_code == 302
    assert (review.status, review.submitted_at) == (Review.Status.DRAFT, None)
    assert (reopening.reason, reopening.reopened_by) == ("Score typo", admin)


def test_reopen_without_reason_is_refused(client):
    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(4))
    client.force_login(administrator_with_totp())

    response = client.post(reverse("review:reopen_review", args=[review.pk]), {"reason": "  "})

    review.refresh_from_db()
    assert response.status_code == 200
    assert review.status == Review.Status.SUBMITTED
    assert ReviewReopening.objects.count() == 0


@pytest.mark.parametrize("who", ["own_juror", "member"])
def test_reopen_is_forbidden_to_non_administrators(client, who):
    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(4))
    user = p.jurors[0].user if who == "own_juror" else institution_member(bid=p.bid)
    client.force_login(user)

    response = client.post(reverse("review:reopen_review", args=[review.pk]), {"reason": "Let me"})

    review.refresh_from_db()
    assert response.status_code == 403
    assert review.status == Review.Status.SUBMITTED


def test_reopen_redirects_anonymous_to_login(client):
    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(4))

    response = client.post(reverse("review:reopen_review", args=[review.pk]), {"reason": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_reopened_review_can_be_edited_again(client):
    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(4))
    client.force_login(administrator_with_totp())
    client.post(reverse("review:reopen_review", args=[review.pk]), {"reason": "Typo"})
    review.refresh_from_db()
    client.force_login(p.jurors[0].user)

    response = client.post(
        _urls(p.bid)["review"],
        review_post(p.call, {0: "2", 1: "4", 2: "4"}, version=review.version, action="save"),
    )

    assert response.status_code == 302
    assert Review.objects.get().scores.get(criterion__order=0).value == Decimal(2)


def test_unused_juror_factory_is_not_a_juror_of_the_bid():
    # A plain JurorProfile without assignment holds no review: guard for the helpers above.
    assert JurorProfileFactory().assignments.count() == 0
