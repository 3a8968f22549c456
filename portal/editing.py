"""Edits refused because of the state of what is edited, or because someone saved in between.

Two exception families, both ``ValidationError`` so that callers read ``messages`` alike:

- :class:`ClosedForEdits`: the object accepts no edit now; views answer 403 with the
  message. :class:`CallClosed` (a bid, while its call is not open or after its deadline),
  :class:`DeadlinePassed` (a review after the review deadline), :class:`Locked` (a submitted
  review, a submitted or approved consensus report).
- :class:`StaleEdit`: the page was loaded from a version that is no longer the saved one;
  views answer 409 (or re-render the form with the message), so nobody's text is silently
  overwritten.

Every versioned write (bid sections, consortium, budget, reviews, consensus reports) checks
its version with :func:`swap_version`: one conditional ``UPDATE … WHERE version = n``
(compare-and-swap), atomic on SQLite and PostgreSQL alike, needing no row lock.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import F


class ClosedForEdits(ValidationError):
    """The object accepts no edit in its current state (views answer 403)."""

    def __init__(self, message: str, *, code: str = "closed"):
        super().__init__(message, code=code)


class CallClosed(ClosedForEdits):
    """The call accepts no writes to its bids (not open yet, closed, or past its deadline)."""


class DeadlinePassed(ClosedForEdits):
    """A deadline other than the call's (the review deadline) has passed."""


class Locked(ClosedForEdits):
    """Its workflow status locks the object (a submitted review, an approved report…)."""


class EvaluationFrozen(PermissionDenied):
    """The call is decided: its evaluation accepts no write (a 403 with this message).

    A ``PermissionDenied`` rather than a ``ValidationError``: no form can fix it, and a view
    that re-renders its form on ``ValidationError`` must not swallow it.
    """


class StaleEdit(ValidationError):
    """Someone saved the same thing after this request's page was loaded (views answer 409)."""

    def __init__(self, message: str, *, saved_at: datetime | None = None, version: int = 0):
        super().__init__(message, code="conflict")
        self.saved_at = saved_at
        self.current_version = version


def swap_version(
    rows: models.QuerySet[Any], *, expected: int, field: str = "version", **changes: Any
) -> bool:
    """Compare-and-swap: bump ``field`` and write ``changes`` on ``rows`` where ``field`` is
    still ``expected``, in one conditional ``UPDATE``. ``True`` if a row was swapped."""
    return rows.filter(**{field: expected}).update(**{field: F(field) + 1}, **changes) > 0


def swap_instance_version(instance: models.Model | None, *, expected: int) -> bool:
    """:func:`swap_version` on one saved row's ``version``; ``None`` (not created yet) is at
    version 0. The caller then saves the instance with ``version = expected + 1``."""
    if instance is None:
        return expected == 0
    manager = type(instance)._default_manager
    return swap_version(manager.filter(pk=instance.pk), expected=expected)
