"""``manage.py index_ranking_results``: the runs and proposals computed before their page
indexes existed are indexed at once, each once."""

from io import StringIO

import pytest
from django.core.management import call_command

from review.models import (
    AssignmentProposal,
    ProposalIndex,
    ProposalPair,
    RankingResultIndex,
    RankingResultRow,
    RankingRun,
)
from review.queries.indexes import unindexed_proposal_ids, unindexed_run_ids
from review.services.ranking_runs import RunSettings, create_and_run_ranking, create_ranking_run
from tests.factories import AdministratorFactory
from tests.review.ranking_run_setup import ready_proposal, scored_call

pytestmark = pytest.mark.django_db


def _unindexed_run(setup) -> RankingRun:
    """A finished run as it was before migration 0016: no rows, no figures."""
    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory(), settings=RunSettings())
    RankingResultIndex.objects.filter(run=run).delete()
    RankingResultRow.objects.filter(run=run).delete()
    return run


def _unindexed_proposal(setup) -> AssignmentProposal:
    """A computed proposal as it was before migration 0018 (stored result, no index)."""
    pairs = [
        {"juror": a.juror_id, "bid": a.bid_id, "similarity": 0.5, "pinned": False}
        for a in setup.assignments
    ]
    return ready_proposal(setup, pairs, bounds=(3.0, 4.0))


def _command() -> str:
    out = StringIO()
    call_command("index_ranking_results", stdout=out)
    return out.getvalue().strip()


def test_the_command_indexes_each_unindexed_run_and_proposal():
    setup = scored_call(bids=6, jurors=4)
    run = _unindexed_run(setup)
    proposal = _unindexed_proposal(setup)
    pending = create_ranking_run(call=setup.call, by=AdministratorFactory(), settings=RunSettings())
    assert unindexed_run_ids() == [run.pk]
    assert unindexed_proposal_ids() == [proposal.pk]

    output = _command()

    assert output == "Indexed 1 ranking run(s) and 1 assignment proposal(s)."
    assert RankingResultRow.objects.filter(run=run).count() == 6
    assert RankingResultIndex.objects.filter(run=run).exists()
    assert ProposalIndex.objects.filter(proposal=proposal).exists()
    assert ProposalPair.objects.filter(proposal=proposal).count() == len(setup.assignments)
    assert not RankingResultIndex.objects.filter(run=pending).exists()  # not done: left


def test_the_command_run_twice_indexes_nothing_more():
    setup = scored_call(bids=6, jurors=4)
    run = _unindexed_run(setup)
    _unindexed_proposal(setup)
    _command()
    rows = list(RankingResultRow.objects.filter(run=run).values_list("pk", flat=True))

    output = _command()

    assert output == "Indexed 0 ranking run(s) and 0 assignment proposal(s)."
    assert list(RankingResultRow.objects.filter(run=run).values_list("pk", flat=True)) == rows
    assert unindexed_run_ids() == []
    assert unindexed_proposal_ids() == []
