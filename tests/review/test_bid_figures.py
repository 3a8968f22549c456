"""Each bid's ``BidReviewFigures`` row, kept by the database's triggers (``review.bid_figures``),
equals the figures computed here from the bid's rows after every kind of write: the review
service, a bulk load, ``QuerySet.update``, a reopening, a cascade, a moved row, a deletion, and
two transactions writing reviews of one bid at once on PostgreSQL."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from applications.models import Bid
from review.models import Assignment, BidReviewFigures, Criterion, Review
from review.services.reviews import ScoreInput, reopen_review, submit_review
from tests.factories import AssignmentFactory, JurorProfileFactory
from tests.faults import postgres_only
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import scored_call
from tests.review.review_setup import call_with_grid, panel

TEN_PLACES = Decimal("1e-10")


def _computed(bid_id: int) -> tuple[int, int, Decimal | None, Decimal | None]:
    """(assignments, counted totals, range, population variance) from the bid's own rows."""
    totals = list(
        Review.objects.filter(
            assignment__bid_id=bid_id,
            status=Review.Status.SUBMITTED,
            weighted_total__isnull=False,
        ).values_list("weighted_total", flat=True)
    )
    if not totals:
        return Assignment.objects.filter(bid_id=bid_id).count(), 0, None, None
    mean = sum(totals, Decimal(0)) / len(totals)
    variance = sum(((t - mean) ** 2 for t in totals), Decimal(0)) / len(totals)
    return (
        Assignment.objects.filter(bid_id=bid_id).count(),
        len(totals),
        (max(totals) - min(totals)).quantize(TEN_PLACES),
        variance.quantize(TEN_PLACES),
    )


def _kept(bid_id: int) -> tuple[int, int, Decimal | None, Decimal | None]:
    row = BidReviewFigures.objects.get(bid_id=bid_id)
    variance = None if row.variance is None else Decimal(repr(row.variance)).quantize(TEN_PLACES)
    range_of = None if row.range_of is None else row.range_of.quantize(TEN_PLACES)
    return row.assignments, row.totals, range_of, variance


def _assert_every_bid_matches(bids) -> None:
    for bid in bids:
        assert _kept(bid.pk) == _computed(bid.pk), bid.acronym


@pytest.mark.django_db
class TestEveryWriterKeepsTheFigures:
    def test_a_bulk_load_of_assignments_and_reviews(self):
        setup = scored_call(bids=8, jurors=5, per_bid=3, criteria=2, seed=3)

        _assert_every_bid_matches(setup.bids)
        assert BidReviewFigures.objects.filter(call=setup.call).count() == 8
        assert {row.totals for row in BidReviewFigures.objects.all()} == {3}

    def test_queryset_updates_of_totals_and_statuses(self):
        setup = scored_call(bids=4, jurors=4, per_bid=3, criteria=1, seed=1)
        first, second = setup.bids[0], setup.bids[1]

        Review.objects.filter(assignment__bid=first).update(weighted_total=Decimal("7.25"))
        Review.objects.filter(assignment=setup.assignments[3]).update(status=Review.Status.DRAFT)
        Review.objects.filter(assignment=setup.assignments[4]).update(weighted_total=None)

        _assert_every_bid_matches(setup.bids)
        assert _kept(first.pk)[1:3] == (3, Decimal(0))
        assert _kept(second.pk)[1] == 1

    def test_the_review_service_submits_and_an_administrator_reopens(self):
        p = panel(jurors=2, call=call_with_grid())
        criteria = list(Criterion.objects.filter(call=p.call).order_by("order"))
        for assignment, value in zip(p.assignments, (Decimal(2), Decimal(5)), strict=True):
            submit_review(
                assignment=assignment,
                by=assignment.juror.user,
                scores={c.pk: ScoreInput(value, "Because.") for c in criteria},
                confidence=3,
                expected_version=0,
            )
        assert _kept(p.bid.pk)[:2] == (2, 2)
        assert _kept(p.bid.pk) == _computed(p.bid.pk)

        reopen_review(
            review=Review.objects.get(assignment=p.assignments[0]),
            by=administrator_with_totp(),
            reason="A score was misread.",
        )

        assert _kept(p.bid.pk)[:2] == (2, 1)
        assert _kept(p.bid.pk) == _computed(p.bid.pk)

    def test_an_assignment_without_review_and_a_new_one(self):
        setup = scored_call(bids=2, jurors=3, per_bid=2, criteria=1, seed=4)
        bid = setup.bids[0]

        AssignmentFactory(bid=bid, juror=JurorProfileFactory())

        assert _kept(bid.pk)[:2] == (3, 2)
        _assert_every_bid_matches(setup.bids)

    def test_a_deleted_assignment_takes_its_review_out(self):
        setup = scored_call(bids=2, jurors=3, per_bid=3, criteria=1, seed=5)

        setup.assignments[0].delete()

        assert _kept(setup.assignments[0].bid_id)[:2] == (2, 2)
        _assert_every_bid_matches(setup.bids)

    def test_an_assignment_moved_to_another_bid_refreshes_both(self):
        setup = scored_call(bids=2, jurors=4, per_bid=2, criteria=1, seed=6)
        moved = setup.assignments[0]
        other = next(bid for bid in setup.bids if bid.pk != moved.bid_id)
        Assignment.objects.filter(pk=moved.pk).update(bid=other)
        Review.objects.filter(assignment=moved).update(bid=other)

        _assert_every_bid_matches(setup.bids)
        assert _kept(other.pk)[:2] == (3, 3)

    def test_a_deleted_bid_takes_its_row(self):
        setup = scored_call(bids=3, jurors=3, per_bid=2, criteria=1, seed=7)
        gone = setup.bids[0]

        Bid.objects.filter(pk=gone.pk).delete()

        assert not BidReviewFigures.objects.filter(bid_id=gone.pk).exists()
        _assert_every_bid_matches(setup.bids[1:])

    def test_a_bid_with_one_total_has_no_spread_yet(self):
        setup = scored_call(bids=1, jurors=2, per_bid=2, criteria=1, seed=8)
        Review.objects.filter(assignment=setup.assignments[0]).delete()

        assignments, totals, range_of, variance = _kept(setup.bids[0].pk)

        assert (assignments, totals) == (2, 1)
        assert (range_of, variance) == (Decimal(0), Decimal(0))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_transactions_submitting_reviews_of_one_bid_both_count():
    """Without the refresh's lock, the second transaction would recompute the bid from a
    snapshot without the first's review and overwrite its row when the first commits."""
    setup = scored_call(bids=1, jurors=3, per_bid=3, criteria=1, seed=9)
    Review.objects.all().delete()
    first, second = setup.assignments[0], setup.assignments[1]
    first_written, release_first = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def submit(assignment, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                Review.objects.create(
                    assignment=assignment,
                    status=Review.Status.SUBMITTED,
                    weighted_total=Decimal(2 if hold else 8),
                )
                if hold:
                    first_written.set()
                    release_first.wait(10)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    holder = threading.Thread(target=submit, args=(first,), kwargs={"hold": True})
    holder.start()
    assert first_written.wait(10)
    follower = threading.Thread(target=submit, args=(second,), kwargs={"hold": False})
    follower.start()
    # The follower waits for the holder's lock on the bid; then the holder commits.
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second transaction never waited for the first")
    release_first.set()
    holder.join(10)
    follower.join(10)

    assert not errors
    assert _kept(setup.bids[0].pk) == _computed(setup.bids[0].pk)
    assert _kept(setup.bids[0].pk)[1:3] == (2, Decimal(6))
