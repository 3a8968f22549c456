"""Review services and the form's score parsing, below the views."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.editing import StaleEdit
from review import scoring
from review.forms.reviews import ReviewForm
from review.models import Review
from review.queries.criteria import CriterionInfo
from review.services.reviews import (
    ScoreInput,
    reopen_review,
    save_review_draft,
    submit_review,
)
from tests.factories import AssignmentFactory, BidFactory, CriterionFactory
from tests.review.jury_setup import juror_with_totp
from tests.review.review_setup import call_with_grid, panel, write_review

CRITERION = CriterionInfo(
    pk=1,
    code="c",
    name="C",
    guidance="",
    weight=Decimal(1),
    scale=scoring.Scale(Decimal(0), Decimal(5), Decimal("0.5")),
    threshold=None,
    descriptors=[],
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=8), st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
    )
)
def test_review_form_accepts_exactly_the_scale_levels(raw):
    form = ReviewForm({"version": "0", "score_1": raw, "comment_1": ""}, criteria=[CRITERION])

    valid = form.is_valid()

    parsed = scoring.parse_score(raw)
    expected = (
        parsed is None
        and not raw.strip()
        or (parsed is not None and scoring.is_on_scale(parsed, scale=CRITERION.scale))
    )
    assert valid is bool(expected)


@pytest.mark.django_db
def test_submit_refuses_a_bid_without_submitted_version():
    call = call_with_grid(criteria=1)
    juror = juror_with_totp(call=call)
    assignment = AssignmentFactory(juror=juror, bid=BidFactory(call=call))
    criterion = call.criteria.get()

    with pytest.raises(ValidationError, match="no submitted version"):
        submit_review(
            assignment=assignment,
            by=juror.user,
            scores={criterion.pk: ScoreInput(Decimal(3), "ok")},
            confidence=2,
            expected_version=0,
        )


@pytest.mark.django_db
def test_draft_save_bumps_the_version_and_refuses_stale_ones():
    p = panel(jurors=1)
    first = save_review_draft(
        assignment=p.assignments[0], by=p.jurors[0].user, scores={}, expected_version=0
    )

    second = save_review_draft(
        assignment=p.assignments[0], by=p.jurors[0].user, scores={}, expected_version=1
    )

    assert (first.version, second.version) == (1, 2)
    with pytest.raises(StaleEdit):
        save_review_draft(
            assignment=p.assignments[0], by=p.jurors[0].user, scores={}, expected_version=1
        )


@pytest.mark.django_db
def test_reopen_refuses_non_administrators():
    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(3))

    with pytest.raises(PermissionDenied):
        reopen_review(review=review, by=p.jurors[0].user, reason="Please")


@pytest.mark.django_db
def test_reopen_refuses_a_draft():
    from tests.review.jury_setup import administrator_with_totp

    p = panel(jurors=1)
    review = write_review(p.assignments[0], Decimal(3), submitted=False)

    with pytest.raises(ValidationError, match="still a draft"):
        reopen_review(review=review, by=administrator_with_totp(), reason="Why not")
    assert Review.objects.get().status == Review.Status.DRAFT


@pytest.mark.django_db
def test_scores_for_criteria_of_another_call_are_ignored():
    p = panel(jurors=1, criteria=1)
    foreign = CriterionFactory()

    review = save_review_draft(
        assignment=p.assignments[0],
        by=p.jurors[0].user,
        scores={foreign.pk: ScoreInput(Decimal(5), "x")},
        expected_version=0,
    )

    assert list(review.scores.values_list("criterion__call", "value")) == [(p.call.pk, None)]
