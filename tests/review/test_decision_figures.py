"""The decision's figures read as plain rows (``decision_figures``: what the decision page, the
save and the approval check and total) equal the former computation over model instances
(``pure_line`` of every ``BidDecision``), as stored and with an administrator's changes."""

import pytest

from applications.models import Bid
from review import decision as rules_of_decision
from review.models import BidDecision
from review.queries.decisions import LineInput, decision_figures, decision_lines, pure_line
from review.services import decisions as service
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from tests.factories import AdministratorFactory
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db

F = BidDecision.Outcome


def _bounds(call) -> rules_of_decision.Bounds:
    return rules_of_decision.Bounds(
        envelope=int(call.envelope),
        min_winners=int(call.min_winners),
        max_winners=int(call.max_winners),
    )


def _former(decision, changes=None):
    changes = changes or {}
    lines = decision_lines(decision=decision)
    return (
        [pure_line(line, changes.get(line.bid_id)) for line in lines],
        {line.bid_id: line.bid.acronym for line in lines},
    )


@pytest.fixture
def decision():
    setup = scored_call(bids=12, envelope=130_000_000, min_winners=2, max_winners=4)
    admin = AdministratorFactory()
    run = create_and_run_ranking(call=setup.call, by=admin, settings=RunSettings())
    decision = service.prepare_decision(call=setup.call, run=run, by=admin)
    lines = decision_lines(decision=decision)
    # After preparation: a bid found ineligible, another's line with reasons and a position.
    Bid.objects.filter(pk=lines[-1].bid_id).update(eligibility=Bid.Eligibility.INELIGIBLE)
    BidDecision.objects.filter(pk=lines[-2].pk).update(
        outcome=F.RESERVE, reserve_position=7, reason=" moved ", override_reason="x"
    )
    return decision


def test_the_figures_as_stored_equal_the_former_computation(decision):
    figures = decision_figures(decision=decision)
    lines, labels = _former(decision)

    assert (figures.lines, figures.labels) == (lines, labels)
    # The same types too (SQLite would give 1 and 0 for a boolean without its converter).
    assert [tuple(map(type, line)) for line in figures.lines] == [
        tuple(map(type, line)) for line in lines
    ]
    assert rules_of_decision.problems(figures.lines, _bounds(decision.call)) == (
        rules_of_decision.problems(lines, _bounds(decision.call))
    )
    assert rules_of_decision.totals(figures.lines, _bounds(decision.call)) == (
        rules_of_decision.totals(lines, _bounds(decision.call))
    )
    assert len(rules_of_decision.problems(lines, _bounds(decision.call))) >= 2


def test_the_figures_with_changes_equal_the_former_computation(decision):
    lines = decision_lines(decision=decision)
    changes = {
        lines[0].bid_id: LineInput(outcome=F.NOT_FUNDED, reason="Withdrew."),
        lines[1].bid_id: LineInput(outcome=F.FUNDED, amount=1, reason=""),
        lines[2].bid_id: LineInput(outcome="nonsense"),
    }

    figures = decision_figures(decision=decision, changes=changes)

    assert (figures.lines, figures.labels) == _former(decision, changes)
    assert figures.funded() == [
        (line.bid_id, line.bid.acronym)
        for line, pure in zip(lines, figures.lines, strict=True)
        if pure.outcome == F.FUNDED
    ]
