"""Arrange helpers for the public results: a call taken through the real pipeline (scores,
ranking run, approved decision) to any status from "under review" to "published"."""

from dataclasses import dataclass

from applications.models import Call
from applications.services.calls import transition_call
from review.models import Decision, RankingRun
from review.services import decisions as decision_service
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from tests.factories import AdministratorFactory
from tests.review.ranking_run_setup import RankingSetup, scored_call


@dataclass
class DecidedCall:
    setup: RankingSetup
    run: RankingRun
    decision: Decision | None

    @property
    def call(self) -> Call:
        return self.setup.call


def decided_call(
    *,
    bids: int = 6,
    status: str = Call.Status.PUBLISHED,
    settings: RunSettings | None = None,
    **call_kwargs,
) -> DecidedCall:
    """A scored call with a done run; with ``status`` "decided" or "published", an approved
    decision too (prepared by one administrator, approved by another)."""
    call_kwargs.setdefault("envelope", 130_000_000)
    call_kwargs.setdefault("min_winners", 2)
    call_kwargs.setdefault("max_winners", 4)
    setup = scored_call(bids=bids, **call_kwargs)
    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory(), settings=settings)
    decision = None
    if status in (Call.Status.DECIDED, Call.Status.PUBLISHED):
        decision = decision_service.prepare_decision(
            call=setup.call, run=run, by=AdministratorFactory()
        )
        decision = decision_service.approve_decision(decision=decision, by=AdministratorFactory())
    if status == Call.Status.PUBLISHED:
        transition_call(call=setup.call, to_status=Call.Status.PUBLISHED, by=AdministratorFactory())
    setup.call.refresh_from_db()
    assert setup.call.status == status
    return DecidedCall(setup=setup, run=run, decision=decision)
