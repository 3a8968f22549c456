"""The juror's journey, end to end in Chromium.

A juror signs in with a password and a TOTP code, declares no conflict of interest on an
assigned bid, scores it (a draft first, then the submitted review), and only then sees the
reviews the two other jurors of the bid submitted before them. A juror without TOTP is sent
to the authenticator activation page instead of the jury pages.
"""

import tempfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from review.models import ConflictDeclaration, Criterion, Review
from review.services.reviews import ScoreInput, submit_review
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login, totp_code
from tests.factories import PASSWORD, JurorProfileFactory
from tests.review.review_setup import panel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OTHER_COMMENTS = [
    "Peer comment: the research excellence is world class.",
    "Peer comment: the training offer is thin for PhD students.",
]
SECRET_SECTION = "Secret research plan."
# The review form as a juror sees it, for a human to look at (not an assertion).
REVIEW_SCREENSHOT = Path(tempfile.gettempdir()) / "jury_review.png"


def _submit_peer_review(assignment, comment: str, criteria: list[Criterion]) -> Review:
    return submit_review(
        assignment=assignment,
        by=assignment.juror.user,
        scores={c.pk: ScoreInput(Decimal("3.5"), comment) for c in criteria},
        overall_comment=f"Overall: {comment}",
        confidence=Review.Confidence.HIGH,
        expected_version=0,
    )


def _assert_no_peer_comment(page) -> None:
    content = page.content()
    for comment in OTHER_COMMENTS:
        assert comment not in content


