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

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, router
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


def swap_row_version(
    model: type[models.Model],
    *,
    where: Mapping[str, Any],
    expected: int,
    field: str = "version",
    **changes: Any,
) -> bool:
    """:func:`swap_version` for the autosave's hot path: the same conditional ``UPDATE``,
    written out from the model's columns (equality conditions only). Composing and compiling
    it with the ORM cost a sixth of an autosave's CPU. Values go through each field's own
    ``get_db_prep_save``, as the ORM's ``update()`` sends them; a model instance given for a
    foreign key stands for its primary key."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name

    def column_and_value(name: str, value: Any) -> tuple[str, Any]:
        model_field: Any = model._meta.get_field(name)  # concrete fields only
        if isinstance(value, models.Model):
            value = value.pk
        return quote(model_field.column), model_field.get_db_prep_save(value, connection)

    version_field: Any = model._meta.get_field(field)
    version = quote(version_field.column)
    assignments = [column_and_value(name, value) for name, value in changes.items()]
    conditions = [column_and_value(name, value) for name, value in where.items()]
    sets = ", ".join([f"{version} = {version} + 1", *(f"{c} = %s" for c, _ in assignments)])
    tests = " AND ".join([*(f"{c} = %s" for c, _ in conditions), f"{version} = %s"])
    table = quote(model._meta.db_table)
    # Identifiers come from the model's _meta (quoted), every value is a bound parameter.
    sql = f"UPDATE {table} SET {sets} WHERE {tests}"  # noqa: S608  # nosec B608 - see above
    parameters = [value for _, value in assignments] + [value for _, value in conditions]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*parameters, expected])
        return cursor.rowcount > 0


def swap_instance_version(instance: models.Model | None, *, expected: int) -> bool:
    """:func:`swap_version` on one saved row's ``version``; ``None`` (not created yet) is at
    version 0. The caller then saves the instance with ``version = expected + 1``."""
    if instance is None:
        return expected == 0
    manager = type(instance)._default_manager
    return swap_version(manager.filter(pk=instance.pk), expected=expected)
