"""The review deadline holds to the second: at the deadline refused, a microsecond before
accepted (a `>=` turned into `>` fails here)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from portal.editing import DeadlinePassed
from review.models import Assignment
from review.services.reviews import check_review_editable
from tests.review.review_setup import panel

pytestmark = pytest.mark.django_db


def _assignment_with_deadline():
    p = panel(jurors=1)
    deadline = timezone.now().replace(microsecond=0) + timedelta(days=1)
    p.call.review_deadline = deadline
    p.call.save(update_fields=["review_deadline"])
    return Assignment.objects.select_related("bid__call").get(pk=p.assignments[0].pk), deadline


def test_review_editable_one_microsecond_before_the_deadline():
    assignment, deadline = _assignment_with_deadline()

    with mock.patch("django.utils.timezone.now", return_value=deadline - timedelta(microseconds=1)):
        check_review_editable(assignment=assignment, review=None)


def test_review_refused_at_the_deadline_second():
    assignment, deadline = _assignment_with_deadline()

    with (
        mock.patch("django.utils.timezone.now", return_value=deadline),
        pytest.raises(DeadlinePassed) as caught,
    ):
        check_review_editable(assignment=assignment, review=None)

    assert "The review deadline passed" in " ".join(caught.value.messages)
