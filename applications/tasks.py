"""Celery tasks of the applications side: thin wrappers that load a row by id and call one
service."""

from celery import shared_task

from applications.models import BidVersion
from applications.services.deadline_reminders import send_deadline_reminders
from applications.services.submission import deliver_receipt, undelivered_receipts
from portal import queue


@shared_task(acks_late=True)
def task_deliver_receipt(*, version_id: int) -> None:
    """After a submission: build the receipt PDF, then e-mail it to the lead institution's
    members. Quiet if the version is gone; safe to run twice (built once, mailed once)."""
    version = BidVersion.objects.filter(pk=version_id).first()
    if version is None:
        return
    deliver_receipt(version=version)


@shared_task
def task_send_deadline_reminders() -> None:
    """Beat, hourly: remind coordinators before the deadline; recorded, so re-runs send nothing."""
    send_deadline_reminders()


@shared_task
def task_requeue_undelivered_receipts() -> None:
    """Beat: publish again the receipt deliveries whose task message was lost."""
    for version_id in undelivered_receipts():
        queue.publish(task_deliver_receipt, version_id=version_id)
