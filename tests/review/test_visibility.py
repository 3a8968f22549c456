"""Who may see a bid as a juror: the exclusion rule (``review.models.juror_excluded``), the
QuerySet methods built on it, and the reads of ``review.queries.visibility`` and
``review.queries.assignments.blocked_pairs``."""

import pytest

from applications.models import Bid
from review.models import Assignment, Conflict, CriterionScore, JurorProfile
from review.queries.assignments import blocked_pairs
from review.queries.visibility import active_assignment, excluded_juror_ids, excluded_pairs
from tests.factories import (
    AssignmentFactory,
    BidFactory,
    CallFactory,
    ConflictDeclarationFactory,
    ConflictFactory,
    CriterionScoreFactory,
    JurorProfileFactory,
)

pytestmark = pytest.mark.django_db

EXCLUDING = ["declared", "confirmed"]
NOT_EXCLUDING = ["suggested", "dismissed", "declared_none", "none"]


def _conflict(kind: str, *, juror: JurorProfile, bid: Bid) -> None:
    """Record the conflict ``kind`` between the juror and the bid (``none``: nothing)."""
    if kind == "declared":
        ConflictDeclarationFactory(juror=juror, bid=bid, has_conflict=True)
    elif kind == "declared_none":
        ConflictDeclarationFactory(juror=juror, bid=bid, has_conflict=False)
    elif kind in ("confirmed", "suggested", "dismissed"):
        ConflictFactory(juror=juror, bid=bid, status=kind)


def _assignment(kind: str) -> Assignment:
    assignment = AssignmentFactory(bid=BidFactory(status=Bid.Status.SUBMITTED))
    _conflict(kind, juror=assignment.juror, bid=assignment.bid)
    return assignment


# --------------------------------------------------------------------------- Bid.assessable


def test_assessable_bids_are_submitted_and_not_found_ineligible():
    call = CallFactory()
    pending = BidFactory(call=call, status=Bid.Status.SUBMITTED)
    eligible = BidFactory(
        call=call, status=Bid.Status.SUBMITTED, eligibility=Bid.Eligibility.ELIGIBLE
    )
    BidFactory(call=call, status=Bid.Status.SUBMITTED, eligibility=Bid.Eligibility.INELIGIBLE)
    BidFactory(call=call, status=Bid.Status.WITHDRAWN)
    BidFactory(call=call, status=Bid.Status.DRAFT)

    assessable = set(Bid.objects.assessable())

    assert assessable == {pending, eligible}


# --------------------------------------------------------------------------- Assignment.active


@pytest.mark.parametrize("kind", EXCLUDING)
def test_active_assignments_leave_out_a_declared_or_confirmed_conflict(kind):
    assignment = _assignment(kind)

    assert list(Assignment.objects.active()) == []
    assert active_assignment(assignment.juror.user, assignment.bid) is None


@pytest.mark.parametrize("kind", NOT_EXCLUDING)
def test_active_assignments_keep_a_suggested_dismissed_or_no_conflict(kind):
    assignment = _assignment(kind)

    assert list(Assignment.objects.active()) == [assignment]
    assert active_assignment(assignment.juror.user, assignment.bid) == assignment


def test_active_assignment_conflict_on_another_bid_does_not_count():
    assignment = _assignment("none")
    ConflictFactory(juror=assignment.juror, bid=BidFactory(), status="confirmed")
    ConflictDeclarationFactory(juror=JurorProfileFactory(), bid=assignment.bid, has_conflict=True)

    assert list(Assignment.objects.active()) == [assignment]


def test_active_assignment_is_none_for_a_user_who_is_not_a_juror():
    assignment = _assignment("none")
    other = JurorProfileFactory()

    assert active_assignment(other.user, assignment.bid) is None
    assert active_assignment(assignment.juror.user, None) is None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("declared_none", True), ("declared", False), ("none", False), ("confirmed", False)],
)
def test_with_declared_no_conflict_annotates_a_declaration_of_no_conflict(kind, expected):
    assignment = _assignment(kind)

    annotated = Assignment.objects.with_declared_no_conflict().get(pk=assignment.pk)

    assert annotated.declared_no_conflict is expected


# --------------------------------------------------------------------------- JurorProfile


