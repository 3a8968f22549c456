"""The whole bid as the jury will read it: the preview of the working copy and of each
submitted version, the working copy's PDF, the history and the differences.

Whoever sees the bid (``bids.view``: members of the lead institution, partners, verified
administrators) reads these pages; the bid is fetched through ``queries.get_bid_for``, a 404
for anyone else. The preview renders the jurors' own templates
(``templates/partials/bid_reading_*.html``) from the same flattening
(``applications.queries.snapshot_documents``); the PDF is ``applications.services.bid_pdf``.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify

from applications import queries
from applications.forms.bids import CompareForm
from applications.models import Bid, BidVersion
from applications.rules import permission_required
from applications.services.bid_pdf import draft_bid_pdf
from applications.services.submission import bid_content
from applications.views.bids import workspace_context


def _visible_bid(request: HttpRequest, public_id, **kwargs) -> Bid:
    return queries.get_bid_for(user=request.user, public_id=public_id)


def _preview(
    request: HttpRequest, bid: Bid, *, snapshot: dict, version: BidVersion | None
) -> HttpResponse:
    documents = queries.snapshot_documents(
        call_id=bid.call_id,
        snapshot=snapshot,
        version=version,
        attachment_url=queries.institution_attachment_urls(bid=bid),
    )
    context = workspace_context(request, bid, active="preview")
    context.update(
        {
            "documents": documents,
            "partners": documents.partners,
            "summary": documents.summary,
            "shown": version,
            "versions": list(queries.bid_versions(bid=bid)),
        }
    )
    return render(request, "applications/bids/preview.html", context)


@permission_required("bids.view", fn=_visible_bid)
def preview(request: HttpRequest, public_id) -> HttpResponse:
    """The working copy, rendered as the jurors will read it once it is submitted."""
    bid = _visible_bid(request, public_id)
    return _preview(request, bid, snapshot=bid_content(bid=bid), version=None)


@permission_required("bids.view", fn=_visible_bid)
def version_preview(request: HttpRequest, public_id, number: int) -> HttpResponse:
    """A submitted version, exactly as the jurors read it (the last one is what they read)."""
    bid = _visible_bid(request, public_id)
    version = get_object_or_404(
        BidVersion.objects.select_related("submitted_by"), bid=bid, number=number
    )
    return _preview(request, bid, snapshot=version.snapshot, version=version)


@permission_required("bids.view", fn=_visible_bid)
def draft_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The working copy as the whole-bid PDF, headed as a draft."""
    bid = _visible_bid(request, public_id)
    response = HttpResponse(draft_bid_pdf(bid=bid), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="bid-{slugify(bid.acronym) or bid.pk}-draft.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@permission_required("bids.view", fn=_visible_bid)
def history(request: HttpRequest, public_id) -> HttpResponse:
    """Submissions and withdrawals (who, when), and who last edited each section."""
    bid = _visible_bid(request, public_id)
    events = queries.bid_history(bid=bid)
    context = workspace_context(request, bid, active="history")
    context.update(
        {
            "events": events,
            "section_edits": queries.section_edits(bid=bid),
            "has_versions": any(event.version for event in events),
            "compare_form": CompareForm(choices=queries.comparable_states(bid=bid)),
        }
    )
    return render(request, "applications/bids/history.html", context)


@permission_required("bids.view", fn=_visible_bid)
def compare(request: HttpRequest, public_id) -> HttpResponse:
    """The differences between two states (a version or the working copy), per section and
    for the budget. Without parameters: the last submitted version → the working copy."""
    bid = _visible_bid(request, public_id)
    choices = queries.comparable_states(bid=bid)
    context = workspace_context(request, bid, active="history")
    if len(choices) < 2:
        context["nothing_to_compare"] = True
        return render(request, "applications/bids/compare.html", context)
    data = (
        request.GET
        if {"old", "new"} & set(request.GET)
        else {"old": choices[1][0], "new": queries.DRAFT}
    )
    form = CompareForm(data, choices=choices)
    context["compare_form"] = form
    if not form.is_valid():
        return render(request, "applications/bids/compare.html", context, status=400)
    labels = dict(choices)
    old, new = form.cleaned_data["old"], form.cleaned_data["new"]
    context.update(
        {
            "old_label": labels[old],
            "new_label": labels[new],
            "comparison": queries.compare_snapshots(
                old=_snapshot(bid, old), new=_snapshot(bid, new)
            ),
        }
    )
    return render(request, "applications/bids/compare.html", context)


def _snapshot(bid: Bid, state: str) -> dict:
    if state == queries.DRAFT:
        return bid_content(bid=bid)
    return get_object_or_404(BidVersion, bid=bid, number=int(state)).snapshot