def test_juror_logs_in_with_totp_declares_scores_submits_then_sees_other_reviews(page):
    jury = panel(jurors=3, criteria=3, declared=False)
    criteria = list(Criterion.objects.filter(call=jury.call).order_by("order"))
    for assignment, comment in zip(jury.assignments[:2], OTHER_COMMENTS, strict=True):
        ConflictDeclaration.objects.create(juror=assignment.juror, bid=jury.bid, has_conflict=False)
        _submit_peer_review(assignment, comment, criteria)
    me = jury.assignments[2]
    user = me.juror.user
    bid = jury.bid
    score = {c.pk: f"#id_score_{c.pk}" for c in criteria}
    comment = {c.pk: f"#id_comment_{c.pk}" for c in criteria}

    # Password, then allauth asks for the authenticator's code; the juror lands on their list.
    login(page, email=user.email, password=PASSWORD)
    page.wait_for_url(f"**{reverse('mfa_authenticate')}")
    page.fill("input[name=code]", totp_code(user))
    page.click("main form [type=submit]")
    page.wait_for_url(f"**{reverse('review:juror_dashboard')}")
    assert_accessible(page)
    row = page.locator("#juror-bids tbody tr")
    assert row.count() == 1
    assert bid.acronym in row.inner_text()
    assert "Conflict of interest to declare" in row.inner_text()

    # The bid: title and summary only, until the juror declares no conflict.
    row.locator(f"a:has-text('{bid.acronym}')").click()
    page.wait_for_url(f"**{reverse('review:bid_detail', args=[bid.public_id])}")
    assert_accessible(page)
    assert page.locator("#declare-first").is_visible()
    assert "A short public summary." in page.inner_text("main")
    assert SECRET_SECTION not in page.content()
    review_url = reverse("review:review_form", args=[bid.public_id])
    assert page.goto(review_url).status == 403
    page.goto(reverse("review:bid_detail", args=[bid.public_id]))
    with page.expect_navigation():
        page.click("#declare-first a")
    assert_accessible(page)
    page.check("input[name=position][value=no]")
    page.click("main form [type=submit]")
    page.wait_for_url(f"**{reverse('review:bid_detail', args=[bid.public_id])}")
    assert_accessible(page)
    assert f"Thank you: you may now read and assess {bid.acronym}." in page.inner_text("main")
    assert SECRET_SECTION in page.inner_text("main")
    assert ConflictDeclaration.objects.get(juror=me.juror, bid=bid).has_conflict is False
    _assert_no_peer_comment(page)

    # Before their own review is submitted, the others' reviews are refused.
    reviews_url = reverse("review:bid_reviews", args=[bid.public_id])
    response = page.goto(reviews_url)
    assert response.status == 403
    assert page.inner_text("#reviews-hidden") == (
        "You will see the other jurors' reviews once you have submitted your own."
    )
    _assert_no_peer_comment(page)

    # A draft with two criteria scored.
    page.goto(reverse("review:bid_detail", args=[bid.public_id]))
    page.click("main a:has-text('Score this bid')")
    page.wait_for_url(f"**{review_url}")
    assert_accessible(page)
    _assert_no_peer_comment(page)
    first, second, third = criteria
    page.select_option(score[first.pk], "4")
    page.fill(comment[first.pk], "Strong research groups.")
    page.select_option(score[second.pk], "2.5")
    page.fill(comment[second.pk], "Training plan lacks detail.")
    page.screenshot(path=str(REVIEW_SCREENSHOT), full_page=True)
    with page.expect_navigation(url=f"**{review_url}"):
        page.click("#review-form button[name=action][value=save]")
    assert_accessible(page)
    assert "Draft saved." in page.inner_text("main")
    assert "Status: Draft" in page.inner_text("main")
    assert page.input_value(score[first.pk]) == "4"
    assert page.input_value(comment[second.pk]) == "Training plan lacks detail."
    assert page.input_value(score[third.pk]) == ""
    draft = Review.objects.get(assignment=me)
    assert draft.status == Review.Status.DRAFT
    assert draft.submitted_at is None
    assert {s.criterion_id: s.value for s in draft.scores.all()} == {
        first.pk: Decimal(4),
        second.pk: Decimal("2.5"),
        third.pk: None,
    }
    assert page.goto(reviews_url).status == 403
    _assert_no_peer_comment(page)

    # Complete and submit: the juror is taken to the reviews, their peers' included.
    page.goto(review_url)
    page.select_option(score[third.pk], "3")
    page.fill(comment[third.pk], "Credible transfer plan.")
    page.fill("#id_overall_comment", "A good bid overall.")
    page.select_option("#id_confidence", str(Review.Confidence.MEDIUM))
    page.click("#review-form button[name=action][value=submit]")
    page.wait_for_url(f"**{reviews_url}")
    assert_accessible(page)
    assert "Your review is submitted. Thank you." in page.inner_text("main")
    assert page.locator(".review-card").count() == 3
    text = page.inner_text("main")
    for peer_comment in OTHER_COMMENTS:
        assert peer_comment in text
    assert "Credible transfer plan." in text

    review = Review.objects.get(assignment=me)
    assert review.status == Review.Status.SUBMITTED
    assert review.submitted_at is not None
    assert review.bid_version == bid.versions.get()
    assert review.confidence == Review.Confidence.MEDIUM
    assert {s.criterion_id: (s.value, s.comment) for s in review.scores.all()} == {
        first.pk: (Decimal(4), "Strong research groups."),
        second.pk: (Decimal("2.5"), "Training plan lacks detail."),
        third.pk: (Decimal(3), "Credible transfer plan."),
    }

    # Submitted means locked: the form now only shows the review.
    page.goto(review_url)
    assert "is locked" in page.inner_text("#review-locked")
    assert page.locator("#review-form").count() == 0
    page.goto(reverse("review:juror_dashboard"))
    assert "Submitted" in page.inner_text("#juror-bids tbody tr")


def test_juror_without_totp_is_sent_to_totp_activation(page, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    juror = JurorProfileFactory()
    dashboard = reverse("review:juror_dashboard")
    activation = reverse("mfa_activate_totp")

    # Signed in with a password alone, the juror is sent from their list towards the
    # activation page; allauth first asks for the password again before showing a secret.
    login(page, email=juror.user.email, password=PASSWORD)
    page.wait_for_url(f"**{reverse('account_reauthenticate')}**")
    assert "Jury pages require two-factor authentication." in page.inner_text("main")
    page.fill("main input[name=password]", PASSWORD)
    page.click("main form:has(input[name=password]) [type=submit]")
    page.wait_for_url(f"**{activation}**")
    assert_accessible(page)

    response = page.goto(dashboard)

    url = urlsplit(page.url)
    assert response.status == 200
    assert url.path == activation
    assert parse_qs(url.query) == {"next": [dashboard]}
    assert "Jury pages require two-factor authentication." in page.inner_text("main")
    assert page.locator("#authenticator_secret").is_visible()
    assert page.locator("#juror-bids").count() == 0
