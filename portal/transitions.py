"""Status graphs: which status each status may move to, declared once on the model.

A model with a ``status`` field declares ``TRANSITIONS = transitions.table({from: {to, …}})``
listing every status (a final one maps to nothing). Services that change a status call
:func:`check_transition` first (or, for conditional ``UPDATE``s, filter on
:func:`sources`), so the graph holds whoever asks; preconditions beyond the graph (a
deadline, a permission) stay in the service that states them.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

Table = Mapping[str, frozenset[str]]


def table(edges: Mapping[str, Iterable[str]]) -> Table:
    """A status graph, frozen: ``{from_status: {to_status, …}}``."""
    return {
        str(source): frozenset(str(target) for target in targets)
        for source, targets in edges.items()
    }


def _graph(model: type[models.Model] | models.Model) -> Table:
    return model.TRANSITIONS  # type: ignore[union-attr]  # declared by each model with a graph


def allows(model: type[models.Model] | models.Model, from_status: str, to_status: str) -> bool:
    return to_status in _graph(model).get(from_status, frozenset())


def targets(obj: models.Model) -> frozenset[str]:
    """The statuses ``obj`` may move to from its current one (none: it is final)."""
    return _graph(obj)[obj.status]  # type: ignore[attr-defined]  # models with a graph have status


def sources(model: type[models.Model], to_status: str) -> list[str]:
    """The statuses from which ``to_status`` may be reached, e.g. for ``status__in=``."""
    return [source for source, allowed in _graph(model).items() if to_status in allowed]


def check_transition(obj: models.Model, to_status: str, *, refused: str | None = None) -> None:
    """Raise ``ValidationError`` unless ``obj`` may move from its status to ``to_status``.

    ``refused`` is the message when the graph has no such edge; ``%(from)s`` and ``%(to)s``
    in it are replaced by the two statuses' labels (by default, a message naming them).
    """
    status_field: Any = obj._meta.get_field("status")
    labels = dict(status_field.choices)
    if to_status not in labels:
        raise ValidationError(_("Unknown status “%(status)s”.") % {"status": to_status})
    from_status = obj.status  # type: ignore[attr-defined]  # models with a graph have status
    if not allows(obj, from_status, to_status):
        message = refused or _("The status cannot change from “%(from)s” to “%(to)s”.")
        raise ValidationError(message % {"from": labels[from_status], "to": labels[to_status]})
