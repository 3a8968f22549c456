"""Reads of the published results: the public page, its open data, the index of calls.

What a call publishes is written here once:

- **Rows** (:data:`RESULTS_COLUMNS`, :func:`published_results`): the funded bids of the
  call's approved decision, in the run's rank order, then its reserve list in reserve order
  (flagged ``outcome = "reserve"`` with their position and no amount), as a grant agency
  publishes its main and complementary lists. Bids not funded and bids found ineligible are
  not published. The CSV and JSON files and the administrators' export read these rows.
- **The jury's composition** (:func:`listed_jurors`): only the jurors of the call who agreed
  to be listed (``JurorProfile.listed_publicly``), with their country and current
  affiliations (no end year). No other juror is named and no individual score is published.
- **The method** (:class:`Method`): the approved decision's ranking run's rule, basis and
  calibration, and the lottery's commitment and revealed seed when there was a draw.

Only a published call shows any of this: :func:`access_published_call` is the fetch of every
public page (404 otherwise, a call decided but not yet published included). The columns and
the JSON shape are documented in ``docs/open-data.md``; keep both stable.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Prefetch, Sum
from django.db.models.fields.json import KeyTransform
from django.http import Http404

from applications.models import Call
from review import decision as rules_of_decision
from review.models import Affiliation, BidDecision, Decision, JurorProfile, RankingRun
from review.queries.decisions import pure_line
from review.ranking.robustness import seed_commitment

# Stable, English snake_case: the open data's columns, in this order (docs/open-data.md).
RESULTS_COLUMNS: tuple[str, ...] = (
    "call",
    "bid_acronym",
    "bid_title",
    "lead_institution",
    "lead_institution_id_type",
    "lead_institution_id",
    "outcome",
    "amount_awarded_eur",
    "amount_requested_eur",
    "reserve_position",
)

PUBLISHED_OUTCOMES = (BidDecision.Outcome.FUNDED, BidDecision.Outcome.RESERVE)


def access_published_call(*, slug: str) -> Call:
    """The call with this slug if its results are published; ``Http404`` otherwise."""
    try:
        return Call.objects.get(slug=slug, status=Call.Status.PUBLISHED)
    except Call.DoesNotExist:
        raise Http404("No published call with this slug.") from None


def published_calls() -> list[dict[str, Any]]:
    """The index: every published call, newest first, with its winners and total awarded.

    Two queries whatever the number of calls.
    """
    calls = list(Call.objects.filter(status=Call.Status.PUBLISHED).order_by("-closes_at", "pk"))
    figures: dict[int, dict[str, Any]] = {
        row["decision__call_id"]: dict(row)
        for row in BidDecision.objects.filter(
            decision__call__in=calls,
            decision__status=Decision.Status.APPROVED,
            outcome=BidDecision.Outcome.FUNDED,
        )
        .values("decision__call_id")
        .annotate(winners=Count("pk"), awarded=Sum("amount_awarded"))
    }
    return [
        {
            "call": call,
            "winners": figures.get(call.pk, {}).get("winners", 0),
            "awarded": figures.get(call.pk, {}).get("awarded") or 0,
        }
        for call in calls
    ]


def _published_lines(*, call: Call) -> list[BidDecision]:
    """The approved decision's funded and reserve lines, in publication order (one query)."""
    return list(
        BidDecision.objects.filter(
            decision__call=call,
            decision__status=Decision.Status.APPROVED,
            outcome__in=PUBLISHED_OUTCOMES,
        )
        .select_related("bid__lead_institution")
        .order_by(
            # Funded first ("funded" < "reserve"), in rank order; then the reserve list.
            "outcome",
            F("reserve_position").asc(nulls_first=True),
            F("rank").asc(nulls_last=True),
            "bid__acronym",
        )
    )


def _row(call: Call, line: BidDecision) -> dict[str, Any]:
    bid = line.bid
    lead = bid.lead_institution
    funded = line.outcome == BidDecision.Outcome.FUNDED
    return {
        "call": call.slug,
        "bid_acronym": bid.acronym,
        "bid_title": bid.title,
        "lead_institution": lead.name,
        "lead_institution_id_type": lead.identifier_type,
        "lead_institution_id": lead.identifier,
        "outcome": line.outcome,
        "amount_awarded_eur": int(line.amount_awarded or 0) if funded else None,
        "amount_requested_eur": int(bid.requested_amount),
        "reserve_position": None if funded else line.reserve_position,
    }


def published_results(call: Call) -> list[dict[str, Any]]:
    """The call's published rows, keyed by :data:`RESULTS_COLUMNS` (one query).

    Read from the call's approved decision; the caller decides who may see them (the public
    pages fetch the call with :func:`access_published_call`). Amounts are integer euros;
    ``amount_awarded_eur`` is ``None`` on the reserve list, ``reserve_position`` ``None``
    for a funded bid.
    """
    return [_row(call, line) for line in _published_lines(call=call)]


@dataclass(frozen=True)
class ListedJuror:
    name: str
    country: str
    affiliations: list[str]


