"""Reads for assigning jurors: the assignment page's bids and jurors, the pairs that may not
be assigned, and a proposal's preview.

A pair is blocked for good when a conflict removes the juror from the bid
(``review.models.juror_excluded``), and for a while when a conflict is suggested and not yet
decided: the optimiser and the manual assignment both read :func:`blocked_pairs`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page
from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Bid, Call
from portal.pagination import page_of
from review.models import (
    Assignment,
    AssignmentProposal,
    Conflict,
    ConflictDeclaration,
    JurorProfile,
    ProposalIndex,
    ProposalPair,
)
from review.queries.staffing import with_staffing


def bids_to_assign(*, call: Call) -> QuerySet[Bid]:
    """The call's assessable bids with their assignments (juror, review),
    ``open_conflicts`` (suggested conflicts still to decide), ``active_jurors`` and
    ``understaffed`` (``review.queries.staffing``), by acronym; two queries."""
    return (
        with_staffing(Bid.objects.assessable())
        .filter(call=call)
        .select_related("lead_institution")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("juror", "review").order_by(
                    "juror__display_name"
                ),
            )
        )
        .annotate(
            open_conflicts=Count(
                "conflicts",
                filter=Q(conflicts__status=Conflict.Status.SUGGESTED),
                distinct=True,
            )
        )
        .order_by("acronym")
    )


def jurors_with_load(*, call: Call) -> QuerySet[JurorProfile]:
    """The call's jurors with ``load``, their number of bids of the call, by name."""
    return (
        JurorProfile.objects.filter(calls=call)
        .annotate(load=Count("assignments", filter=Q(assignments__bid__call=call), distinct=True))
        .order_by("display_name")
    )


def blocked_pairs(*, call: Call) -> dict[tuple[int, int], str]:
    """(juror id, bid id) → why the pair may not be assigned (three queries).

    The conflicts that remove a juror from a bid block for good; suggested ones block until
    an administrator dismisses them (better a gap than a conflicted review). Where several
    apply, the later reason below wins.
    """
    conflicts = Conflict.objects.filter(bid__call=call)
    reasons = (
        (
            conflicts.undecided(),
            _("a suggested conflict of interest (confirm or dismiss it first)"),
        ),
        (conflicts.excluding(), _("a confirmed conflict of interest")),
        (
            ConflictDeclaration.objects.filter(bid__call=call).excluding(),
            _("a conflict of interest the juror declared"),
        ),
    )
    blocked: dict[tuple[int, int], str] = {}
    for rows, reason in reasons:
        for pair in rows.values_list("juror_id", "bid_id"):
            blocked[pair] = reason
    return blocked


# The optimiser explains infeasibility in English with a stable code and parameters; the
# pages say it in the reader's language. Unknown codes fall back to the optimiser's text.
_INFEASIBILITY_MESSAGES = {
    "pinned_conflict": gettext_lazy(
        "juror %(juror)s has started reviewing bid %(bid)s but has a conflict of interest with it"
    ),
    "bid_too_many_pinned": gettext_lazy(
        "bid %(bid)s has %(pinned)s jurors whose review has started but takes only %(needed)s"
    ),
    "bid_too_few_jurors": gettext_lazy(
        "bid %(bid)s has only %(available)s non-conflicted jurors but needs %(needed)s"
    ),
    "juror_too_many_pinned": gettext_lazy(
        "juror %(juror)s has started %(pinned)s reviews but the maximum load is %(max_load)s"
    ),
    "juror_too_few_bids": gettext_lazy(
        "juror %(juror)s may review only %(available)s bids (conflicts) but the minimum load "
        "is %(min_load)s"
    ),
    "capacity_below_demand": gettext_lazy(
        "total capacity (sum of maximum loads = %(capacity)s) is below the %(demand)s places "
        "to fill (bids × jurors per bid)"
    ),
    "minimum_loads_exceed_demand": gettext_lazy(
        "the sum of minimum loads (%(minimum)s) exceeds the %(demand)s places to fill "
        "(bids × jurors per bid)"
    ),
    "bids_group_too_few_jurors": gettext_lazy(
        "bids %(bids)s together need %(needed)s more jurors, but their non-conflicted jurors "
        "can take at most %(offered)s of these places (maximum loads, one place per bid)"
    ),
    "jurors_group_too_few_bids": gettext_lazy(
        "jurors %(jurors)s together need %(needed)s more bids to reach their minimum loads, "
        "but the bids they may review have only %(offered)s places for them"
    ),
    "no_solution": gettext_lazy(
        "no assignment meets all constraints together (jurors per bid, minimum and maximum "
        "loads, conflicts, reviews already started), although each holds on its own; try "
        "widening the load range"
    ),
}
_MAX_NAMES = 8


def _names(names: list[str]) -> str:
    if len(names) <= _MAX_NAMES:
        return ", ".join(names)
    return _("%(names)s and %(count)s others") % {
        "names": ", ".join(names[:_MAX_NAMES]),
        "count": len(names) - _MAX_NAMES,
    }


