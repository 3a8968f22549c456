"""The index of a finished run's result: one row per bid and the page's figures, written
once from the stored result so that the run page reads one page of rows in SQL instead of
decoding the whole result (16 MB of JSON at 10 000 bids) for every request.

The stored result (``RankingRun.result_json``) stays the artefact, byte-reproducible and
fingerprinted; the rows are derived from it by ``review.queries.ranking.run_table`` and
nothing else, so they say the same (a test compares them).

:func:`index_run_result` is called where a run's result is stored
(``review.services.ranking_runs._store_result``), with the result still in memory (it is
not decoded again from the database), and, for runs finished before the index existed, by
the run page the first time it is shown. Safe to run twice: a run already indexed is left
as it is.
"""

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.db import connection, models, transaction

from review.models import RankingResultIndex, RankingResultRow, RankingRun
from review.queries.ranking import RunRow, run_table


def index_run_result(*, run_id: int, result: Mapping[str, Any] | None = None) -> bool:
    """Write the rows and figures of the finished run ``run_id``, once; whether it is indexed
    afterwards (``False``: the run is gone or not done).

    ``result``: the run's stored result, when the caller holds it (it stored it, in this
    transaction): it is then not read and decoded again (half a second at 10,000 bids)."""
    with transaction.atomic():
        run = (
            RankingRun.objects.select_for_update()
            .select_related("call")
            .defer("engine_input", "result_json", *(["result"] if result is not None else []))
            .filter(pk=run_id, status=RankingRun.Status.DONE)
            .first()
        )
        if run is None:
            return False
        if RankingResultIndex.objects.filter(run=run).exists():
            return True
        if result is not None:
            run.result = dict(result)
        table = run_table(run)
        if table is None:
            return False
        result = run.result or {}
        params = result.get("params", {})
        criteria = params.get("criteria", [])
        given = [v for row in table.rows for v in (row.score, row.raw_score) if v is not None]
        figures = {
            field.name: getattr(table, field.name)
            for field in dataclasses.fields(table)
            if field.name != "rows"
        }
        figures.update(
            ranks=len(table.rows),
            score_low=float(math.floor(min(given))) if given else None,
            score_high=float(math.ceil(max(given))) if given else None,
            max_score=float(sum(c["weight"] * c["max"] for c in criteria)) or 1.0,
            thresholds=[[c["code"], c.get("threshold")] for c in criteria],
            tiebreak=params.get("tiebreak", (run.parameters or {}).get("tiebreak", [])),
            # The amount chart draws every winner: their label, grant and request.
            winners_amounts=[
                [row.label, row.granted, row.requested] for row in table.rows if row.selected
            ],
        )
        RankingResultIndex.objects.create(run=run, figures=figures)
        names = [field.name for field in dataclasses.fields(RunRow)]
        _insert_rows(
            RankingResultRow,
            ["run", "position", "label", "rank", "score", "selected", "row"],
            (
                # The row's fields as they are (``dataclasses.asdict`` would deep-copy each
                # list for the JSON encoder to read once: seconds at 10,000 bids).
                (
                    run.pk,
                    position,
                    row.label,
                    row.rank,
                    row.score,
                    row.selected,
                    {name: getattr(row, name) for name in names},
                )
                for position, row in enumerate(table.rows)
            ),
        )
    return True


def _insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (values of the fields ``names``, in that order) in one
    ``executemany``: ``bulk_create`` compiles a statement per batch of 142 rows on SQLite (its
    999 parameters), which cost more than the insert. Values go through each field's
    ``get_db_prep_save`` as the ORM's would (a JSON field's encoding, a backend's adapters).
    No signals, no primary keys read back: for rows written once, as an index is."""
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)  # concrete fields
    placeholders = ", ".join(["%s"] * len(fields))
    # Names from the model's _meta (quoted); every value a bound parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608  # nosec B608 - see above
    prepared = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
