"""The public results (anyone, no account): the index of published calls, a call's results
page and its open data (``results.csv``, ``results.json``).

These pages are open to anonymous visitors by design: no ``permission_required``. What they
show is decided in ``review.queries.results`` (a published call only, 404 otherwise; the
funded bids and the reserve list; jurors who agreed to be listed); the TOTP gate lets them
through (``applications.mfa.PUBLIC_PAGE_PREFIXES``).
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from review.exports import table_csv_response
from review.queries.ranking import BASIS_JURORS, setting_labels
from review.queries.results import (
    RESULTS_COLUMNS,
    access_published_call,
    call_results,
    published_calls,
    published_results,
    results_document,
)


def results_index(request: HttpRequest) -> HttpResponse:
    return render(request, "review/results/index.html", {"calls": published_calls()})


def results_page(request: HttpRequest, slug: str) -> HttpResponse:
    results = call_results(call=access_published_call(slug=slug))
    method = results.method
    labels = setting_labels()
    return render(
        request,
        "review/results/call.html",
        {
            "results": results,
            "call": results.call,
            "rule_label": labels["rule"].get(method.rule, method.rule),
            "calibration_label": labels["calibration"].get(method.calibration, method.calibration),
            # A run from before the choice of basis ranked the jurors' scores.
            "basis_label": labels["basis"].get(method.basis or BASIS_JURORS, method.basis),
        },
    )


def results_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    call = access_published_call(slug=slug)
    rows = published_results(call)
    response = table_csv_response(
        header=RESULTS_COLUMNS,
        rows=([row[column] for column in RESULTS_COLUMNS] for row in rows),
        filename=f"results-{call.slug}.csv",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def results_json(request: HttpRequest, slug: str) -> HttpResponse:
    results = call_results(call=access_published_call(slug=slug))
    response = JsonResponse(results_document(results), json_dumps_params={"ensure_ascii": False})
    # Open data: scripts on other sites may read it (nothing here depends on a session).
    response["Access-Control-Allow-Origin"] = "*"
    return response
