"""The status graphs of calls, bids, reviews, consensus reports and ranking runs."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from applications.models import Bid, Call
from portal import transitions
from review.models import ConsensusReport, Decision, RankingRun, Review

C, B, R, CR, RR, D = (
    Call.Status,
    Bid.Status,
    Review.Status,
    ConsensusReport.Status,
    RankingRun.Status,
    Decision.Status,
)

GRAPHS = {
    Call: {
        (C.DRAFT, C.OPEN),
        (C.OPEN, C.CLOSED),
        (C.CLOSED, C.OPEN),
        (C.CLOSED, C.UNDER_REVIEW),
        (C.UNDER_REVIEW, C.DECIDED),
        (C.DECIDED, C.PUBLISHED),
        (C.DECIDED, C.UNDER_REVIEW),  # only by withdrawing the decision (review's guard)
    },
    Bid: {
        (B.DRAFT, B.SUBMITTED),  # a draft never submitted has nothing to withdraw
        (B.SUBMITTED, B.SUBMITTED),
        (B.SUBMITTED, B.WITHDRAWN),
        (B.WITHDRAWN, B.DRAFT),
        (B.WITHDRAWN, B.SUBMITTED),
    },
    Review: {(R.DRAFT, R.SUBMITTED), (R.SUBMITTED, R.DRAFT)},
    ConsensusReport: {
        (CR.DRAFT, CR.SUBMITTED),
        (CR.SUBMITTED, CR.APPROVED),
        (CR.SUBMITTED, CR.DRAFT),
        (CR.APPROVED, CR.TO_REAPPROVE),
        (CR.TO_REAPPROVE, CR.APPROVED),
        (CR.TO_REAPPROVE, CR.DRAFT),
    },
    RankingRun: {
        (RR.PENDING, RR.RUNNING),
        (RR.PENDING, RR.DONE),
        (RR.PENDING, RR.FAILED),
        (RR.RUNNING, RR.DONE),
        (RR.RUNNING, RR.FAILED),
    },
    Decision: {
        (D.DRAFT, D.APPROVED),
        (D.DRAFT, D.DISCARDED),
        (D.APPROVED, D.SUPERSEDED),
        (D.APPROVED, D.WITHDRAWN),
    },
}

EVERY_PAIR = [
    (model, from_status, to_status, (from_status, to_status) in edges)
    for model, edges in GRAPHS.items()
    for from_status, to_status in itertools.product(model.Status.values, repeat=2)
]


@pytest.mark.parametrize("model", list(GRAPHS))
def test_graph_lists_every_status_once(model):
    assert sorted(model.TRANSITIONS) == sorted(model.Status.values)


@pytest.mark.parametrize(
    ("model", "from_status", "to_status", "allowed"),
    EVERY_PAIR,
    ids=[f"{m.__name__}-{f}-{t}" for m, f, t, _ in EVERY_PAIR],
)
def test_check_transition_follows_the_graph(model, from_status, to_status, allowed):
    obj = model(status=from_status)

    if allowed:
        transitions.check_transition(obj, to_status)
    else:
        with pytest.raises(ValidationError, match="cannot change from"):
            transitions.check_transition(obj, to_status)


def test_check_transition_refuses_with_the_callers_message_naming_both_statuses():
    with pytest.raises(ValidationError) as refused:
        transitions.check_transition(
            Call(status=C.PUBLISHED), C.DRAFT, refused="No way from %(from)s to %(to)s."
        )

    assert refused.value.messages == ["No way from Published to Draft."]


def test_check_transition_refuses_an_unknown_status():
    with pytest.raises(ValidationError) as refused:
        transitions.check_transition(Review(status=R.DRAFT), "archived")

    assert refused.value.messages == ["Unknown status “archived”."]


def test_sources_are_the_statuses_leading_to_one():
    assert transitions.sources(RankingRun, RR.FAILED) == [RR.PENDING, RR.RUNNING]


def test_targets_of_a_final_status_are_empty():
    assert transitions.targets(RankingRun(status=RR.DONE)) == frozenset()


@pytest.mark.parametrize(
    ("status", "editable", "commentable"),
    [(CR.DRAFT, True, True), (CR.SUBMITTED, False, True), (CR.APPROVED, False, False)],
)
def test_consensus_report_freezes_edits_on_submission_and_comments_on_approval(
    status, editable, commentable
):
    report = ConsensusReport(status=status)

    assert (report.is_editable, report.accepts_comments) == (editable, commentable)
