"""The index of a computed assignment proposal: its pairs as rows and the preview's figures,
written once from the stored result so that the preview page reads one page of bids and one
of jurors in SQL instead of decoding every pair (50 000 at 10 000 bids) for each request.

:func:`index_proposal_result` is called where the result is stored
(``review.services.assignments.compute_assignment_proposal``) and, for proposals computed
before the index existed, by the preview page the first time it is shown. Safe to run
twice: a proposal already indexed is left as it is.
"""

from django.db import transaction

from applications.models import Bid
from review.models import AssignmentProposal, JurorProfile, ProposalIndex, ProposalPair


def index_proposal_result(*, proposal_id: int) -> bool:
    """Write the pairs and figures of proposal ``proposal_id``, once; whether it is indexed
    afterwards (``False``: gone, or no result yet)."""
    with transaction.atomic():
        proposal = AssignmentProposal.objects.select_for_update().filter(pk=proposal_id).first()
        if proposal is None or not proposal.result:
            return False
        if ProposalIndex.objects.filter(proposal=proposal).exists():
            return True
        result = proposal.result
        if "infeasible" in result:
            ProposalIndex.objects.create(
                proposal=proposal, figures={"infeasible": result["infeasible"]}
            )
            return True
        pairs = result["pairs"]
        # Bids and jurors deleted since the computation drop out (only the call's bids).
        jurors = set(
            JurorProfile.objects.filter(pk__in={pair["juror"] for pair in pairs}).values_list(
                "pk", flat=True
            )
        )
        bids = set(Bid.objects.filter(call_id=proposal.call_id).values_list("pk", flat=True))
        ProposalIndex.objects.create(
            proposal=proposal,
            figures={
                "mean_similarity": result["mean_similarity"],
                "connected": result["connected"],
                "groups": len(result["juror_components"]),
                "idle_jurors": list(result["idle_jurors"]),
                "notes": list(result["notes"]),
                "pinned_count": sum(1 for pair in pairs if pair["pinned"]),
                "quality": result["total_similarity"] / result["upper_bound"]
                if result.get("upper_bound")
                else None,
            },
        )
        ProposalPair.objects.bulk_create(
            (
                ProposalPair(
                    proposal=proposal,
                    juror_id=pair["juror"],
                    bid_id=pair["bid"],
                    similarity=pair["similarity"],
                    pinned=pair["pinned"],
                )
                for pair in pairs
                if pair["juror"] in jurors and pair["bid"] in bids
            ),
            batch_size=2000,
        )
    return True
