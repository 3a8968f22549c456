"""Ranking runs (administrators): the runs of a call, a run's progress and result, the
comparison of two runs, and the exports.

Every view loads the call by slug and checks ``jury.administer`` (TOTP included) before
anything else; a run is only reached through its call.
"""

import math
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.models import Call
from portal.formats import format_euros
from review import exports
from review.forms.ranking import RankingRunForm
from review.mfa import jury_page
from review.models import RankingRun
from review.queries_ranking import (
    RunTable,
    compare_runs,
    reason_labels,
    run_table,
    runs_for_call,
)
from review.services.ranking_runs import create_ranking_run
from review.tasks import task_run_ranking
from review.views.jurors import check_administrator

IN_PROGRESS = (RankingRun.Status.PENDING, RankingRun.Status.RUNNING)


def _call(request: HttpRequest, slug: str) -> Call:
    call = get_object_or_404(Call, slug=slug)
    check_administrator(request, call)
    return call


def _run(call: Call, pk: int | str | None) -> RankingRun:
    try:
        return get_object_or_404(RankingRun, pk=int(pk or ""), call=call)
    except ValueError as error:
        raise Http404 from error


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class ScoreRow:
    y: float
    label: str
    selected: bool
    score_x: float | None
    raw_x: float | None
    rank_x: float | None
    i50: tuple[float, float] | None
    i90: tuple[float, float] | None
    title: str


ROW = 18
LABEL = 96
PANEL = 300
GAP = 30


def score_chart(table: RunTable, *, max_score: float) -> dict[str, object]:
    """Coordinates for the inline SVG: per bid, its calibrated (dot) and raw (ring) scores,
    and with the bootstrap its rank with the 50 % (thick) and 90 % (thin) intervals.

    The score axis spans the scores actually given (whole points), not the whole scale:
    bids near the funding line differ by fractions of a point."""
    n = len(table.rows)
    top = 24
    given = [v for row in table.rows for v in (row.score, row.raw_score) if v is not None]
    low = float(math.floor(min(given))) if given else 0.0
    high = float(math.ceil(max(given))) if given else max_score
    if high <= low:
        high = low + 1

    def sx(value: float | None) -> float | None:
        if value is None:
            return None
        return LABEL + PANEL * (max(low, min(value, high)) - low) / (high - low)

    rank_left = LABEL + PANEL + GAP

    def rx(rank: float) -> float:
        return rank_left + PANEL * (rank - 0.5) / max(n, 1)

    rows = []
    for index, row in enumerate(table.rows):
        rows.append(
            ScoreRow(
                y=top + index * ROW + ROW / 2,
                label=row.label,
                selected=row.selected,
                score_x=sx(row.score),
                raw_x=sx(row.raw_score),
                rank_x=rx(row.rank) if table.has_bootstrap else None,
                i50=(rx(row.rank_interval_50[0]), rx(row.rank_interval_50[1]))
                if row.rank_interval_50
                else None,
                i90=(rx(row.rank_interval_90[0]), rx(row.rank_interval_90[1]))
                if row.rank_interval_90
                else None,
                title=_("%(bid)s: score %(score)s (raw %(raw)s), rank %(rank)s")
                % {"bid": row.label, "score": row.score, "raw": row.raw_score, "rank": row.rank},
            )
        )
    winners = sum(1 for row in table.rows if row.selected)
    return {
        "rows": rows,
        "width": rank_left + PANEL + 10 if table.has_bootstrap else LABEL + PANEL + 10,
        "height": top + n * ROW + 8,
        "label_x": LABEL - 6,
        "score_left": LABEL,
        "score_right": LABEL + PANEL,
        "score_min": low,
        "score_max": high,
        "rank_left": rank_left,
        "rank_right": rank_left + PANEL,
        "bottom": top + n * ROW,
        "line_x": rx(winners + 0.5) if table.has_bootstrap and table.funding_line_after else None,
        "ranks": n,
    }


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    label: str
    title: str
    shade: int


def amount_chart(table: RunTable) -> dict[str, object]:
    """A stacked bar: each winner's grant, then what is left, against the envelope; and
    below it what the winners asked for."""
    width = 640
    winners = [row for row in table.rows if row.selected]
    requested = sum(row.requested for row in winners)
    scale_max = max(table.budget, requested, 1)

    def w(amount: int) -> float:
        return width * amount / scale_max

    granted_segments, requested_segments = [], []
    x = 0.0
    y = 0.0
    for index, row in enumerate(winners):
        granted_segments.append(
            Segment(
                x=x,
                width=w(row.granted),
                label=row.label if w(row.granted) > 8 * len(row.label) else "",
                title=_("%(bid)s: %(amount)s")
                % {"bid": row.label, "amount": format_euros(row.granted)},
                shade=index % 2,
            )
        )
        requested_segments.append(
            Segment(
                x=y,
                width=w(row.requested),
                label="",
                title=_("%(bid)s asked %(amount)s")
                % {"bid": row.label, "amount": format_euros(row.requested)},
                shade=index % 2,
            )
        )
        x += w(row.granted)
        y += w(row.requested)
    return {
        "width": width,
        "granted": granted_segments,
        "left_x": x,
        "left_width": max(0.0, w(table.budget) - x),
        "requested": requested_segments,
        "envelope_x": w(table.budget),
    }


