"""Exports of a ranking run: CSV and XLSX of the ranked table, its parameters, its input.

- ``ranking-<call>-run<id>.csv``: one row per bid in rank order, with stable snake_case
  column keys (scores per criterion as ``score_<code>`` / ``raw_score_<code>``).
- ``ranking-<call>-run<id>-parameters.csv`` (``?part=parameters``): the run's parameters as
  ``parameter,value`` rows. A separate file rather than comment lines, so that the table
  stays a plain CSV any tool reads.
- the XLSX workbook: sheets "Ranking" and "Parameters", the same content, written by
  :func:`write_xlsx` in the ``exports`` task (``review.services.exports``, kind
  ``ranking``), never inside a request.
- ``ranking-<call>-run<id>-input.json``: the engine's exact input; ``python -m
  review.ranking solve`` on it prints the stored result, byte for byte.
- ``ranking-<call>-run<id>-result.json``: that stored result (``result_json``), served as
  stored, so an auditor compares it with the re-solved bytes.

The CSV files stream row by row; the workbook is written in openpyxl's write-only mode to
a temporary file and served from it. Money is written as integers of euros. Text cells that a spreadsheet would read as a
formula (``=``, ``+``, ``-``, ``@``) are prefixed with an apostrophe.
"""

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from portal.formats import format_paris_datetime
from review.models import RankingRun
from review.queries.ranking import (
    RunRow,
    RunTable,
    input_sha256,
    reason_labels,
    run_summary,
    run_table,
)

