"""Stored results that their pages read from an index (``review.services.ranking_rows``,
``review.services.proposal_index``) and that have none yet: computed before the index
existed (migrations ``review`` 0016 and 0018), they would be indexed on their first page view
(seconds at 10,000 bids); ``manage.py index_ranking_results`` indexes them at once."""

from review.models import AssignmentProposal, RankingRun


def unindexed_run_ids() -> list[int]:
    """The finished runs without a result index, oldest first (one query)."""
    return list(
        RankingRun.objects.filter(status=RankingRun.Status.DONE, result_index__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def unindexed_proposal_ids() -> list[int]:
    """The computed assignment proposals (ready or failed) without a preview index, oldest
    first (one query)."""
    return list(
        AssignmentProposal.objects.filter(
            status__in=(AssignmentProposal.Status.READY, AssignmentProposal.Status.FAILED),
            preview_index__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
