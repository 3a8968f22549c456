"""Arrange helpers for decision letters: a decided call whose four bids end funded, on the
reserve list, not funded and ineligible, each eligible one with an approved consensus."""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from pypdf import PdfReader

from applications.models import Bid, Call, Membership
from review.models import BidDecision, ConsensusReport, ConsensusScore, Criterion, JurorProfile
from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.results_setup import DecidedCall, decided_call

JUROR_NAME = "Hannelore Zwicky"
INELIGIBLE_REASON = "The consortium has no research organisation."


@dataclass
class LetterSetup:
    decided: DecidedCall
    funded: Bid
    reserve: Bid
    not_funded: Bid
    ineligible: Bid

    @property
    def call(self) -> Call:
        return self.decided.call

    @property
    def bids(self) -> list[Bid]:
        return [self.funded, self.reserve, self.not_funded, self.ineligible]


def letter_call(*, languages: tuple[str, str, str, str] = ("fr", "en", "fr", "en")) -> LetterSetup:
    """A decided (not yet published) call with one bid of each outcome; the lead institutions
    write in ``languages`` and each has a coordinator and a reader."""
    decided = decided_call(bids=4, status=Call.Status.DECIDED)
    bids = sorted(decided.setup.bids, key=lambda bid: bid.acronym)
    JurorProfile.objects.filter(pk=decided.setup.jurors[0].pk).update(display_name=JUROR_NAME)
    outcomes = [
        {"outcome": "funded", "amount_awarded": 30_000_000, "reserve_position": None},
        {"outcome": "reserve", "amount_awarded": None, "reserve_position": 1},
        {"outcome": "not_funded", "amount_awarded": None, "reserve_position": None},
        {"outcome": "ineligible", "amount_awarded": None, "reserve_position": None},
    ]
    for bid, values, language in zip(bids, outcomes, languages, strict=True):
        BidDecision.objects.filter(decision=decided.decision, bid=bid).update(**values)
        bid.lead_institution.language = language
        bid.lead_institution.save(update_fields=["language"])
        MembershipFactory(institution=bid.lead_institution, role=Membership.Role.COORDINATOR)
        MembershipFactory(institution=bid.lead_institution, role=Membership.Role.READER)
    Bid.objects.filter(pk=bids[3].pk).update(
        eligibility=Bid.Eligibility.INELIGIBLE, eligibility_reason=INELIGIBLE_REASON
    )
    for bid in bids[:3]:
        approved_consensus(bid=bid, rapporteur=decided.setup.jurors[0])
    for bid in bids:
        bid.refresh_from_db()
    return LetterSetup(decided, *bids)


def approved_consensus(*, bid: Bid, rapporteur: JurorProfile) -> ConsensusReport:
    report = ConsensusReport.objects.create(
        bid=bid,
        rapporteur=rapporteur,
        status=ConsensusReport.Status.APPROVED,
        summary=f"Overall comment on {bid.acronym}.",
        approved_by=AdministratorFactory(),
        approved_at=timezone.now(),
    )
    for criterion in Criterion.objects.filter(call=bid.call):
        ConsensusScore.objects.create(
            report=report,
            criterion=criterion,
            value=Decimal("3.5"),
            comment=f"Comment on {criterion.code}.",
        )
    return report


def pdf_text(data: bytes) -> str:
    """The PDF's text, whitespace collapsed (line breaks fall anywhere in a paragraph)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def coordinator_of(bid: Bid):
    return (
        Membership.objects.filter(
            institution=bid.lead_institution, role=Membership.Role.COORDINATOR
        )
        .first()
        .user
    )
