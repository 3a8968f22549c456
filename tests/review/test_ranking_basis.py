"""What a run ranks: the jurors' scores or the approved consensus (with the panel's
adjustments); the thresholds on that basis; under-reviewed bids and jurors held out by an
undecided institution-declared conflict, frozen in the run."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.models import Bid
from review.models import (
    Conflict,
    ConsensusReport,
    ConsensusScore,
    CriterionScore,
    PanelAdjustment,
    RankingRun,
    Review,
)
from review.queries.ranking import consensus_juror, ranking_data
from review.services.ranking_runs import RunSettings, create_and_run_ranking, create_ranking_run
from tests.factories import AdministratorFactory, ConflictFactory
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import RankingSetup, scored_call

pytestmark = pytest.mark.django_db


def _approve(setup: RankingSetup, bid: Bid, values: list[str]) -> ConsensusReport:
    rapporteur = next(a.juror for a in setup.assignments if a.bid_id == bid.pk)
    report = ConsensusReport.objects.create(
        bid=bid, rapporteur=rapporteur, status=ConsensusReport.Status.APPROVED
    )
    ConsensusScore.objects.bulk_create(
        ConsensusScore(report=report, criterion=criterion, value=Decimal(value))
        for criterion, value in zip(setup.criteria, values, strict=True)
    )
    return report


def _adjust(report: ConsensusReport, setup: RankingSetup, index: int, value: str) -> None:
    PanelAdjustment.objects.create(
        report=report,
        criterion=setup.criteria[index],
        original_value=None,
        value=Decimal(value),
        reason="Panel meeting",
        adjusted_by=AdministratorFactory(),
    )


def _run(setup: RankingSetup, **settings) -> RankingRun:
    return create_and_run_ranking(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings(**settings)
    )


def _row(run: RankingRun, bid: Bid) -> dict:
    return next(row for row in run.result["bids"] if row["id"] == bid.pk)


# --------------------------------------------------------------------------- consensus basis


def test_a_consensus_run_ranks_the_consensus_with_the_panels_latest_adjustment():
    setup = scored_call(bids=3, criteria=2)
    first, second, _third = setup.bids
    report = _approve(setup, first, ["4", "3"])
    _adjust(report, setup, 1, "2.5")
    _adjust(report, setup, 1, "4.5")  # the latest adjustment is the panel's score
    _approve(setup, second, ["3", "3"])

    run = _run(setup, basis="consensus")

    assert run.engine_input["scores"] == [
        {"bid": first.pk, "juror": consensus_juror(first.pk), "criterion": "crit0", "value": 4},
        {"bid": first.pk, "juror": consensus_juror(first.pk), "criterion": "crit1", "value": 4.5},
        {"bid": second.pk, "juror": consensus_juror(second.pk), "criterion": "crit0", "value": 3},
        {"bid": second.pk, "juror": consensus_juror(second.pk), "criterion": "crit1", "value": 3},
    ]
    assert _row(run, first)["score"] == 4.25  # the weighted mean of 4 and 4.5
    assert run.parameters["basis"] == "consensus"


def test_a_consensus_run_gives_no_scores_to_a_bid_without_an_approved_consensus():
    setup = scored_call(bids=3, criteria=2)
    first, second, third = setup.bids
    _approve(setup, first, ["4", "4"])
    submitted = _approve(setup, second, ["5", "5"])
    ConsensusReport.objects.filter(pk=submitted.pk).update(status=ConsensusReport.Status.SUBMITTED)

    run = _run(setup, basis="consensus")

    assert [_row(run, bid)["reason"] for bid in (second, third)] == ["no_scores", "no_scores"]
    assert run.parameters["without_consensus"] == [second.pk, third.pk]


def test_thresholds_apply_to_the_consensus_not_to_the_jurors_scores():
    setup = scored_call(bids=2, criteria=2)
    bid = setup.bids[0]
    CriterionScore.objects.filter(review__assignment__bid=bid).update(value=Decimal(5))
    _approve(setup, bid, ["1.5", "5"])  # below crit0's threshold of 2

    on_jurors = _run(setup, basis="jurors")
    on_consensus = _run(setup, basis="consensus")

    assert _row(on_jurors, bid)["eligible"] is True
    assert _row(on_consensus, bid)["reason"] == "below_threshold"


def test_a_consensus_run_refuses_a_calibration():
    setup = scored_call(bids=2)

    with pytest.raises(ValidationError) as raised:
        create_ranking_run(
            call=setup.call,
            by=AdministratorFactory(),
            settings=RunSettings(basis="consensus", calibration="zscore"),
        )

    assert list(raised.value.error_dict) == ["calibration"]


def test_the_form_shows_the_calibration_refusal_and_keeps_the_input(client):
    setup = scored_call(bids=2)
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:ranking_runs", args=[setup.call.slug]),
        {
            "basis": "consensus",
            "rule": "optimal",
            "overflow": "skip",
            "calibration": "additive",
            "aggregate": "mean",
            "bootstrap_samples": "0",
        },
    )

    form = response.context["form"]
    assert response.status_code == 200
    assert RankingRun.objects.count() == 0
    assert form.errors["calibration"] == [
        "The consensus basis ranks one agreed score per bid: there are no jurors' leniencies "
        "to calibrate. Choose no calibration (raw scores)."
    ]
    assert form["basis"].value() == "consensus"


# --------------------------------------------------------------------------- under-reviewed


def test_a_run_marks_the_bids_with_fewer_reviews_than_the_call_requires():
    setup = scored_call(bids=3, per_bid=3)
    short = setup.bids[1]
    first_review = Review.objects.filter(assignment__bid=short).order_by("pk").first()
    assert first_review is not None
    Review.objects.filter(pk=first_review.pk).update(status=Review.Status.DRAFT)

    run = _run(setup)

    assert run.parameters["min_reviews_per_bid"] == 3
    assert run.parameters["under_reviewed"] == [
        {"id": short.pk, "acronym": short.acronym, "reviews": 2}
    ]


def test_the_minimum_of_reviews_is_the_calls_setting():
    setup = scored_call(bids=2, per_bid=3, min_reviews_per_bid=4)

    run = _run(setup)

    assert [item["id"] for item in run.parameters["under_reviewed"]] == [
        bid.pk for bid in setup.bids
    ]


# --------------------------------------------------------------------------- held jurors


def _institution_conflict(setup: RankingSetup, index: int = 0) -> Conflict:
    assignment = setup.assignments[index]
    return ConflictFactory(
        juror=assignment.juror,
        bid=assignment.bid,
        source=Conflict.Source.INSTITUTION,
        kind=Conflict.Kind.OTHER,
        status=Conflict.Status.SUGGESTED,
    )


def test_an_undecided_institution_conflict_holds_the_jurors_scores_out_of_a_run():
    setup = scored_call(bids=3, per_bid=3)
    conflict = _institution_conflict(setup)
    held = (conflict.juror_id, conflict.bid_id)

    run = _run(setup)

    pairs = {(score["juror"], score["bid"]) for score in run.engine_input["scores"]}
    assert held not in pairs
    assert run.parameters["held_jurors"] == [
        {
            "bid": conflict.bid_id,
            "acronym": conflict.bid.acronym,
            "juror": conflict.juror_id,
            "name": conflict.juror.display_name,
        }
    ]
    assert [item["id"] for item in run.parameters["under_reviewed"]] == [conflict.bid_id]


def test_a_dismissed_institution_conflict_counts_the_jurors_scores_again():
    setup = scored_call(bids=3, per_bid=3)
    conflict = _institution_conflict(setup)
    Conflict.objects.filter(pk=conflict.pk).update(status=Conflict.Status.DISMISSED)

    run = _run(setup)

    pairs = {(score["juror"], score["bid"]) for score in run.engine_input["scores"]}
    assert (conflict.juror_id, conflict.bid_id) in pairs
    assert run.parameters["held_jurors"] == []


def test_an_undecided_detected_conflict_does_not_hold_scores():
    setup = scored_call(bids=2, per_bid=3)
    assignment = setup.assignments[0]
    ConflictFactory(juror=assignment.juror, bid=assignment.bid, status="suggested")

    data = ranking_data(call=setup.call)

    assert data.held == []
    pairs = {(score["juror"], score["bid"]) for score in data.data["scores"]}
    assert (assignment.juror_id, assignment.bid_id) in pairs


def test_a_run_keeps_the_held_jurors_it_was_computed_with():
    setup = scored_call(bids=2, per_bid=3)
    conflict = _institution_conflict(setup)
    run = _run(setup)

    Conflict.objects.filter(pk=conflict.pk).update(status=Conflict.Status.DISMISSED)
    run.refresh_from_db()

    assert [item["juror"] for item in run.parameters["held_jurors"]] == [conflict.juror_id]
