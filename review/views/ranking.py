"""Ranking runs (administrators): the runs of a call, a run's progress and result, the
comparison of two runs, and the exports.

Every view declares ``jury.administer`` (TOTP included), then loads the call by slug; a run
is only reached through its call.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.mfa import json_endpoint
from applications.models import Call
from applications.rules import permission_required
from portal import queue
from portal.forms import add_errors
from portal.pagination import paginate
from portal.users import acting_user
from review import exports
from review.charts import amount_chart, score_chart
from review.forms.ranking import RankingRunForm, RunRowsFilterForm
from review.models import CallExport, RankingResultRow, RankingRun
from review.queries.ranking import (
    compare_runs,
    criterion_name,
    reason_labels,
    run_page_figures,
    run_page_rows,
    run_row,
    run_summary,
    run_table,
    run_workbook,
    runs_for_call,
)
from review.services.exports import request_export
from review.services.ranking_rows import index_run_result
from review.services.ranking_runs import create_ranking_run
from review.tasks import task_build_export, task_run_ranking

IN_PROGRESS = (RankingRun.Status.PENDING, RankingRun.Status.RUNNING)


def _language() -> str:
    """The export language of the page's language (French or English)."""
    return "fr" if (get_language() or "en").startswith("fr") else "en"


def _call(request: HttpRequest, slug: str) -> Call:
    return get_object_or_404(Call, slug=slug)


def _run(
    call: Call, pk: int | str | None, *, defer: tuple[str, ...] = (), related: tuple[str, ...] = ()
) -> RankingRun:
    """The call's run ``pk``; ``defer``: the large JSON columns the page does not read;
    ``related``: one-to-one rows read with it."""
    try:
        return get_object_or_404(
            RankingRun.objects.select_related("call", *related).defer(*defer),
            pk=int(pk or ""),
            call=call,
        )
    except ValueError as error:
        raise Http404 from error


# --------------------------------------------------------------------------- pages


def _runs_page(
    request: HttpRequest, call: Call, form: RankingRunForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "review/ranking/runs.html",
        {
            "call": call,
            "runs": [(run, run_summary(run)) for run in runs_for_call(call=call)],
            "form": form,
        },
        status=status,
    )


@permission_required("jury.administer")
def run_list(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the call's runs and the form; POST: create a run and enqueue it."""
    call = _call(request, slug)
    if request.method != "POST":
        return _runs_page(request, call, RankingRunForm(call=call))
    form = RankingRunForm(request.POST, call=call)
    if form.is_valid():
        try:
            run = create_ranking_run(
                call=call, by=acting_user(request), settings=form.run_settings()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            try:
                queue.start(task_run_ranking, row=run, run_id=run.pk)
            except queue.BrokerUnavailable as error:
                form.add_error(None, error.message)
                return _runs_page(request, call, form, status=503)
            messages.success(request, _("Ranking run #%(number)s started.") % {"number": run.pk})
            return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    return _runs_page(request, call, form)


@require_GET
@permission_required("jury.administer")
def run_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One page of the run's indexed rows (filtered and ordered in SQL) and the header's
    figures from the index: the stored result itself is not decoded."""
    call = _call(request, slug)
    run = _run(call, pk, defer=("engine_input", "result", "result_json"), related=("result_index",))
    figures = run_page_figures(run)
    # A run finished before the index existed is indexed once, the first time it is shown.
    if figures is None and run.status == RankingRun.Status.DONE:
        index_run_result(run_id=run.pk)
        run = _run(
            call, pk, defer=("engine_input", "result", "result_json"), related=("result_index",)
        )
        figures = run_page_figures(run)
    table = figures.table if figures else None
    labels = reason_labels()
    filters = RunRowsFilterForm(request.GET or None)
    criteria = dict(filters.cleaned_data) if filters.is_valid() else {}
    records = (
        run_page_rows(
            run,
            text=criteria.get("text", ""),
            score_min=criteria.get("score_min"),
            score_max=criteria.get("score_max"),
            selected=criteria.get("selected", ""),
        )
        if figures
        else RankingResultRow.objects.none()
    )
    # A call of 10 000 bids: the table and the chart show one page of the ranking.
    page = paginate(request, records)
    rows = [run_row(record) for record in page.object_list]
    return render(
        request,
        "review/ranking/run.html",
        {
            "call": call,
            "run": run,
            "summary": run_summary(run),
            "table": table,
            "in_progress": run.status in IN_PROGRESS,
            "score_chart": score_chart(
                table, max_score=figures.max_score, rows=rows, figures=figures
            )
            if table and figures
            else None,
            "page": page,
            "filters": filters,
            "amount_chart": amount_chart(table, winners_amounts=figures.winners_amounts)
            if table and figures
            else None,
            "tiebreak": [
                criterion_name(run.parameters, code)
                for code in (figures.tiebreak if figures else run.parameters.get("tiebreak", []))
            ],
            "criteria": [
                (code, criterion_name(run.parameters, code), threshold)
                for code, threshold in (figures.thresholds if figures else [])
            ],
            "rows": [(row, labels.get(row.reason, row.reason)) for row in rows],
            "workbook": run_workbook(run) if table else None,
        },
    )


@json_endpoint
@require_GET
@permission_required("jury.administer")
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
@permission_required("jury.administer")
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
            "summary_a": run_summary(run_a),
            "summary_b": run_summary(run_b),
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
@permission_required("jury.administer")
def run_export(request: HttpRequest, slug: str, pk: int, fmt: str) -> HttpResponseBase:
    call = _call(request, slug)
    run = _run(call, pk)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    if run.status != RankingRun.Status.DONE:
        messages.error(request, _("Only a finished run can be exported."))
        return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    if fmt == "xlsx":
        # The workbook is built by a task (``run_workbook``): an old link lands on the page
        # that asks for it, or on its file once built.
        workbook = run_workbook(run)
        if workbook is not None and workbook.status == CallExport.Status.DONE:
            return redirect("review:call_export_download", slug=call.slug, pk=workbook.pk)
        return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    if request.GET.get("part") == "parameters":
        return exports.parameters_csv_response(run)
    return exports.csv_response(run)


@require_POST
@permission_required("jury.administer")
def run_workbook_request(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Ask for the run's XLSX workbook (ranking and parameters), built on the ``exports``
    queue like the call's other exports; the run page shows it being prepared, then its
    download."""
    call = _call(request, slug)
    run = _run(call, pk, defer=("engine_input", "result", "result_json"))
    try:
        export = request_export(
            call=call,
            kind=CallExport.Kind.RANKING,
            run=run,
            language=_language(),
            pseudonymise=False,
            by=acting_user(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    try:
        queue.start(task_build_export, row=export, export_id=export.pk)
    except queue.BrokerUnavailable as error:
        messages.error(request, error.message)
        return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    messages.success(request, _("The XLSX workbook is being prepared."))
    return redirect("review:ranking_run", slug=call.slug, pk=run.pk)


@require_GET
@permission_required("jury.administer")
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


@require_GET
@permission_required("jury.administer")
def run_result(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The stored result, byte for byte: re-solving ``input.json`` gives the same bytes."""
    call = _call(request, slug)
    run = _run(call, pk)
    if run.status != RankingRun.Status.DONE:
        messages.error(request, _("Only a finished run can be exported."))
        return redirect("review:ranking_run", slug=call.slug, pk=run.pk)
    return exports.result_json_response(run)
