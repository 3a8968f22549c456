"""Celery tasks of the jury: thin wrappers that load a row by id and call one service."""

from celery import shared_task

from review.models import AssignmentProposal
from review.services.assignments import compute_assignment_proposal
from review.services.reminders import send_review_reminders


@shared_task
def task_compute_assignment(*, proposal_id: int) -> None:
    """Compute an automatic assignment proposal; idempotent, quiet if the row is gone."""
    proposal = AssignmentProposal.objects.select_related("call").filter(pk=proposal_id).first()
    if proposal is None:
        return
    compute_assignment_proposal(proposal=proposal)


@shared_task
def task_send_review_reminders() -> None:
    """Beat, hourly: e-mail jurors with unfinished reviews; recorded, so re-runs send nothing."""
    send_review_reminders()
