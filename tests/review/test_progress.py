"""The administrators' progress page: access, matrix, disagreement, leniency, query count."""

from decimal import Decimal

import pytest
from django.urls import reverse

from review.models import Assignment, ConflictDeclaration
from review.queries.progress import call_progress
from tests.factories import ConflictFactory
from tests.review.jury_setup import administrator_with_totp, institution_member, juror_with_totp
from tests.review.review_setup import bid_with_version, call_with_grid, panel, write_review

pytestmark = pytest.mark.django_db


def _url(call):
    return reverse("review:call_progress", args=[call.slug])


def test_progress_redirects_anonymous_to_login(client):
    call = call_with_grid()

    response = client.get(_url(call))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["member", "juror"])
def test_progress_is_forbidden_to_non_administrators(client, who):
    p = panel(jurors=1)
    user = institution_member(bid=p.bid) if who == "member" else p.jurors[0].user
    client.force_login(user)

    response = client.get(_url(p.call))

    assert response.status_code == 403


def test_progress_page_renders_for_administrator(client):
    p = panel(jurors=3)
    write_review(p.assignments[0], Decimal(5))
    write_review(p.assignments[1], Decimal(1))
    write_review(p.assignments[2], Decimal(3), submitted=False)
    client.force_login(administrator_with_totp())

    response = client.get(_url(p.call))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="leniency-chart"' in content
    assert "2 of 3 reviews submitted (67 %)" in content


def test_call_progress_builds_matrix_and_completion():
    p = panel(jurors=3)
    write_review(p.assignments[0], Decimal(4))
    write_review(p.assignments[1], Decimal(2), submitted=False)
    conflicted = juror_with_totp(call=p.call)
    ConflictDeclaration.objects.create(
        juror=conflicted, bid=p.bid, has_conflict=True, kind="family", reason="x"
    )

    progress = call_progress(call=p.call)

    cells = {j: progress.cells.get((p.bid.pk, j.pk), "") for j in [*p.jurors, conflicted]}
    assert list(cells.values()) == ["submitted", "draft", "assigned", "conflict"]
    assert (progress.bids[0].submitted, progress.bids[0].assigned, progress.completion) == (
        1,
        3,
        33,
    )


def test_call_progress_ranks_bids_by_disagreement_on_weighted_totals():
    call = call_with_grid(weights=[Decimal(2), Decimal(1), Decimal(1)])
    calm, disputed = panel(jurors=2, call=call), panel(jurors=2, call=call)
    write_review(calm.assignments[0], Decimal(3))
    write_review(calm.assignments[1], Decimal("3.5"))
    write_review(disputed.assignments[0], Decimal(1))
    write_review(disputed.assignments[1], [Decimal(5), Decimal(4), Decimal(3)])

    progress = call_progress(call=call)

    ranked = progress.most_disputed()
    assert [b.pk for b in ranked] == [disputed.bid.pk, calm.bid.pk]
    # weighted means: (5×2 + 4 + 3) / 4 = 4.25 against (1×2 + 1 + 1) / 4 = 1
    assert (ranked[0].spread.maximum, ranked[0].spread.minimum, ranked[0].spread.range) == (
        Decimal("4.25"),
        Decimal(1),
        Decimal("3.25"),
    )


def test_call_progress_flags_lenient_and_severe_jurors():
    call = call_with_grid()
    lenient, severe, middle = (juror_with_totp(call=call) for _ in range(3))
    for _ in range(3):
        bid = bid_with_version(call=call, with_attachment=False)
        for juror, score in ((lenient, Decimal(5)), (severe, Decimal(1)), (middle, Decimal(3))):
            write_review(Assignment.objects.create(juror=juror, bid=bid), score)

    progress = call_progress(call=call)

    leaning = {j.pk: j.leaning for j in progress.jurors}
    assert [leaning[lenient.pk], leaning[severe.pk], leaning[middle.pk]] == [
        "lenient",
        "severe",
        "",
    ]


def test_call_progress_leaves_conflicted_reviews_out_of_aggregation():
    p = panel(jurors=2)
    write_review(p.assignments[0], Decimal(3))
    write_review(p.assignments[1], Decimal(5))
    ConflictFactory(juror=p.jurors[1], bid=p.bid, status="confirmed")

    progress = call_progress(call=p.call)

    assert (progress.bids[0].totals, progress.bids[0].assigned) == ([Decimal(3)], 1)


def _populate(call, bids: int) -> None:
    jurors = [juror_with_totp(call=call) for _ in range(3)]
    for _ in range(bids):
        bid = bid_with_version(call=call, with_attachment=False)
        for index, juror in enumerate(jurors):
            assignment = Assignment.objects.create(juror=juror, bid=bid)
            write_review(assignment, Decimal(index + 2), submitted=index != 2)


@pytest.mark.parametrize("size", [1, 10])
def test_progress_query_count_does_not_grow_with_bids(client, django_assert_max_num_queries, size):
    call = call_with_grid()
    _populate(call, size)
    client.force_login(administrator_with_totp())

    with django_assert_max_num_queries(15):
        response = client.get(_url(call))

    assert response.status_code == 200


def test_call_progress_tells_a_conflict_to_declare_from_a_review_not_started():
    call = call_with_grid()
    undeclared = panel(jurors=1, call=call, declared=False)
    declared = panel(jurors=1, call=call, declared=True)

    progress = call_progress(call=call)

    assert progress.cells[(undeclared.bid.pk, undeclared.jurors[0].pk)] == "to_declare"
    assert progress.cells[(declared.bid.pk, declared.jurors[0].pk)] == "assigned"


def test_progress_page_marks_a_conflict_to_declare_apart_from_not_started(client):
    call = call_with_grid()
    panel(jurors=1, call=call, declared=False)
    panel(jurors=1, call=call, declared=True)
    client.force_login(administrator_with_totp())

    content = client.get(_url(call)).content.decode()

    assert content.count('title="conflict of interest still to declare">?</td>') == 1
    assert content.count('title="no conflict declared, not started">○</td>') == 1
