"""A juror's list: their active assignments and what each waits for (one query)."""

from collections.abc import Mapping
from typing import Any

from django.db.models import F

from review.models import Assignment, JurorProfile, Review


class JurorStatus:
    DECLARE = "declare"
    TO_SCORE = "to_score"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ALL = (DECLARE, TO_SCORE, DRAFT, SUBMITTED)


def juror_assignment_values(*, juror: JurorProfile) -> list[Mapping[str, Any]]:
    """The juror's active assignments, with what the juror has to do next, for their list.

    One query: ``declared_no_conflict`` and the review's status ride along. Plain
    dictionaries: 200 rows of four model instances each would cost more than the rest of
    the page.
    """
    return list(
        Assignment.objects.active()
        .filter(juror=juror)
        .with_declared_no_conflict()
        .annotate(review_status=F("review__status"))
        .order_by(F("bid__call__review_deadline").asc(nulls_last=True), "bid__acronym")
        .values(
            "is_rapporteur",
            "declared_no_conflict",
            "review_status",
            "bid__acronym",
            "bid__title",
            "bid__public_id",
            "bid__call_id",
            "bid__call__review_deadline",
            "bid__lead_institution__name",
        )
    )


def status_of(*, declared_no_conflict: bool, review_status: str | None) -> str:
    """What an assignment waits for, from the annotations of :func:`juror_assignment_values`."""
    if not declared_no_conflict:
        return JurorStatus.DECLARE
    if review_status == Review.Status.SUBMITTED:
        return JurorStatus.SUBMITTED
    if review_status == Review.Status.DRAFT:
        return JurorStatus.DRAFT
    return JurorStatus.TO_SCORE
