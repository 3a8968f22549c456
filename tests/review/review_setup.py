"""Helpers for the scoring, consensus and progress tests: a call with its grid, a submitted
bid with a snapshot, jurors who declared no conflict, reviews with scores."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import Attachment, Bid, BidVersion, Call, RequiredAttachment
from applications.services.submission import bid_content, snapshot_sha256
from review.models import (
    Assignment,
    ConflictDeclaration,
    Criterion,
    CriterionScore,
    JurorProfile,
    Review,
)
from review.services.reviews import store_weighted_totals
from tests.factories import (
    BidSectionFactory,
    BudgetLineFactory,
    CallFactory,
    CriterionFactory,
    InstitutionFactory,
    PartnershipFactory,
    UserFactory,
    make_pdf_bytes,
)
from tests.review.jury_setup import juror_with_totp, submitted_bid


def call_with_grid(*, criteria: int = 3, weights: list[Decimal] | None = None, **kwargs) -> Call:
    """A call under review, its review deadline in 10 days, ``criteria`` criteria on 0–5 by 0.5."""
    kwargs.setdefault("opens_at", timezone.now() - timedelta(days=60))
    kwargs.setdefault("closes_at", timezone.now() - timedelta(days=5))
    kwargs.setdefault("review_deadline", timezone.now() + timedelta(days=10))
    call = CallFactory(status=Call.Status.UNDER_REVIEW, **kwargs)
    for index in range(criteria):
        CriterionFactory(
            call=call,
            code=f"crit{index}",
            weight=(weights[index] if weights else Decimal(1)),
            order=index,
            guidance_en=f"Guidance for criterion {index}",
        )
    return call


def bid_with_version(*, call: Call, with_attachment: bool = True, **kwargs) -> Bid:
    """A submitted bid frozen in one version, its snapshot built by the submission service's
    own ``bid_content`` (sections, budget, a partner and, optionally, a PDF)."""
    bid = submitted_bid(call=call, **kwargs)
    PartnershipFactory(
        bid=bid, institution=InstitutionFactory(name=f"Partner lab of {bid.acronym}")
    )
    BidSectionFactory(bid=bid, key="summary", content="A short public summary.")
    BidSectionFactory(bid=bid, key="research", content="Secret research plan.")
    BudgetLineFactory(bid=bid, year=1, requested=1_000_000, cofunding=500_000)
    if with_attachment:
        content = make_pdf_bytes(2)
        Attachment.objects.create(
            bid=bid,
            required_attachment=RequiredAttachment.objects.get_or_create(
                call=call,
                code="scientific",
                defaults={"name_en": "Scientific document", "name_fr": "Document scientifique"},
            )[0],
            file=ContentFile(content, name="scientific.pdf"),
            original_name="scientific-document.pdf",
            size=len(content),
            pages=2,
            sha256=hashlib.sha256(content).hexdigest(),
        )
    snapshot = bid_content(bid=bid)
    BidVersion.objects.create(
        bid=bid,
        number=1,
        snapshot=snapshot,
        sha256=snapshot_sha256(snapshot),
        submitted_at=timezone.now() - timedelta(days=6),
        submitted_by=UserFactory(),
    )
    return bid


@dataclass
class Panel:
    call: Call
    bid: Bid
    jurors: list[JurorProfile]
    assignments: list[Assignment]


def panel(
    *, jurors: int = 3, call: Call | None = None, declared: bool = True, **call_kwargs
) -> Panel:
    """A bid with ``jurors`` assigned jurors (TOTP on, "no conflict" declared); the first is
    the rapporteur."""
    call = call or call_with_grid(**call_kwargs)
    bid = bid_with_version(call=call)
    people = [juror_with_totp(call=call) for _ in range(jurors)]
    assignments = [
        Assignment.objects.create(juror=juror, bid=bid, is_rapporteur=(index == 0))
        for index, juror in enumerate(people)
    ]
    if declared:
        for juror in people:
            ConflictDeclaration.objects.create(juror=juror, bid=bid, has_conflict=False)
    return Panel(call=call, bid=bid, jurors=people, assignments=assignments)


def write_review(
    assignment: Assignment,
    values: list[Decimal | None] | Decimal,
    *,
    submitted: bool = True,
    comment: str = "Solid.",
) -> Review:
    """A review with the given scores straight in the database (arrange step, not the service)."""
    criteria = list(Criterion.objects.filter(call_id=assignment.bid.call_id).order_by("order"))
    if not isinstance(values, list):
        values = [values] * len(criteria)
    review = Review.objects.create(
        assignment=assignment,
        bid_version=assignment.bid.versions.first(),
        status=Review.Status.SUBMITTED if submitted else Review.Status.DRAFT,
        submitted_at=timezone.now() if submitted else None,
        confidence=Review.Confidence.HIGH if submitted else None,
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(review=review, criterion=c, value=v, comment=comment)
        for c, v in zip(criteria, values, strict=True)
    )
    # The total the review service would have stored with these scores.
    store_weighted_totals(reviews=Review.objects.filter(pk=review.pk))
    review.refresh_from_db()
    return review


def review_post(
    call: Call, values: dict[int, str], comments: dict[int, str] | None = None, **extra
) -> dict:
    """POST data for the review form: ``values``/``comments`` keyed by criterion order index."""
    criteria = list(Criterion.objects.filter(call=call).order_by("order"))
    data = {"version": "0", "overall_comment": "", "confidence": ""}
    for index, criterion in enumerate(criteria):
        data[f"score_{criterion.pk}"] = values.get(index, "")
        data[f"comment_{criterion.pk}"] = (comments or {}).get(index, "")
    data.update({k: str(v) for k, v in extra.items()})
    return data
