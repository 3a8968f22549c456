"""The index of an assignment proposal (``review.services.proposal_index``): its pairs say
what the stored result says, it is written once, and the preview reads it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from review.models import AssignmentProposal, ProposalIndex, ProposalPair
from review.services.proposal_index import index_proposal_result
from tests.factories import JurorProfileFactory
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import ready_proposal, scored_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


def _proposal(setup, *, idle=()) -> AssignmentProposal:
    pairs = [
        {"juror": a.juror_id, "bid": a.bid_id, "similarity": 0.25 + i / 100, "pinned": i == 0}
        for i, a in enumerate(setup.assignments)
    ]
    return ready_proposal(setup, pairs, idle_jurors=list(idle), notes=["a note"], bounds=(3.0, 4.0))


def test_the_indexed_pairs_agree_with_the_stored_result():
    setup = scored_call(bids=6, jurors=4)
    proposal = _proposal(setup)

    assert index_proposal_result(proposal_id=proposal.pk) is True

    stored = [
        (p["juror"], p["bid"], p["similarity"], p["pinned"]) for p in proposal.result["pairs"]
    ]
    indexed = ProposalPair.objects.filter(proposal=proposal).order_by("pk")
    assert [(p.juror_id, p.bid_id, p.similarity, p.pinned) for p in indexed] == stored
    figures = ProposalIndex.objects.get(proposal=proposal).figures
    assert (figures["pinned_count"], figures["quality"], figures["groups"]) == (1, 0.75, 1)


def test_indexing_twice_writes_the_pairs_once():
    setup = scored_call(bids=6, jurors=4)
    proposal = _proposal(setup)
    index_proposal_result(proposal_id=proposal.pk)

    index_proposal_result(proposal_id=proposal.pk)

    assert ProposalPair.objects.filter(proposal=proposal).count() == len(setup.assignments)


def test_the_preview_of_a_proposal_without_index_indexes_it_once_and_shows_the_result(
    admin_client,
):
    setup = scored_call(bids=6, jurors=4)
    idle = JurorProfileFactory(display_name="Idle juror")
    proposal = _proposal(setup, idle=[idle.pk])

    response = admin_client.get(reverse("review:proposal_detail", args=[proposal.pk]))

    preview = response.context["preview"]
    shown = {
        (juror.pk, row.bid.pk, similarity, pinned)
        for row in preview.bids
        for juror, similarity, pinned in row.pairs
    }
    assert shown == {
        (p["juror"], p["bid"], p["similarity"], p["pinned"]) for p in proposal.result["pairs"]
    }
    assert {(row.juror.pk, row.load) for row in preview.jurors} == {
        (int(pk), load) for pk, load in proposal.result["load"].items()
    }
    assert [juror.display_name for juror in preview.idle_jurors] == ["Idle juror"]
    assert (preview.pinned_count, preview.quality, preview.notes) == (1, 0.75, ["a note"])
    assert ProposalIndex.objects.filter(proposal=proposal).count() == 1


def test_the_preview_does_not_read_the_stored_result(admin_client):
    setup = scored_call(bids=6, jurors=4)
    proposal = _proposal(setup)
    index_proposal_result(proposal_id=proposal.pk)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("review:proposal_detail", args=[proposal.pk]))

    assert response.status_code == 200
    column = '"review_assignmentproposal"."result"'
    assert [q["sql"] for q in queries if column in q["sql"]] == []


def test_a_juror_deleted_since_the_computation_drops_out_of_the_preview(admin_client):
    setup = scored_call(bids=6, jurors=4)
    proposal = _proposal(setup)
    gone = setup.jurors[0]
    gone.delete()

    response = admin_client.get(reverse("review:proposal_detail", args=[proposal.pk]))

    preview = response.context["preview"]
    assert gone.pk not in {row.juror.pk for row in preview.jurors}
    assert all(juror.pk != gone.pk for row in preview.bids for juror, _s, _p in row.pairs)


def test_an_infeasible_proposal_is_indexed_with_its_reasons(admin_client):
    setup = scored_call(bids=2, jurors=2)
    proposal = AssignmentProposal.objects.create(
        call=setup.call,
        status=AssignmentProposal.Status.FAILED,
        error="infeasible",
        result={"infeasible": [{"code": "unknown", "message": "Too few jurors", "params": {}}]},
    )

    response = admin_client.get(reverse("review:proposal_detail", args=[proposal.pk]))

    assert response.context["preview"].infeasible == ["Too few jurors"]
