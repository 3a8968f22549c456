from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import Call
from applications.services.calls import allowed_transitions, transition_call
from tests.factories import AdministratorFactory, CallFactory

pytestmark = pytest.mark.django_db

S = Call.Status


def _past_deadline(**kwargs) -> Call:
    now = timezone.now()
    return CallFactory(
        opens_at=now - timedelta(days=60), closes_at=now - timedelta(seconds=1), **kwargs
    )


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (S.DRAFT, S.OPEN),
        (S.OPEN, S.CLOSED),
        (S.CLOSED, S.UNDER_REVIEW),
    ],
)
def test_transition_call_follows_the_graph(from_status, to_status):
    # Decided and published follow the funding decision: tests/review/test_decisions.py.
    call = _past_deadline(status=from_status)

    transition_call(call=call, to_status=to_status, by=AdministratorFactory())

    call.refresh_from_db()
    assert call.status == to_status


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (S.DRAFT, S.CLOSED),
        (S.DRAFT, S.PUBLISHED),
        (S.OPEN, S.UNDER_REVIEW),
        (S.OPEN, S.DRAFT),
        (S.UNDER_REVIEW, S.OPEN),
        (S.UNDER_REVIEW, S.CLOSED),
        (S.DECIDED, S.UNDER_REVIEW),
        (S.PUBLISHED, S.DECIDED),
        (S.PUBLISHED, S.PUBLISHED),
        (S.OPEN, "bogus"),
    ],
)
def test_transition_call_refuses_a_jump_outside_the_graph(from_status, to_status):
    call = _past_deadline(status=from_status)

    with pytest.raises(ValidationError):
        transition_call(call=call, to_status=to_status, by=AdministratorFactory())

    call.refresh_from_db()
    assert call.status == from_status


def test_transition_call_refuses_closing_before_the_deadline():
    call = CallFactory(status=S.OPEN, closes_at=timezone.now() + timedelta(seconds=5))

    with pytest.raises(ValidationError, match="has not passed yet"):
        transition_call(call=call, to_status=S.CLOSED, by=AdministratorFactory())


def test_transition_call_reopens_a_closed_call_whose_deadline_was_moved_later():
    call = CallFactory(status=S.CLOSED, closes_at=timezone.now() + timedelta(days=1))

    transition_call(call=call, to_status=S.OPEN, by=AdministratorFactory())

    call.refresh_from_db()
    assert call.status == S.OPEN


def test_transition_call_refuses_reopening_after_the_deadline():
    call = _past_deadline(status=S.CLOSED)

    with pytest.raises(ValidationError, match="set a later closing time"):
        transition_call(call=call, to_status=S.OPEN, by=AdministratorFactory())


def test_transition_call_is_recorded_in_the_audit_log():
    call = _past_deadline(status=S.OPEN)

    transition_call(call=call, to_status=S.CLOSED, by=AdministratorFactory())

    entry = LogEntry.objects.get_for_object(call).order_by("-timestamp").first()
    assert entry.changes_dict["status"] == [S.OPEN, S.CLOSED]


def test_allowed_transitions_lists_only_what_is_possible_now():
    closed_early = CallFactory(status=S.CLOSED, closes_at=timezone.now() + timedelta(days=1))
    closed_late = _past_deadline(status=S.CLOSED)

    assert allowed_transitions(call=closed_early) == [S.OPEN, S.UNDER_REVIEW]
    assert allowed_transitions(call=closed_late) == [S.UNDER_REVIEW]
