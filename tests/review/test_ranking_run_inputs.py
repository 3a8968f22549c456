"""The engine's input assembled from the database: which bids and which scores count."""

from decimal import Decimal

import pytest

from applications.models import Bid
from review.models import Conflict, Review
from review.queries.ranking import canonical_json, input_sha256, ranking_data
from review.ranking import parse_params
from tests.factories import (
    AssignmentFactory,
    BidFactory,
    ConflictDeclarationFactory,
    ConflictFactory,
    CriterionScoreFactory,
    ReviewFactory,
)
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db


def _scores_of(data, bid_pk):
    return [score for score in data["scores"] if score["bid"] == bid_pk]


def test_ranking_data_follows_the_engine_contract():
    setup = scored_call(bids=3, jurors=3, per_bid=2, criteria=2, overall_threshold=Decimal("4.5"))

    data = ranking_data(call=setup.call).data

    params = parse_params({**data, "calibration": "none", "aggregate": "mean", "rule": "optimal"})
    assert params.budget == 200_000_000
    assert (params.min_winners, params.max_winners) == (2, 4)
    assert data["criteria"][0] == {
        "code": "crit0",
        "weight": 0.5,  # the criterion's share of the weights (two criteria at 1)
        "min": 0,
        "max": 5,
        "threshold": 2,
    }
    assert data["overall_threshold"] == 4.5
    assert data["bids"][0] == {
        "id": setup.bids[0].pk,
        "requested": 40_000_000,
        "minimum": 25_000_000,
    }
    assert len(data["scores"]) == 3 * 2 * 2


def test_ranking_data_leaves_out_draft_reviews():
    setup = scored_call(bids=2, jurors=2, per_bid=2, criteria=1)
    draft = setup.assignments[0].review
    Review.objects.filter(pk=draft.pk).update(status=Review.Status.DRAFT)

    data = ranking_data(call=setup.call).data

    jurors = {score["juror"] for score in _scores_of(data, draft.assignment.bid_id)}
    assert jurors == {setup.assignments[1].juror_id}


def test_ranking_data_leaves_out_a_confirmed_conflict_and_a_declared_one():
    setup = scored_call(bids=2, jurors=3, per_bid=3, criteria=1)
    bid = setup.bids[0]
    confirmed, declared, kept = setup.jurors
    ConflictFactory(juror=confirmed, bid=bid, status=Conflict.Status.CONFIRMED)
    ConflictFactory(juror=kept, bid=bid, status=Conflict.Status.DISMISSED)
    ConflictDeclarationFactory(juror=declared, bid=bid, has_conflict=True)

    data = ranking_data(call=setup.call).data

    assert {score["juror"] for score in _scores_of(data, bid.pk)} == {kept.pk}
    assert len(_scores_of(data, setup.bids[1].pk)) == 3


def test_ranking_data_leaves_out_ineligible_withdrawn_and_draft_bids():
    setup = scored_call(bids=4, jurors=3, per_bid=2, criteria=1)
    ineligible, withdrawn, pending, _eligible = setup.bids
    Bid.objects.filter(pk=ineligible.pk).update(eligibility=Bid.Eligibility.INELIGIBLE)
    Bid.objects.filter(pk=withdrawn.pk).update(status=Bid.Status.WITHDRAWN)
    Bid.objects.filter(pk=_eligible.pk).update(eligibility=Bid.Eligibility.ELIGIBLE)
    BidFactory(call=setup.call)  # a draft

    result = ranking_data(call=setup.call)

    assert [bid["id"] for bid in result.data["bids"]] == [pending.pk, _eligible.pk]
    assert {score["bid"] for score in result.data["scores"]} == {pending.pk, _eligible.pk}
    assert result.bid_labels == {str(pending.pk): "BID02", str(_eligible.pk): "BID03"}


def test_ranking_data_ignores_scores_on_another_call_and_blank_values():
    setup = scored_call(bids=1, jurors=2, per_bid=2, criteria=1)
    review = setup.assignments[0].review
    review.scores.update(value=None)
    CriterionScoreFactory(review=ReviewFactory(assignment=AssignmentFactory()), value=4)

    data = ranking_data(call=setup.call).data

    assert [score["juror"] for score in data["scores"]] == [setup.assignments[1].juror_id]


@pytest.mark.parametrize("size", [4, 8])
@pytest.mark.parametrize(("basis", "queries"), [("jurors", 5), ("consensus", 6)])
def test_ranking_data_takes_a_fixed_number_of_queries(
    django_assert_num_queries, size, basis, queries
):
    setup = scored_call(bids=size, jurors=4, per_bid=3, criteria=3)

    with django_assert_num_queries(queries):
        ranking_data(call=setup.call, basis=basis)


def test_input_sha256_is_the_hash_of_the_canonical_json():
    data = {"b": [1, 2.5], "a": "é"}

    assert canonical_json(data) == '{"a":"é","b":[1,2.5]}'
    assert input_sha256(data) == input_sha256({"a": "é", "b": [1, 2.5]})
