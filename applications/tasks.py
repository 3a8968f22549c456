"""Celery tasks of the applications app: thin wrappers around one service each."""

from celery import shared_task

from applications.services.deadline_reminders import send_deadline_reminders


@shared_task
def task_send_deadline_reminders() -> None:
    """Beat, hourly: remind coordinators before the deadline; recorded, so re-runs send nothing."""
    send_deadline_reminders()
