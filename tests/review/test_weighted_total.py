"""A review's weighted total is stored with its scores (``Review.weighted_total``), by the one
rule ``review.scoring.weighted_total``, after every kind of write; the migration fills it."""

import importlib
from collections import defaultdict
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from review import scoring
from review.models import Criterion, CriterionScore, Review
from review.services.consensus import approve_consensus, save_consensus
from review.services.reviews import (
    ScoreInput,
    reopen_review,
    save_review_draft,
    store_weighted_totals,
    submit_review,
)
from tests.review.jury_setup import administrator_with_totp
from tests.review.review_setup import call_with_grid, panel

pytestmark = pytest.mark.django_db

WEIGHTS = [Decimal(2), Decimal(1), Decimal("1.5")]


def assert_every_total_matches_its_scores() -> None:
    """Recompute every review's total from its score rows and the grid, compare."""
    weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, call_id, weight in Criterion.objects.values_list("pk", "call_id", "weight"):
        weights[call_id][pk] = weight
    scores: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for review_id, criterion_id, value in CriterionScore.objects.values_list(
        "review_id", "criterion_id", "value"
    ):
        scores[review_id][criterion_id] = value
    for review in Review.objects.select_related("assignment__bid"):
        expected = scoring.weighted_total(scores[review.pk], weights[review.assignment.bid.call_id])
        assert review.weighted_total == Review.stored_total(expected), review.pk


def _scores(call, values):
    criteria = list(Criterion.objects.filter(call=call).order_by("order"))
    return {
        c.pk: ScoreInput(v, "Because." if v is not None else "")
        for c, v in zip(criteria, values, strict=True)
    }


def test_the_total_follows_every_write_of_the_scores():
    p = panel(jurors=2, call=call_with_grid(weights=WEIGHTS))
    assignment, other = p.assignments
    juror = assignment.juror.user

    review = save_review_draft(
        assignment=assignment,
        by=juror,
        scores=_scores(p.call, [Decimal(4), None, None]),
        expected_version=0,
    )
    assert review.weighted_total is None  # a criterion unscored: no total
    assert_every_total_matches_its_scores()

    review = save_review_draft(
        assignment=assignment,
        by=juror,
        scores=_scores(p.call, [Decimal(4), Decimal(3), Decimal("2.5")]),
        expected_version=review.version,
    )
    assert_every_total_matches_its_scores()

    review = submit_review(
        assignment=assignment,
        by=juror,
        scores=_scores(p.call, [Decimal(5), Decimal(3), Decimal("2.5")]),
        confidence=3,
        expected_version=review.version,
    )
    review.refresh_from_db()
    # (5×2 + 3 + 2.5×1.5) / 4.5 = 16.75 / 4.5
    assert review.weighted_total == Review.stored_total(Decimal("16.75") / Decimal("4.5"))
    submit_review(
        assignment=other,
        by=other.juror.user,
        scores=_scores(p.call, [Decimal(1), Decimal(1), Decimal(1)]),
        confidence=3,
        expected_version=0,
    )
    assert_every_total_matches_its_scores()

    admin = administrator_with_totp()
    reopen_review(review=review, by=admin, reason="Check the second criterion.")
    assert_every_total_matches_its_scores()
    review.refresh_from_db()
    submit_review(
        assignment=assignment,
        by=juror,
        scores=_scores(p.call, [Decimal(5), Decimal(5), Decimal(5)]),
        confidence=3,
        expected_version=review.version,
    )
    review.refresh_from_db()
    assert review.weighted_total == Decimal(5)
    assert_every_total_matches_its_scores()


def test_a_refused_submission_leaves_the_stored_total_alone():
    p = panel(jurors=1, call=call_with_grid(weights=WEIGHTS))
    [assignment] = p.assignments
    review = save_review_draft(
        assignment=assignment,
        by=assignment.juror.user,
        scores=_scores(p.call, [Decimal(4), Decimal(3), Decimal(2)]),
        expected_version=0,
    )

    with pytest.raises(ValidationError):
        submit_review(
            assignment=assignment,
            by=assignment.juror.user,
            scores=_scores(p.call, [Decimal(1), None, Decimal(2)]),
            confidence=3,
            expected_version=review.version,
        )

    assert Review.objects.get(pk=review.pk).weighted_total == review.weighted_total
    assert_every_total_matches_its_scores()


def test_a_consensus_report_does_not_change_the_jurors_totals():
    p = panel(jurors=2, call=call_with_grid(weights=WEIGHTS))
    for assignment in p.assignments:
        submit_review(
            assignment=assignment,
            by=assignment.juror.user,
            scores=_scores(p.call, [Decimal(3), Decimal(4), Decimal(2)]),
            confidence=3,
            expected_version=0,
        )
    before = dict(Review.objects.values_list("pk", "weighted_total"))
    report = save_consensus(
        bid=p.bid,
        rapporteur=p.assignments[0],
        by=p.jurors[0].user,
        scores=_scores(p.call, [Decimal(5), Decimal(5), Decimal(5)]),
        summary="Agreed.",
        submit=True,
        expected_version=0,
    )
    approve_consensus(report=report, by=administrator_with_totp())

    assert dict(Review.objects.values_list("pk", "weighted_total")) == before
    assert_every_total_matches_its_scores()


def test_the_grid_cannot_change_under_a_stored_total():
    """The stored total relies on the frozen grid: once a review exists, a weight is fixed."""
    p = panel(jurors=1, call=call_with_grid(weights=WEIGHTS))
    submit_review(
        assignment=p.assignments[0],
        by=p.jurors[0].user,
        scores=_scores(p.call, [Decimal(3), Decimal(4), Decimal(2)]),
        confidence=3,
        expected_version=0,
    )
    criterion = Criterion.objects.filter(call=p.call).first()
    criterion.weight = Decimal(7)

    with pytest.raises(ValidationError):
        criterion.full_clean()


def test_store_weighted_totals_fills_rows_written_without_the_service():
    p = panel(jurors=2, call=call_with_grid(weights=WEIGHTS))
    for assignment in p.assignments:
        submit_review(
            assignment=assignment,
            by=assignment.juror.user,
            scores=_scores(p.call, [Decimal(3), Decimal("4.5"), Decimal(2)]),
            confidence=3,
            expected_version=0,
        )
    Review.objects.update(weighted_total=None)

    changed = store_weighted_totals(reviews=Review.objects.all())

    assert changed == 2
    assert_every_total_matches_its_scores()


def test_the_migration_fills_the_totals_of_existing_reviews():
    p = panel(jurors=2, call=call_with_grid(weights=WEIGHTS))
    for assignment, values in zip(
        p.assignments,
        ([Decimal(3), Decimal(4), Decimal(2)], [Decimal(1), Decimal(0), Decimal(5)]),
        strict=True,
    ):
        submit_review(
            assignment=assignment,
            by=assignment.juror.user,
            scores=_scores(p.call, values),
            confidence=3,
            expected_version=0,
        )
    Review.objects.update(weighted_total=None)
    migration = importlib.import_module("review.migrations.0019_review_weighted_total")

    migration.fill_weighted_totals(apps, None)

    assert Review.objects.filter(weighted_total__isnull=True).count() == 0
    assert_every_total_matches_its_scores()
