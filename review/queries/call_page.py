"""The call's public page: what applicants read before they start a bid.

The call's own texts, documents and questions come from ``applications.queries``; the
evaluation grid (criteria, weights and their share of the total, thresholds) from
``review.queries.criteria``, which is why the page lives in the jury app (``applications``
never imports ``review``). A fixed number of queries whatever the number of criteria,
documents and questions.
"""

from dataclasses import dataclass
from decimal import Decimal

from applications import queries as application_queries
from applications.models import Call, CallDocument, CallFAQ
from review import scoring
from review.queries.criteria import CriterionInfo, criteria_of


@dataclass(frozen=True)
class GridLine:
    criterion: CriterionInfo
    share: Decimal  # of the weighted total, 0–100 (%)


@dataclass(frozen=True)
class CallPage:
    call: Call
    grid: list[GridLine]
    documents: list[CallDocument]
    faqs: list[CallFAQ]


def call_page(*, slug: str) -> CallPage:
    """The page of the call with this slug; ``Http404`` for a draft or an unknown slug."""
    call = application_queries.access_public_call(slug=slug)
    criteria = criteria_of(call)
    shares = scoring.normalised_weights({c.pk: c.weight for c in criteria})
    return CallPage(
        call=call,
        grid=[GridLine(criterion=c, share=shares.get(c.pk, Decimal(0)) * 100) for c in criteria],
        documents=application_queries.call_documents(call=call),
        faqs=application_queries.call_faqs(call=call),
    )
