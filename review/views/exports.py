"""Exports of a call (administrators): the exports page with its request form, each
export's progress (JSON, polled by ``task_progress.js``) and its download.

Every view declares ``jury.administer`` (TOTP included) and reaches an export through its
call.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.mfa import json_endpoint
from applications.models import Call
from applications.rules import permission_required
from portal import queue
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.exports import ExportRequestForm
from review.models import CallExport
from review.queries.exports import exports_of
from review.services.exports import CONTENT_TYPES, download_name, request_export
from review.tasks import task_build_export

IN_PROGRESS = (CallExport.Status.PENDING, CallExport.Status.RUNNING)


def _page(request: HttpRequest, call: Call, form: ExportRequestForm, status: int = 200):
    exports = list(exports_of(call=call))
    return render(
        request,
        "review/exports/list.html",
        {
            "call": call,
            "exports": exports,
            "form": form,
            "in_progress": next((e for e in exports if e.status in IN_PROGRESS), None),
        },
        status=status,
    )


@permission_required("jury.administer")
def export_list(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the call's exports and the form; POST: request one and enqueue its build."""
    call = get_object_or_404(Call, slug=slug)
    if request.method != "POST":
        return _page(request, call, ExportRequestForm())
    form = ExportRequestForm(request.POST)
    if form.is_valid():
        try:
            export = request_export(
                call=call,
                kind=form.cleaned_data["kind"],
                language=form.cleaned_data["language"],
                pseudonymise=form.cleaned_data["pseudonymise"],
                by=acting_user(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            try:
                queue.start(task_build_export, row=export, export_id=export.pk)
            except queue.BrokerUnavailable as error:
                form.add_error(None, error.message)
                return _page(request, call, form, status=503)
            messages.success(
                request,
                _("Export #%(number)s requested: the file is being built.") % {"number": export.pk},
            )
            return redirect("review:call_exports", slug=call.slug)
    return _page(request, call, form, status=400)


@json_endpoint
@require_GET
@permission_required("jury.administer")
def export_status(request: HttpRequest, slug: str, pk: int) -> JsonResponse:
    export = get_object_or_404(
        CallExport.objects.only("pk", "call_id", "status", "progress"), pk=pk, call__slug=slug
    )
    return JsonResponse(
        {
            "status": export.status,
            "status_display": export.get_status_display(),
            "progress": export.progress,
        }
    )


@require_GET
@permission_required("jury.administer")  # type: ignore[arg-type]  # a FileResponse streams; the decorator's type names HttpResponse
def export_download(request: HttpRequest, slug: str, pk: int) -> HttpResponseBase:
    export = get_object_or_404(CallExport.objects.select_related("call"), pk=pk, call__slug=slug)
    if export.status != CallExport.Status.DONE or not export.file:
        messages.error(request, _("This export has no file yet."))
        return redirect("review:call_exports", slug=slug)
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=download_name(export),
        content_type=CONTENT_TYPES[export.kind],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