@pytest.mark.parametrize("kind", EXCLUDING)
def test_excluded_from_finds_a_declared_or_confirmed_conflict_assigned_or_not(kind):
    bid = BidFactory(status=Bid.Status.SUBMITTED)
    assigned = AssignmentFactory(bid=bid).juror
    unassigned = JurorProfileFactory()
    _conflict(kind, juror=assigned, bid=bid)
    _conflict(kind, juror=unassigned, bid=bid)
    _conflict(kind, juror=JurorProfileFactory(), bid=BidFactory())

    assert set(JurorProfile.objects.excluded_from(bid)) == {assigned, unassigned}
    assert excluded_juror_ids(bid) == {assigned.pk, unassigned.pk}


@pytest.mark.parametrize("kind", NOT_EXCLUDING)
def test_excluded_from_ignores_a_suggested_dismissed_or_no_conflict(kind):
    assignment = _assignment(kind)

    assert excluded_juror_ids(assignment.bid) == set()


# --------------------------------------------------------------------------- CriterionScore


@pytest.mark.parametrize("kind", EXCLUDING)
def test_scores_of_active_jurors_leave_out_a_declared_or_confirmed_conflict(kind):
    score = CriterionScoreFactory()
    kept = CriterionScoreFactory()
    _conflict(kind, juror=score.review.assignment.juror, bid=score.review.assignment.bid)

    assert list(CriterionScore.objects.of_active_jurors()) == [kept]


@pytest.mark.parametrize("kind", NOT_EXCLUDING)
def test_scores_of_active_jurors_keep_a_suggested_dismissed_or_no_conflict(kind):
    score = CriterionScoreFactory()
    _conflict(kind, juror=score.review.assignment.juror, bid=score.review.assignment.bid)

    assert list(CriterionScore.objects.of_active_jurors()) == [score]


# --------------------------------------------------------------------------- pairs of a call


def test_excluded_pairs_of_a_call_are_declared_and_confirmed_conflicts_assigned_or_not():
    call = CallFactory()
    bid = BidFactory(call=call, status=Bid.Status.SUBMITTED)
    jurors = {kind: JurorProfileFactory() for kind in [*EXCLUDING, *NOT_EXCLUDING]}
    for kind, juror in jurors.items():
        _conflict(kind, juror=juror, bid=bid)
    AssignmentFactory(juror=jurors["declared"], bid=bid)
    _conflict("confirmed", juror=JurorProfileFactory(), bid=BidFactory())  # another call

    pairs = excluded_pairs(call=call)

    assert pairs == {(jurors["declared"].pk, bid.pk), (jurors["confirmed"].pk, bid.pk)}


def test_blocked_pairs_add_suggested_conflicts_to_the_excluded_pairs():
    call = CallFactory()
    bid = BidFactory(call=call, status=Bid.Status.SUBMITTED)
    jurors = {kind: JurorProfileFactory() for kind in [*EXCLUDING, *NOT_EXCLUDING]}
    for kind, juror in jurors.items():
        _conflict(kind, juror=juror, bid=bid)

    blocked = blocked_pairs(call=call)

    assert blocked == {
        (jurors["declared"].pk, bid.pk): "a conflict of interest the juror declared",
        (jurors["confirmed"].pk, bid.pk): "a confirmed conflict of interest",
        (jurors["suggested"].pk, bid.pk): (
            "a suggested conflict of interest (confirm or dismiss it first)"
        ),
    }
    assert set(blocked) - {(jurors["suggested"].pk, bid.pk)} == excluded_pairs(call=call)


def test_blocked_pairs_a_confirmed_reason_wins_over_a_suggested_one_and_a_declared_over_both():
    call = CallFactory()
    bid = BidFactory(call=call, status=Bid.Status.SUBMITTED)
    confirmed, declared = JurorProfileFactory(), JurorProfileFactory()
    ConflictFactory(juror=confirmed, bid=bid, status=Conflict.Status.SUGGESTED, kind="family")
    ConflictFactory(juror=confirmed, bid=bid, status=Conflict.Status.CONFIRMED)
    ConflictFactory(juror=declared, bid=bid, status=Conflict.Status.CONFIRMED)
    ConflictDeclarationFactory(juror=declared, bid=bid, has_conflict=True)

    blocked = blocked_pairs(call=call)

    assert blocked == {
        (confirmed.pk, bid.pk): "a confirmed conflict of interest",
        (declared.pk, bid.pk): "a conflict of interest the juror declared",
    }
