"""The call's public page (anyone, no account) and the documents it offers.

Open to anonymous visitors by design: no ``permission_required``. A draft call is a 404
(``applications.queries.access_public_call``); the TOTP gate lets these pages through
(``applications.mfa.PUBLIC_PAGE_PREFIXES``). In the jury app because it shows the
evaluation grid (``review.queries.call_page``).
"""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from applications import queries as application_queries
from applications.services.call_documents import served_name
from review.queries.call_page import call_page


@require_safe
def page(request: HttpRequest, slug: str) -> HttpResponse:
    content = call_page(slug=slug)
    call = content.call
    now = timezone.now()
    accepting = call.is_accepting_submissions(at=now)
    return render(
        request,
        "review/call_page.html",
        {
            "page": content,
            "call": call,
            "accepting": accepting,
            "not_yet_open": call.status == call.Status.OPEN and not call.has_opened(at=now),
            # The countdown script ticks this down from the server's clock (Call.seconds_left).
            "seconds_left": call.seconds_left(at=now) if accepting else None,
        },
    )


@require_safe
def document(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    call = application_queries.access_public_call(slug=slug)
    stored = application_queries.get_call_document(call=call, pk=pk)
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=served_name(stored),
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
