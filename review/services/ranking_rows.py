"""The index of a finished run's result: one row per bid and the page's figures, written
once from the stored result so that the run page reads one page of rows in SQL instead of
decoding the whole result (16 MB of JSON at 10 000 bids) for every request.

The stored result (``RankingRun.result_json``) stays the artefact, byte-reproducible and
fingerprinted; the rows are derived from it by ``review.queries.ranking.run_table`` and
nothing else, so they say the same (a test compares them).

:func:`index_run_result` is called where a run's result is stored
(``review.services.ranking_runs._store_result``) and, for runs finished before the index
existed, by the run page the first time it is shown. Safe to run twice: a run already
indexed is left as it is.
"""

import dataclasses
import math

from django.db import transaction

from review.models import RankingResultIndex, RankingResultRow, RankingRun
from review.queries.ranking import run_table


def index_run_result(*, run_id: int) -> bool:
    """Write the rows and figures of the finished run ``run_id``, once; whether it is indexed
    afterwards (``False``: the run is gone or not done)."""
    with transaction.atomic():
        run = (
            RankingRun.objects.select_for_update()
            .select_related("call")
            .defer("engine_input", "result_json")
            .filter(pk=run_id, status=RankingRun.Status.DONE)
            .first()
        )
        if run is None:
            return False
        if RankingResultIndex.objects.filter(run=run).exists():
            return True
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
        RankingResultRow.objects.bulk_create(
            (
                RankingResultRow(
                    run=run,
                    position=position,
                    label=row.label,
                    rank=row.rank,
                    score=row.score,
                    selected=row.selected,
                    row=dataclasses.asdict(row),
                )
                for position, row in enumerate(table.rows)
            ),
            batch_size=1000,
        )
    return True
