"""The juror's list of bids: statuses, deadline, conflicts excluded, query count."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from review.models import Assignment, ConflictDeclaration
from tests.factories import ConflictFactory
from tests.review.jury_setup import administrator_with_totp, institution_member, juror_with_totp
from tests.review.review_setup import bid_with_version, call_with_grid, write_review

pytestmark = pytest.mark.django_db
URL = reverse("review:juror_dashboard")


def _assign(juror, call, *, declared=True, review=None):
    bid = bid_with_version(call=call, with_attachment=False)
    assignment = Assignment.objects.create(juror=juror, bid=bid)
    if declared:
        ConflictDeclaration.objects.create(juror=juror, bid=bid, has_conflict=False)
    if review == "draft":
        write_review(assignment, Decimal(3), submitted=False)
    elif review == "submitted":
        write_review(assignment, Decimal(3))
    return bid


def _status_of(content: str, acronym: str) -> str:
    row = content[content.index(f">{acronym}</a>") :]
    row = row[: row.index("</tr>")]
    for label in ("Conflict of interest to declare", "To score", "Draft", "Submitted"):
        if label in row:
            return label
    return ""


def test_juror_list_redirects_anonymous_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_juror_list_is_forbidden_to_institution_members(client):
    client.force_login(institution_member())

    response = client.get(URL)

    assert response.status_code == 403


def test_juror_list_shows_each_status(client):
    call = call_with_grid()
    juror = juror_with_totp(call=call)
    bids = {
        "declare": _assign(juror, call, declared=False),
        "to_score": _assign(juror, call),
        "draft": _assign(juror, call, review="draft"),
        "submitted": _assign(juror, call, review="submitted"),
    }
    client.force_login(juror.user)

    response = client.get(URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert {key: _status_of(content, bid.acronym) for key, bid in bids.items()} == {
        "declare": "Conflict of interest to declare",
        "to_score": "To score",
        "draft": "Draft",
        "submitted": "Submitted",
    }


def test_juror_list_shows_the_review_deadline_in_paris_time(client):
    call = call_with_grid(review_deadline=datetime(2027, 3, 12, 22, 59, tzinfo=UTC))
    juror = juror_with_totp(call=call)
    _assign(juror, call)
    client.force_login(juror.user)

    response = client.get(URL)

    assert "12 March 2027, 23:59 CET (Europe/Paris)" in response.content.decode()


def test_juror_list_leaves_out_conflicted_bids(client):
    call = call_with_grid()
    juror = juror_with_totp(call=call)
    kept = _assign(juror, call)
    confirmed = _assign(juror, call)
    ConflictFactory(juror=juror, bid=confirmed, status="confirmed")
    declared = _assign(juror, call, declared=False)
    ConflictDeclaration.objects.create(
        juror=juror, bid=declared, has_conflict=True, kind="family", reason="Sister"
    )
    client.force_login(juror.user)

    response = client.get(URL)

    content = response.content.decode()
    assert [a in content for a in (kept.acronym, confirmed.acronym, declared.acronym)] == [
        True,
        False,
        False,
    ]


def test_juror_list_hides_other_jurors_assignments(client):
    call = call_with_grid()
    juror, other = juror_with_totp(call=call), juror_with_totp(call=call)
    theirs = _assign(other, call)
    client.force_login(juror.user)

    response = client.get(URL)

    assert theirs.acronym not in response.content.decode()


def test_juror_list_links_administrators_to_progress(client):
    call = call_with_grid()
    client.force_login(administrator_with_totp())

    response = client.get(URL)

    assert reverse("review:call_progress", args=[call.slug]) in response.content.decode()


@pytest.mark.parametrize("size", [1, 10])
def test_juror_list_query_count_does_not_grow_with_bids(
    client, django_assert_max_num_queries, size
):
    call = call_with_grid()
    juror = juror_with_totp(call=call)
    for index in range(size):
        _assign(juror, call, review=("submitted", "draft", None)[index % 3])
    client.force_login(juror.user)

    with django_assert_max_num_queries(7):
        response = client.get(URL)

    assert response.status_code == 200