def _max_score(run: RankingRun) -> float:
    criteria = (run.result or {}).get("params", {}).get("criteria", [])
    return float(sum(c["weight"] * c["max"] for c in criteria)) or 1.0


# --------------------------------------------------------------------------- pages


def _runs_page(request: HttpRequest, call: Call, form: RankingRunForm) -> HttpResponse:
    return render(
        request,
        "review/ranking/runs.html",
        {"call": call, "runs": runs_for_call(call=call), "form": form},
    )


@jury_page
def run_list(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the call's runs and the form; POST: create a run and enqueue it."""
    call = _call(request, slug)
    if request.method != "POST":
        return _runs_page(request, call, RankingRunForm(call=call))
    form = RankingRunForm(request.POST, call=call)
    if form.is_valid():
        try:
            run = create_ranking_run(call=call, by=request.user, settings=form.run_settings())
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            task_run_ranking.delay_on_commit(run_id=run.pk)
            messages.success(request, _("Ranking run #%(number)s started.") % {"number": run.pk})
            return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    return _runs_page(request, call, form)


@require_GET
@jury_page
def run_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    call = _call(request, slug)
    run = _run(call, pk)
    table = run_table(run)
    labels = reason_labels()
    return render(
        request,
        "review/ranking/run.html",
        {
            "call": call,
            "run": run,
            "table": table,
            "in_progress": run.status in IN_PROGRESS,
            "score_chart": score_chart(table, max_score=_max_score(run)) if table else None,
            "amount_chart": amount_chart(table) if table else None,
            "criteria": [
                (code, run.parameters.get("criterion_labels", {}).get(code, code))
                for code in (table.codes if table else [])
            ],
            "rows": [(row, labels.get(row.reason, row.reason)) for row in table.rows]
            if table
            else [],
        },
    )


@require_GET
@jury_page
def run_status(request: HttpRequest, slug: str, pk: int) -> JsonResponse:
    call = _call(request, slug)
    run = get_object_or_404(
        RankingRun.objects.only(
            "pk", "call_id", "status", "progress", "chunks_done", "chunks_total"
        ),
        pk=pk,
        call=call,
    )
    return JsonResponse(
        {
            "status": run.status,
            "status_display": run.get_status_display(),
            "progress": run.progress,
            "chunks_done": run.chunks_done,
            "chunks_total": run.chunks_total,
        }
    )


@require_GET
@jury_page
def run_compare(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    run_a = _run(call, request.GET.get("a"))
    run_b = _run(call, request.GET.get("b"))
    labels = reason_labels()
    return render(
        request,
        "review/ranking/compare.html",
        {
            "call": call,
            "a": run_a,
            "b": run_b,
            "table_a": run_table(run_a),
            "table_b": run_table(run_b),
            "bids": [
                (
                    item,
                    labels.get(item.a.reason, item.a.reason) if item.a else "",
                    labels.get(item.b.reason, item.b.reason) if item.b else "",
                )
                for item in compare_runs(run_a, run_b)
            ],
            "same_scores": exports.data_hash(run_a) == exports.data_hash(run_b),
        },
    )


@require_GET
@jury_page
def run_export(request: HttpRequest, slug: str, pk: int, fmt: str) -> HttpResponse:
    call = _call(request, slug)
    run = _run(call, pk)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    if run.status != RankingRun.Status.DONE:
        messages.error(request, _("Only a finished run can be exported."))
        return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    if fmt == "xlsx":
        return exports.xlsx_response(run)
    if request.GET.get("part") == "parameters":
        return exports.parameters_csv_response(run)
    return exports.csv_response(run)


@require_GET
@jury_page
def run_input(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The engine's exact input, to re-run offline: ``python -m review.ranking solve``.

    Only once the run is over: it holds the lottery seed, secret until the draw is done.
    """
    call = _call(request, slug)
    run = _run(call, pk)
    if run.status in IN_PROGRESS:
        messages.error(request, _("The input is published once the run is over."))
        return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    return exports.input_json_response(run)
