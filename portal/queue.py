"""Handing work to the Celery workers, and what happens when the broker (Redis) is down.

Two kinds of work, two contracts:

- **Work an administrator starts and waits for** (a ranking run, an assignment proposal, an
  export): :func:`start` publishes the task once the row that describes the work is
  committed. If the broker does not answer within a few seconds the row is marked *failed*
  with a message saying why (never left *pending* forever, nothing else written) and
  :class:`BrokerUnavailable` is raised: the view shows the message with a 503.
- **Work nobody waits for** (e-mails, decision letters): :func:`publish_on_commit` tries to
  publish after the commit and, when the broker is down, logs one line and leaves the row
  *queued*; the periodic sweeps (``portal.mail.requeue_stalled_mail``,
  ``review.services.letters.requeue_stalled_letters``) publish it again once the broker is
  back. The request that caused it succeeds.

Tasks are safe to run twice (acks late, idempotent steps), so a message published twice is
harmless. In eager mode (tests, ``CELERY_TASK_ALWAYS_EAGER``) the task runs in the process.
"""

import logging
from typing import Any

from celery import Task
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What a publish raises when the broker is unreachable (kombu wraps the transport's errors).
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, OSError)
# A request must not hang on a dead broker: three tries within about 1.5 s.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.5, "interval_step": 0.5}


class BrokerUnavailable(Exception):
    """The task queue did not answer; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def unavailable_message() -> str:
    return _(
        "The task queue is unavailable at the moment, so the work was not started (nothing "
        "else was recorded). Try again in a few minutes; if it persists, tell the operators."
    )


def publish(task: Task, **kwargs: Any) -> bool:
    """Publish ``task`` with ``kwargs`` now; ``False`` (and one log line) if the broker is down."""
    try:
        task.apply_async(kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS as error:
        logger.warning("Task queue unreachable, %s%s not queued: %s", task.name, kwargs, error)
        return False
    return True


def publish_on_commit(task: Task, **kwargs: Any) -> None:
    """Publish after the commit, best effort: a sweep publishes it again if the broker is down."""
    transaction.on_commit(lambda: publish(task, **kwargs))


def start(task: Task, *, row: models.Model, **kwargs: Any) -> None:
    """Publish the task that computes ``row`` (a model with ``status``, ``error`` and a
    *pending* status) once it is committed; if the broker is down, mark ``row`` failed and
    raise :class:`BrokerUnavailable`.

    Views run in autocommit, so the row is committed and the failure reaches the view. Inside
    ``transaction.atomic()`` (a test's transaction, a caller's) publishing waits for the
    commit and a failure can only be recorded on the row.
    """
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _publish_or_fail(task, row=row, **kwargs))
        return
    if not _publish_or_fail(task, row=row, **kwargs):
        raise BrokerUnavailable(unavailable_message())


def _publish_or_fail(task: Task, *, row: models.Model, **kwargs: Any) -> bool:
    if publish(task, **kwargs):
        return True
    fail_unqueued(row)
    return False


def fail_unqueued(row: models.Model) -> None:
    """Mark a row whose task could not be queued as failed, if it is still pending."""
    model = type(row)
    status = model.Status  # type: ignore[attr-defined]  # the models start() accepts have one
    changes: dict[str, Any] = {"status": status.FAILED, "error": unavailable_message()}
    if any(field.name == "finished_at" for field in model._meta.get_fields()):
        changes["finished_at"] = timezone.now()
    model._default_manager.filter(pk=row.pk, status=status.PENDING).update(**changes)
    for name, value in changes.items():
        setattr(row, name, value)