def _infeasibility_messages(reasons: list[dict[str, Any]]) -> list[str]:
    """Each reason in the reader's language, naming bids by acronym and jurors by name."""
    bid_ids: set[int] = set()
    juror_ids: set[int] = set()
    for reason in reasons:
        params = reason.get("params") or {}
        bid_ids.update([params["bid"]] if "bid" in params else params.get("bids", []))
        juror_ids.update([params["juror"]] if "juror" in params else params.get("jurors", []))
    bids = dict(Bid.objects.filter(pk__in=bid_ids).values_list("pk", "acronym"))
    jurors = dict(JurorProfile.objects.filter(pk__in=juror_ids).values_list("pk", "display_name"))
    messages = []
    for reason in reasons:
        template = _INFEASIBILITY_MESSAGES.get(reason.get("code", ""))
        params = dict(reason.get("params") or {})
        try:
            if "bid" in params:
                params["bid"] = bids[params["bid"]]
            if "juror" in params:
                params["juror"] = jurors[params["juror"]]
            if "bids" in params:
                params["bids"] = _names([bids[pk] for pk in params["bids"]])
            if "jurors" in params:
                params["jurors"] = _names([jurors[pk] for pk in params["jurors"]])
            messages.append(str(template) % params if template else reason["message"])
        except (KeyError, TypeError, ValueError):
            # A bid or juror deleted since, or parameters this page does not know.
            messages.append(reason["message"])
    return messages


@dataclass
class PreviewBid:
    bid: Bid
    pairs: list[tuple[JurorProfile, float, bool]] = field(default_factory=list)


@dataclass
class PreviewJuror:
    juror: JurorProfile
    load: int
    mean_similarity: float


@dataclass
class ProposalPreview:
    # Pages (``portal.pagination``) of PreviewBid by acronym and of PreviewJuror by name.
    bids: Page | list[PreviewBid]
    jurors: Page | list[PreviewJuror]
    mean_similarity: float
    connected: bool
    groups: int
    idle_jurors: list[JurorProfile]
    notes: list[str]
    infeasible: list[str]
    pinned_count: int
    # Total similarity over the best any assignment meeting the constraints can reach (the
    # solver's proved bound); None for proposals computed before the bound was recorded.
    quality: float | None = None


def proposal_preview(
    *,
    proposal: AssignmentProposal,
    bid_page: str | int | None = 1,
    juror_page: str | int | None = 1,
) -> ProposalPreview | None:
    """Names and figures for the preview page, one page of bids and one of jurors read from
    the proposal's index (``review.services.proposal_index``; seven queries whatever the size
    of the call, the stored result is not decoded); None until the index exists. Fetch the
    proposal with ``select_related("preview_index")``."""
    try:
        figures = proposal.preview_index.figures
    except ProposalIndex.DoesNotExist:
        return None
    if "infeasible" in figures:
        return ProposalPreview(
            bids=[],
            jurors=[],
            mean_similarity=0.0,
            connected=False,
            groups=0,
            idle_jurors=[],
            notes=[],
            infeasible=_infeasibility_messages(figures["infeasible"]),
            pinned_count=0,
        )
    pairs = ProposalPair.objects.filter(proposal_id=proposal.pk)
    bids = page_of(
        Bid.objects.filter(Exists(pairs.filter(bid_id=OuterRef("pk"))))
        .only("pk", "acronym", "public_id")
        .order_by("acronym", "pk"),
        bid_page,
    )
    pairs_of_bid: dict[int, list[tuple[JurorProfile, float, bool]]] = defaultdict(list)
    for pair in (
        pairs.filter(bid_id__in=[bid.pk for bid in bids.object_list])
        .select_related("juror")
        .order_by("pk")
    ):
        pairs_of_bid[pair.bid_id].append((pair.juror, pair.similarity, pair.pinned))
    bids.object_list = [PreviewBid(bid=bid, pairs=pairs_of_bid[bid.pk]) for bid in bids.object_list]
    # The page of jurors first, then the figures of those 50 alone (a GROUP BY over every
    # pair, joined to every juror's columns, costs 0.2 s at 10 000 bids).
    jurors = page_of(
        JurorProfile.objects.filter(Exists(pairs.filter(juror_id=OuterRef("pk"))))
        .only("pk", "display_name")
        .order_by("display_name", "pk"),
        juror_page,
        parameter="jurors_page",
    )
    figures_of_juror = {
        row["juror_id"]: row
        for row in pairs.filter(juror_id__in=[juror.pk for juror in jurors.object_list])
        .values("juror_id")
        .annotate(load=Count("pk"), mean=Avg("similarity"))
        .order_by()
    }
    jurors.object_list = [
        PreviewJuror(
            juror=juror,
            load=figures_of_juror[juror.pk]["load"],
            mean_similarity=figures_of_juror[juror.pk]["mean"] or 0.0,
        )
        for juror in jurors.object_list
    ]
    idle = figures["idle_jurors"]
    return ProposalPreview(
        bids=bids,
        jurors=jurors,
        mean_similarity=figures["mean_similarity"],
        connected=figures["connected"],
        groups=figures["groups"],
        idle_jurors=list(JurorProfile.objects.filter(pk__in=idle).order_by("display_name"))
        if idle
        else [],
        notes=list(figures["notes"]),
        infeasible=[],
        pinned_count=figures["pinned_count"],
        quality=figures["quality"],
    )
