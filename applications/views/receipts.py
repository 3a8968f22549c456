"""The public receipt verification page: no sign-in, CSRF-protected, size-limited.

Anyone (an applicant, a funder, a court) drops a receipt PDF or enters a version's SHA-256
and learns whether it matches a version the portal issued (the bid's acronym, the version
number and the submission time: nothing beyond what the receipt itself prints) and, for a
file, whether its seal is intact and the portal's.

The size limit is enforced before the body is read: ``verify`` is exempt from the CSRF
middleware only so that the middleware does not parse an oversized upload to look for the
token; the page itself is ``csrf_protect``-ed, which checks the token as usual.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from applications.forms.receipts import ReceiptVerifyForm
from applications.queries import ReceiptCheck, check_receipt, check_version_hash
from portal.sealing import NotAPdf

TEMPLATE = "applications/receipts/verify.html"
# Room for the multipart envelope and the other field around the file itself.
_ENVELOPE_BYTES = 16 * 1024


@csrf_exempt  # the token is checked by csrf_protect below, once the size is known to be sane
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    limit = settings.PORTAL_RECEIPT_VERIFY_MAX_BYTES
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + _ENVELOPE_BYTES:
            # Refused unread: the body is not parsed, so no token is checked and no data used.
            return render(
                request,
                TEMPLATE,
                {
                    "form": ReceiptVerifyForm(),
                    "refusal": _(
                        "This file is larger than %(limit)s: a receipt is much smaller. Drop "
                        "the PDF the portal sent you."
                    )
                    % {"limit": filesizeformat(limit)},
                },
                status=413,
            )
    return _verify(request)


@csrf_protect
def _verify(request: HttpRequest) -> HttpResponse:
    result: ReceiptCheck | None = None
    posted = request.method == "POST"
    form = ReceiptVerifyForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if posted:
        if form.is_valid():
            upload = form.cleaned_data["receipt"]
            if upload is not None:
                try:
                    result = check_receipt(data=upload.read())
                except NotAPdf:
                    form.add_error(
                        "receipt",
                        _("This file is not a PDF. Drop the receipt the portal sent you."),
                    )
            else:
                result = check_version_hash(sha256=form.cleaned_data["sha256"])
        if form.errors:
            status = 400
    return render(request, TEMPLATE, {"form": form, "result": result}, status=status)
