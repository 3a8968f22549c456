"""Attachments of a bid: list and upload per required document, delete, download."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications import queries
from applications.forms.bids import AttachmentUploadForm
from applications.models import Attachment
from applications.services import attachments as attachment_services
from applications.views.bids import closed_response, workspace_context
from portal.editing import CallClosed
from portal.forms import add_errors
from portal.users import acting_user


def attachment_file_response(attachment: Attachment) -> FileResponse:
    """Stream a stored PDF as a download. Call only after checking access to its bid.

    Reusable by the jury app: ``get_attachment(bid=..., pk=...)`` then this.
    """
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment_services.served_name(attachment.original_name),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachments(request: HttpRequest, public_id) -> HttpResponse:
    """GET: the documents of the bid. POST: upload one (``required_attachment`` + ``file``)."""
    perm = "bids.edit" if request.method == "POST" else "bids.view"
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm=perm)
    form = AttachmentUploadForm(request.POST or None, request.FILES or None, bid=bid)
    failed_slot = None
    if request.method == "POST":
        failed_slot = request.POST.get("required_attachment") or "extra"
        if form.is_valid():
            required = form.cleaned_data["required_attachment"]
            try:
                attachment = attachment_services.upload_attachment(
                    bid=bid,
                    required_attachment=required,
                    upload=form.cleaned_data["file"],
                    by=request.user,
                )
            except CallClosed as error:
                return closed_response(request, bid, error)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("“%(name)s” uploaded (%(pages)s pages).")
                    % {"name": attachment.original_name, "pages": attachment.pages},
                )
                for twin in queries.identical_attachments(attachment=attachment):
                    messages.warning(
                        request,
                        _(
                            "“%(name)s” is identical to “%(other)s” already attached to this "
                            "bid (same SHA-256): delete one of them unless this is intended."
                        )
                        % {"name": attachment.original_name, "other": twin.original_name},
                    )
                return redirect("applications:bid_attachments", public_id=bid.public_id)
    slots, extras = queries.attachment_slots(bid=bid)
    context = workspace_context(request, bid, active="attachments")
    context.update(
        {
            "slots": slots,
            "extras": extras,
            "form": form,
            "failed_slot": str(failed_slot) if failed_slot else None,
            "max_bytes": attachment_services.max_upload_bytes(bid=bid),
            "max_extra": attachment_services.MAX_EXTRA_ATTACHMENTS,
        }
    )
    return render(request, "applications/bids/attachments.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, public_id, pk: int) -> HttpResponse:
    """GET: the confirmation step (a page, so it works without JavaScript); POST: delete."""
    bid = queries.get_bid_for(user=request.user, public_id=public_id, perm="bids.edit")
    attachment = queries.get_attachment(bid=bid, pk=pk)
    attachment.bid = bid
    if request.method == "GET":
        context = workspace_context(request, bid, active="attachments")
        context["attachment"] = attachment
        return render(request, "applications/bids/attachment_delete.html", context)
    try:
        attachment_services.delete_attachment(attachment=attachment, by=acting_user(request))
    except CallClosed as error:
        return closed_response(request, bid, error)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(name)s” deleted.") % {"name": attachment.original_name})
    return redirect("applications:bid_attachments", public_id=bid.public_id)


@login_required
def download(request: HttpRequest, public_id, pk: int) -> FileResponse:
    bid = queries.get_bid_for(user=request.user, public_id=public_id)
    return attachment_file_response(queries.get_attachment(bid=bid, pk=pk))
