"""Model instances from the rows of a hand-written query, as the ORM would load them.

For the two reads every autosave makes (the session's user, the bid to save): composing and
compiling them with the ORM cost more CPU than the rest of the request (``bench/
profile_autosave.py``). Their SQL is written out, and the rows are turned into instances here
with the ORM's own converters (SQLite returns datetimes as text, booleans as integers) and
``Model.from_db``: a field the query did not read is deferred (loaded on first use, as with
``only()``), never a silent default.
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models

ModelT = TypeVar("ModelT", bound=models.Model)

_converters: dict[tuple[str, type[models.Model], str], tuple[Any, list[Callable[..., Any]]]] = {}


def converted(model: type[models.Model], attname: str, value: Any) -> Any:
    """``value`` of ``model``'s column ``attname`` as the ORM returns it."""
    key = (connection.vendor, model, attname)
    known = _converters.get(key)
    if known is None:
        field = _field(model, attname)
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        known = _converters[key] = (column, converters)
    column, converters = known
    for converter in converters:
        value = converter(value, column, connection)
    return value


def instance(model: type[ModelT], **values: Any) -> ModelT:
    """An instance with ``values`` (by attribute name: ``call_id``), the other fields deferred.

    Values are taken as they are: pass them through :func:`converted` first if they come
    straight from a cursor.
    """
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def column_names(model: type[models.Model]) -> list[str]:
    """The columns of every concrete field, in the order :func:`whole_instance` reads them."""
    return [f.column for f in model._meta.concrete_fields if f.column is not None]


def whole_instance(model: type[ModelT], values: Sequence[Any]) -> ModelT:
    """An instance from the values of :func:`column_names` ``(model)``, straight from a cursor."""
    fields = model._meta.concrete_fields
    return model.from_db(
        connection.alias,
        [f.attname for f in fields],
        [converted(model, f.attname, value) for f, value in zip(fields, values, strict=True)],
    )


def _field(model: type[models.Model], attname: str) -> models.Field:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    raise LookupError(f"{model.__name__} has no column {attname}")
