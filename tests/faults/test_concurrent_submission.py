"""Two coordinators submit the same bid at the same instant: exactly one version."""

import threading

import pytest
from django.db import connection

from applications.models import BidVersion, Membership
from applications.services.submission import submit_bid
from tests.applications.bidkit import complete_bid, make_cast, member
from tests.faults import postgres_only


def test_second_submission_of_unchanged_content_returns_the_first_version(db):
    cast = make_cast(complete_bid())

    first = submit_bid(bid=cast.bid, by=cast.coordinator)
    second = submit_bid(bid=cast.bid, by=cast.coordinator)

    assert second.pk == first.pk
    assert list(BidVersion.objects.filter(bid=cast.bid).values_list("number", flat=True)) == [1]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_submitting_at_the_same_instant_make_one_version():
    cast = make_cast(complete_bid())
    second_coordinator = member(cast.bid.lead_institution, Membership.Role.COORDINATOR)
    barrier = threading.Barrier(2)
    versions: list[int] = []
    errors: list[BaseException] = []

    def submit(user) -> None:
        try:
            barrier.wait(timeout=10)
            versions.append(submit_bid(bid=cast.bid, by=user).number)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [
        threading.Thread(target=submit, args=(user,))
        for user in (cast.coordinator, second_coordinator)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert versions == [1, 1]
    assert BidVersion.objects.filter(bid=cast.bid).count() == 1