# Keys of the engine input that describe the jury's data rather than the run's choices.
DATA_KEYS = (
    "budget",
    "min_winners",
    "max_winners",
    "criteria",
    "overall_threshold",
    "bids",
    "scores",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def data_hash(run: RankingRun) -> str:
    """SHA-256 of the jury's data in the run's input: equal for runs on the same scores."""
    data = run.engine_input or {}
    return input_sha256({key: data[key] for key in DATA_KEYS if key in data})


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula, prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _filename(run: RankingRun, suffix: str) -> str:
    return f"ranking-{run.call.slug}-run{run.pk}{suffix}"


def columns(table: RunTable) -> list[str]:
    names = ["rank", "bid_id", "acronym", "score", "raw_score"]
    names += [f"score_{code}" for code in table.codes]
    names += [f"raw_score_{code}" for code in table.codes]
    names += ["spread", "jurors", "requested", "minimum", "granted", "eligible", "selected"]
    names += ["reason", "reason_text", "reason_detail"]
    names += ["recommended_amount", "reserve_position", "under_reviewed"]
    if table.calibrated:
        names += ["eligible_raw"]
    if table.has_bootstrap:
        names += ["p_selected", "rank_50_low", "rank_50_high", "rank_90_low", "rank_90_high"]
        names += ["grey_zone"]
    if table.lottery is not None:
        names += ["lottery_winner", "lottery_granted"]
    return names


def row_values(table: RunTable, row: RunRow, reasons: dict[str, str]) -> list[Any]:
    values: list[Any] = [row.rank, row.id, row.label, row.score, row.raw_score]
    values += row.criterion_scores
    values += row.raw_criterion_scores
    values += [row.spread, row.jurors, row.requested, row.minimum, row.granted]
    values += [row.eligible, row.selected, row.reason, reasons.get(row.reason, row.reason)]
    values += [row.reason_detail]
    values += [row.recommended_amount or 0, row.reserve_position, row.under_reviewed]
    if table.calibrated:
        values += [row.raw_eligible]
    if table.has_bootstrap:
        i50 = row.rank_interval_50 or (None, None)
        i90 = row.rank_interval_90 or (None, None)
        values += [row.p_selected, i50[0], i50[1], i90[0], i90[1], row.grey_zone]
    if table.lottery is not None:
        values += [row.lottery_winner, row.lottery_granted or 0]
    return [spreadsheet_safe(value) for value in values]


def parameters(run: RankingRun) -> list[tuple[str, Any]]:
    """The run's parameters and totals as (name, value) pairs, for both formats."""
    result = run.result or {}
    echo = result.get("params", {})
    chosen = run.parameters
    lottery = result.get("lottery") or {}
    summary = run_summary(run)
    pairs: list[tuple[str, Any]] = [
        ("call", run.call.slug),
        ("run", run.pk),
        ("status", run.status),
        ("created_at", format_paris_datetime(run.created_at, seconds=True)),
        ("created_by", run.created_by.email if run.created_by else ""),
        ("engine_version", run.engine_version),
        ("input_sha256", run.input_hash),  # what `python -m review.ranking solve` prints
        ("data_sha256", data_hash(run)),
        ("basis", summary.basis),
        ("basis_text", summary.basis_label),
        ("rule", chosen.get("rule")),
        ("rule_text", summary.rule_label),
        ("overflow", chosen.get("overflow")),
        ("calibration", chosen.get("calibration")),
        ("calibration_text", summary.calibration_label),
        ("aggregate", chosen.get("aggregate")),
        ("tiebreak", ", ".join(echo.get("tiebreak", chosen.get("tiebreak", [])))),
        ("bootstrap_samples", chosen.get("bootstrap_samples")),
        ("bootstrap_seed", chosen.get("bootstrap_seed")),
        ("lottery_commitment", chosen.get("lottery_commitment") or ""),
        ("lottery_seed", lottery.get("seed", "")),
        ("budget", echo.get("budget")),
        ("min_winners", echo.get("min_winners")),
        ("max_winners", echo.get("max_winners")),
        ("overall_threshold", echo.get("overall_threshold")),
        ("bids", chosen.get("bids")),
        ("scores", chosen.get("scores")),
        ("min_reviews_per_bid", summary.min_reviews),
        (
            "under_reviewed",
            "; ".join(f"{item['acronym']} ({item['reviews']})" for item in summary.under_reviewed),
        ),
        (
            "held_jurors",
            "; ".join(f"{item['acronym']}: {item['name']}" for item in summary.held_jurors),
        ),
        ("without_consensus", ", ".join(summary.without_consensus)),
        ("feasible", result.get("feasible")),
        ("reason", result.get("reason") or ""),
        ("winners", len(result.get("winners", []))),
        ("total_granted", result.get("total_granted")),
        ("budget_left", result.get("budget_left")),
    ]
    for criterion in echo.get("criteria", []):
        pairs.append(
            (
                f"criterion_{criterion['code']}",
                f"weight {criterion['weight']}, threshold {criterion['threshold']}, "
                f"scale {criterion['min']}-{criterion['max']}",
            )
        )
    return [(name, spreadsheet_safe(value)) for name, value in pairs]


def _table(run: RankingRun) -> RunTable:
    table = run_table(run)
    if table is None:
        raise ValueError("only a finished run can be exported")
    return table


class _Echo:
    """A file whose ``write`` returns the line: ``csv.writer`` then formats one row at a
    time for a streaming response (Django's documented pattern)."""

    def write(self, value: str) -> str:
        return value


def _csv_response(rows: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    """Stream ``rows`` as CSV: one row formatted at a time, never the whole file in memory
    (a run of 10 000 bids)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # a BOM so that spreadsheet programs read the UTF-8 accents right
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(run: RankingRun) -> StreamingHttpResponse:
    table = _table(run)
    reasons = reason_labels()
    rows = itertools.chain(
        [columns(table)], (row_values(table, row, reasons) for row in table.rows)
    )
    return _csv_response(rows, _filename(run, ".csv"))


def parameters_csv_response(run: RankingRun) -> StreamingHttpResponse:
    rows = [["parameter", "value"]] + [[name, value] for name, value in parameters(run)]
    return _csv_response(rows, _filename(run, "-parameters.csv"))


_AMOUNT_COLUMNS = ("requested", "minimum", "granted", "lottery_granted")


def write_xlsx(run: RankingRun, handle: IO[bytes]) -> None:
    """The ranking and the parameters as a workbook, written row by row (openpyxl's
    write-only mode: a run of 10 000 bids is never held as cells in memory)."""
    table = _table(run)
    reasons = reason_labels()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Ranking")
    header = columns(table)
    sheet.freeze_panes = "D2"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(name) + 2)
    amounts = {index for index, name in enumerate(header) if name in _AMOUNT_COLUMNS}
    sheet.append(header)
    for row in table.rows:
        values = row_values(table, row, reasons)
        sheet.append(
            [
                _amount_cell(sheet, value) if index in amounts else value
                for index, value in enumerate(values)
            ]
        )
    params_sheet = workbook.create_sheet("Parameters")
    params_sheet.column_dimensions["A"].width = 22
    params_sheet.column_dimensions["B"].width = 70
    params_sheet.append(["parameter", "value"])
    for name, value in parameters(run):
        params_sheet.append([name, value])
    workbook.save(handle)


def _amount_cell(sheet: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "#,##0"
    return cell


def input_json_response(run: RankingRun) -> HttpResponse:
    text = json.dumps(run.engine_input, sort_keys=True, indent=2, ensure_ascii=False)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(run, "-input.json")}"'
    return response


def table_csv_response(
    *, header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str
) -> StreamingHttpResponse:
    """A CSV download of ``header`` then ``rows`` (UTF-8 with a BOM; ``None`` as an empty
    cell; text that a spreadsheet would run as a formula is prefixed with a quote)."""
    body = itertools.chain(
        [list(header)], (["" if v is None else spreadsheet_safe(v) for v in row] for row in rows)
    )
    return _csv_response(body, filename)


def result_json_response(run: RankingRun) -> HttpResponse:
    """``run.result_json`` exactly as stored (UTF-8), no re-encoding."""
    response = HttpResponse(
        run.result_json.encode("utf-8"), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(run, "-result.json")}"'
    return response
