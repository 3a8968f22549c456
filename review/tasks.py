"""Celery tasks of the jury: thin wrappers that load a row by id and call one service."""

from celery import shared_task

from applications.models import Call
from portal import queue
from review.models import AssignmentProposal, CallExport, RankingRun
from review.queries.letters import stalled_letter_ids
from review.services.assignments import compute_assignment_proposal
from review.services.exports import build_export
from review.services.juror_import import send_import_invitations
from review.services.letters import MAX_ATTEMPTS, Sending, send_decision_letter
from review.services.ranking_runs import record_ranking_chunk, start_ranking_run
from review.services.reminders import send_review_reminders


@shared_task
def task_compute_assignment(*, proposal_id: int) -> None:
    """Compute an automatic assignment proposal; idempotent, quiet if the row is gone."""
    proposal = AssignmentProposal.objects.select_related("call").filter(pk=proposal_id).first()
    if proposal is None:
        return
    compute_assignment_proposal(proposal=proposal)


@shared_task(acks_late=True)
def task_send_import_invitations(*, call_id: int, profile_ids: list[int]) -> None:
    """One batch for an import: each juror's e-mail is queued through the mail task."""
    call = Call.objects.filter(pk=call_id).first()
    if call is not None:
        send_import_invitations(call=call, profile_ids=profile_ids)


@shared_task
def task_send_review_reminders() -> None:
    """Beat, hourly: e-mail jurors with unfinished reviews; recorded, so re-runs send nothing."""
    send_review_reminders()


# Ranking runs. No chord, so no result backend: the worker that stores the last
# bootstrap chunk finishes the run (see review.services.ranking_runs).
@shared_task
def task_run_ranking(*, run_id: int) -> None:
    """Compute a ranking run, or hand its bootstrap chunks to the workers; safe to redeliver."""
    # Without its input: the first step reads what creation prepared from it.
    run = RankingRun.objects.without_bulk().filter(pk=run_id).first()
    if run is None:
        return
    for chunk in start_ranking_run(run=run):
        task_ranking_chunk.delay(
            run_id=run.pk, index=chunk.index, start=chunk.start, count=chunk.count
        )


@shared_task
def task_ranking_chunk(*, run_id: int, index: int, start: int, count: int) -> None:
    """One slice of a run's bootstrap; stored once however often the message arrives."""
    run = RankingRun.objects.without_bulk().filter(pk=run_id).first()
    if run is None:
        return
    record_ranking_chunk(run=run, index=index, start=start, count=count)


@shared_task
def task_build_export(*, export_id: int) -> None:
    """Build a call export's file; quiet if the row is gone, safe to run twice."""
    export = CallExport.objects.select_related("call").filter(pk=export_id).first()
    if export is None:
        return
    build_export(export=export)


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def task_send_decision_letter(self, *, letter_id: int) -> None:
    """E-mail one decision letter; retried with backoff while the mail server fails; safe to
    run twice (a sent letter is not sent again, a reached address not reached again)."""
    if send_decision_letter(letter_id=letter_id) is Sending.RETRY:
        raise self.retry(countdown=30 * 2**self.request.retries)


@shared_task
def task_requeue_stalled_letters() -> None:
    """Beat: publish again the queued letters whose task message was lost (the broker was
    down at publication); sending holds the letter's lock, so a duplicate is harmless."""
    for letter_id in stalled_letter_ids():
        queue.publish(task_send_decision_letter, letter_id=letter_id)
