"""The progress page by page, from stored totals and aggregates, shows the figures the page
computed before from every score (``tests/review/progress_reference.py``, the former code)."""

from decimal import Decimal

import pytest

from applications.models import Bid
from portal.pagination import PER_PAGE
from review.models import ConflictDeclaration, Review
from review.queries import progress
from tests.factories import ConflictFactory
from tests.review import progress_reference
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db


def _seeded():
    """70 bids × 3 jurors of 14, with a confirmed conflict on an assigned pair, a declared one
    on an unassigned pair and one on an assigned pair, and a draft."""
    setup = scored_call(bids=70, jurors=14, per_bid=3, criteria=3, seed=7)
    first, second = setup.assignments[0], setup.assignments[4]
    ConflictFactory(juror=first.juror, bid=first.bid, status="confirmed")
    outsider = next(
        j
        for j in setup.jurors
        if j.pk not in {a.juror_id for a in setup.assignments if a.bid_id == second.bid_id}
    )
    ConflictDeclaration.objects.create(
        juror=outsider, bid=second.bid, has_conflict=True, kind="family", reason="x"
    )
    declared = setup.assignments[10]
    ConflictDeclaration.objects.create(
        juror=declared.juror, bid=declared.bid, has_conflict=True, kind="employment", reason="y"
    )
    Review.objects.filter(assignment=setup.assignments[7]).update(status=Review.Status.DRAFT)
    return setup


def _q(value: Decimal) -> Decimal:
    """To the eighth decimal: the stored totals keep ten, the former code kept 28 digits."""
    return value.quantize(Decimal("1e-8"))


def _bid_figures(bid):
    return (
        bid.pk,
        bid.acronym,
        bid.assigned,
        bid.submitted,
        sorted(map(_q, bid.totals)),
        bid.understaffed,
    )


def _juror_figures(juror):
    mean = None if juror.mean is None else round(juror.mean, 9)
    return (
        juror.pk,
        juror.name,
        juror.assigned,
        juror.submitted,
        sorted(map(_q, juror.totals)),
        mean,
        juror.leaning,
    )


def _disputed(bids):
    return [
        (
            b.acronym,
            b.spread.count,
            _q(b.spread.minimum),
            _q(b.spread.maximum),
            _q(b.spread.range),
            round(b.spread.std, 9),
        )
        for b in bids
    ]


@pytest.mark.parametrize("page", [1, 2])
def test_every_figure_of_a_page_equals_the_former_computation(page):
    setup = _seeded()
    before = progress_reference.call_progress(call=setup.call)

    after = progress.call_progress(call=setup.call, bid_page=page, juror_page=1)

    assert (after.assigned, after.submitted, after.completion, after.max_total) == (
        before.assigned,
        before.submitted,
        before.completion,
        before.max_total,
    )
    assert round(after.overall_mean, 9) == round(before.overall_mean, 9)
    assert round(after.overall_std, 9) == round(before.overall_std, 9)
    assert _disputed(after.most_disputed()) == _disputed(before.most_disputed())
    page_bids = before.bids[(page - 1) * PER_PAGE : page * PER_PAGE]
    assert [_bid_figures(b) for b in after.bids] == [_bid_figures(b) for b in page_bids]
    page_ids = {b.pk for b in page_bids}
    assert after.cells == {key: cell for key, cell in before.cells.items() if key[0] in page_ids}
    assert [_juror_figures(j) for j in after.jurors] == [_juror_figures(j) for j in before.jurors]
    assert [j.pk for j in after.columns] == [j.pk for j in before.jurors]
    assert [(b.pk, b.active_jurors) for b in after.understaffed] == [
        (b.pk, b.active_jurors) for b in before.understaffed
    ]
    assert {j.leaning for j in after.jurors} == {"lenient", "severe", ""}


def test_the_most_disputed_bids_break_ties_by_acronym():
    setup = scored_call(bids=12, jurors=3, per_bid=3, criteria=1, seed=1)
    Review.objects.update(weighted_total=Decimal(3))
    # Two bids with the same range and spread: 1, 3, 5.
    for bid in (setup.bids[5], setup.bids[2]):
        for review, value in zip(
            Review.objects.filter(assignment__bid=bid).order_by("pk"), (1, 3, 5), strict=True
        ):
            Review.objects.filter(pk=review.pk).update(weighted_total=Decimal(value))

    disputed = progress.call_progress(call=setup.call).most_disputed()

    assert [b.acronym for b in disputed[:2]] == [setup.bids[2].acronym, setup.bids[5].acronym]
    assert disputed[0].spread.range == Decimal(4)


def test_a_bid_with_fewer_totals_is_ranked_by_its_own_variance():
    """70 bids tie on range; the last by acronym has only two totals, and the largest
    variance. Ordered by n² × variance (what the database once compared), it came behind the
    69 others and out of the candidates; by the variance, it leads."""
    setup = scored_call(bids=70, jurors=10, per_bid=5, criteria=1, seed=3)
    # Acronyms in the reverse order of the ids, so that a tie broken by id would show.
    for index, bid in enumerate(setup.bids):
        bid.acronym = f"R{69 - index:02d}"
        Bid.objects.filter(pk=bid.pk).update(acronym=bid.acronym)
    for bid in setup.bids:
        reviews = list(Review.objects.filter(assignment__bid=bid).order_by("pk"))
        for review, value in zip(reviews, (0, 4, 2, 2, 2), strict=True):
            Review.objects.filter(pk=review.pk).update(weighted_total=Decimal(value))
    last = max(setup.bids, key=lambda bid: bid.acronym)
    Review.objects.filter(assignment__bid=last, weighted_total=Decimal(2)).update(
        status=Review.Status.DRAFT
    )

    disputed = progress.call_progress(call=setup.call).most_disputed()

    assert disputed[0].acronym == last.acronym
    assert (disputed[0].spread.count, disputed[0].spread.std) == (2, 2.0)
    assert [b.spread.range for b in disputed] == [Decimal(4)] * 10
    # The 69 others tie (more than the candidates the database proposes): by acronym.
    others = sorted(bid.acronym for bid in setup.bids if bid.pk != last.pk)
    assert [b.acronym for b in disputed[1:]] == others[:9]