def listed_jurors(*, call: Call) -> list[ListedJuror]:
    """The jurors of the call who agreed to be listed, by name, with their current
    affiliations (two queries)."""
    jurors = (
        JurorProfile.objects.filter(calls=call, listed_publicly=True)
        .prefetch_related(
            Prefetch(
                "affiliations",
                queryset=Affiliation.objects.filter(end_year__isnull=True).order_by(
                    "organisation_name"
                ),
                to_attr="current_affiliations",
            )
        )
        .order_by("display_name", "pk")
    )
    return [
        ListedJuror(
            name=juror.display_name,
            country=juror.country,
            affiliations=[a.organisation_name for a in juror.current_affiliations],  # type: ignore[attr-defined]  # set by Prefetch(to_attr=)
        )
        for juror in jurors
    ]


@dataclass(frozen=True)
class Method:
    """How the recommendation was computed: codes as the ranking run stores them."""

    rule: str
    calibration: str
    basis: str  # "" when the run predates the choice of basis: individual scores
    lottery_commitment: str  # "" when there was no draw
    lottery_seed: str  # revealed once the run is done

    @property
    def had_draw(self) -> bool:
        return bool(self.lottery_commitment)

    @property
    def seed_matches_commitment(self) -> bool:
        """The revealed seed is the one committed to before the draw (SHA-256)."""
        return bool(self.lottery_seed) and seed_commitment(self.lottery_seed) == (
            self.lottery_commitment
        )


@dataclass(frozen=True)
class CallResults:
    call: Call
    decided_at: datetime | None
    decision_version: int
    funded: list[dict[str, Any]]
    reserve: list[dict[str, Any]]
    totals: rules_of_decision.Totals
    jurors: list[ListedJuror]
    method: Method

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.funded + self.reserve


def call_results(*, call: Call) -> CallResults:
    """Everything the public page shows of a call (four queries whatever its size).

    Precondition: the call is published (see :func:`access_published_call`), so it has an
    approved decision.
    """
    # Key transforms read a JSON key only on the queried model's own field: start from the
    # run. (KeyTransform, not KT: it decodes the value, so a JSON null comes back as None.)
    found = (
        RankingRun.objects.filter(decisions__call=call, decisions__status=Decision.Status.APPROVED)
        .annotate(
            rule=KeyTransform("rule", "parameters"),
            calibration=KeyTransform("calibration", "parameters"),
            basis=KeyTransform("basis", "parameters"),
            lottery_commitment=KeyTransform("lottery_commitment", "parameters"),
            lottery_seed=KeyTransform("seed", KeyTransform("lottery", "result")),
            number=F("decisions__number"),
            approved_at=F("decisions__approved_at"),
        )
        .values(
            "number",
            "approved_at",
            "rule",
            "calibration",
            "basis",
            "lottery_commitment",
            "lottery_seed",
        )
        .first()
    )
    decision: dict[str, Any] = dict(found) if found else {}
    lines = _published_lines(call=call)
    rows = [_row(call, line) for line in lines]
    bounds = rules_of_decision.Bounds(
        envelope=int(call.envelope),
        min_winners=int(call.min_winners),
        max_winners=int(call.max_winners),
    )
    funded = BidDecision.Outcome.FUNDED
    return CallResults(
        call=call,
        decided_at=decision.get("approved_at"),
        decision_version=int(decision.get("number") or 0),
        funded=[row for row in rows if row["outcome"] == funded],
        reserve=[row for row in rows if row["outcome"] != funded],
        totals=rules_of_decision.totals([pure_line(line) for line in lines], bounds),
        jurors=listed_jurors(call=call),
        method=Method(
            rule=str(decision.get("rule") or ""),
            calibration=str(decision.get("calibration") or ""),
            basis=str(decision.get("basis") or ""),
            lottery_commitment=str(decision.get("lottery_commitment") or ""),
            lottery_seed=str(decision.get("lottery_seed") or ""),
        ),
    )


def results_document(results: CallResults) -> dict[str, Any]:
    """The open data's JSON shape (``results.json``, docs/open-data.md): the call, its totals,
    the rows under :data:`RESULTS_COLUMNS`, the listed jury and the method. Times stay
    ``datetime`` objects for the JSON encoder (ISO 8601, UTC)."""
    call, totals, method = results.call, results.totals, results.method
    return {
        "call": {
            "slug": call.slug,
            "title_en": call.title_en,
            "title_fr": call.title_fr,
            "envelope_eur": int(call.envelope),
            "decision_version": results.decision_version,
            "decided_at": results.decided_at,
        },
        "totals": {
            "winners": totals.winners,
            "awarded_eur": totals.awarded,
            "envelope_left_eur": totals.envelope_left,
            "reserve": totals.reserve,
        },
        "columns": list(RESULTS_COLUMNS),
        "results": [{column: row[column] for column in RESULTS_COLUMNS} for row in results.rows],
        "jury": [
            {"name": juror.name, "country": juror.country, "affiliations": juror.affiliations}
            for juror in results.jurors
        ],
        "method": {
            "rule": method.rule,
            "calibration": method.calibration,
            "basis": method.basis or None,
            "lottery": {"commitment": method.lottery_commitment, "seed": method.lottery_seed}
            if method.had_draw
            else None,
        },
    }
