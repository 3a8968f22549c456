import pytest
from django.urls import reverse

from review.models import Assignment, Conflict, InstitutionConflictDeclaration
from tests.factories import AssignmentFactory, CallFactory, ConflictFactory, CriterionFactory
from tests.review.jury_setup import (
    administrator_with_totp,
    institution_member,
    juror_with_totp,
    submitted_bid,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 10])
def test_conflict_admin_changelist_queries_do_not_grow(
    client, django_assert_max_num_queries, count
):
    call = CallFactory()
    admin = administrator_with_totp()
    for _ in range(count):
        ConflictFactory(bid=submitted_bid(call=call), juror=juror_with_totp(), decided_by=admin)
    client.force_login(admin)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("admin:review_conflict_changelist"))

    assert response.context["cl"].result_count == count


@pytest.mark.parametrize("count", [1, 10])
def test_institution_declaration_admin_changelist_queries_do_not_grow(
    client, django_assert_max_num_queries, count
):
    call = CallFactory()
    for _ in range(count):
        bid = submitted_bid(call=call)
        InstitutionConflictDeclaration.objects.create(
            bid=bid,
            email="someone@example.org",
            reason="Competitor",
            declared_by=institution_member(bid=bid),
        )
    client.force_login(administrator_with_totp())

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:review_institutionconflictdeclaration_changelist"))

    assert response.context["cl"].result_count == count


def test_institution_declaration_admin_is_read_only(client):
    client.force_login(administrator_with_totp())

    response = client.get(reverse("admin:review_institutionconflictdeclaration_add"))

    assert response.status_code == 403


@pytest.mark.parametrize("count", [1, 10])
def test_assignment_admin_changelist_queries_do_not_grow(
    client, django_assert_max_num_queries, count
):
    call = CallFactory()
    for _ in range(count):
        AssignmentFactory(bid=submitted_bid(call=call))
    client.force_login(administrator_with_totp())

    with django_assert_max_num_queries(9):
        response = client.get(reverse("admin:review_assignment_changelist"))

    assert response.context["cl"].result_count == count


def test_conflict_admin_confirm_action_removes_assignment(client):
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AssignmentFactory(bid=bid, juror=juror)
    conflict = ConflictFactory(bid=bid, juror=juror)
    admin = administrator_with_totp()
    client.force_login(admin)

    response = client.post(
        reverse("admin:review_conflict_changelist"),
        {"action": "confirm_conflicts", "_selected_action": [conflict.pk]},
    )

    conflict.refresh_from_db()
    assert response.status_code == 302
    assert (conflict.status, conflict.decided_by) == (Conflict.Status.CONFIRMED, admin)
    assert Assignment.objects.filter(bid=bid).exists() is False


def test_criterion_admin_filters_by_call(client):
    first, second = CallFactory(), CallFactory()
    CriterionFactory(call=first)
    CriterionFactory(call=second)
    client.force_login(administrator_with_totp())

    response = client.get(
        reverse("admin:review_criterion_changelist"), {"call__id__exact": first.pk}
    )

    assert [c.call_id for c in response.context["cl"].result_list] == [first.pk]
