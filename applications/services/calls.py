"""The life of a call: draft → open → closed → under review → decided → published.

``Call.status`` is not editable by hand (``editable=False``); every change goes through
``transition_call`` so the graph (``Call.TRANSITIONS``) and its preconditions hold whoever
asks (a programme page, an admin action, a management command).

Rules beyond the plain graph:
- closing (open → closed) is refused before ``closes_at``: applicants were promised that
  deadline to the second. To close early, first move ``closes_at`` in the call's settings.
- reopening (closed → open) is the only step back. It is allowed only while
  ``now < closes_at``, i.e. after an administrator has moved the deadline later: reopening
  a call whose deadline has passed would accept nothing and confuse everyone.
"""

import logging
from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Call
from portal import transitions
from portal.formats import format_paris_datetime

logger = logging.getLogger(__name__)

S = Call.Status

# Conditions another app puts on a step: the review app says "decided" needs an approved
# decision. ``applications`` never imports ``review``, so review registers its guards when
# it starts (``ReviewConfig.ready``). A guard returns the refusal message, or None.
TransitionGuard = Callable[[Call], str | None]
_GUARDS: dict[tuple[str, str], list[TransitionGuard]] = {}


def _register(registry: dict, key: tuple[str, str], function: Callable) -> None:
    """Add ``function`` for the step ``key`` once (``ready()`` may run more than once)."""
    functions = registry.setdefault(key, [])
    if function not in functions:
        functions.append(function)


def register_transition_guard(*, from_status: str, to_status: str, guard: TransitionGuard) -> None:
    _register(_GUARDS, (from_status, to_status), guard)


# What another app does when a step is taken: the review app writes the decision letters when
# a call is published. A hook runs inside ``transition_call``'s transaction, with the call row
# locked and already saved at its new status; it raises ``ValidationError`` to refuse the step
# (everything rolls back).
TransitionHook = Callable[[Call, User], None]
_HOOKS: dict[tuple[str, str], list[TransitionHook]] = {}


def register_transition_hook(*, from_status: str, to_status: str, hook: TransitionHook) -> None:
    _register(_HOOKS, (from_status, to_status), hook)


def allowed_transitions(*, call: Call, at=None) -> list[str]:
    """The statuses ``call`` may move to now, in the graph's order (for buttons)."""
    result = []
    for status in S.values:
        if status in transitions.targets(call):
            try:
                check_transition(call=call, to_status=status, at=at)
            except ValidationError:
                continue
            result.append(status)
    return result


def check_transition(*, call: Call, to_status: str, at=None) -> None:
    """Raise ``ValidationError`` with the reason if ``call`` cannot move to ``to_status``."""
    now = at or timezone.now()
    transitions.check_transition(
        call, to_status, refused=_("A call cannot go from “%(from)s” to “%(to)s”.")
    )
    for guard in _GUARDS.get((call.status, to_status), []):
        refusal = guard(call)
        if refusal:
            raise ValidationError(refusal)
    deadline = format_paris_datetime(call.closes_at, seconds=True)
    if call.status == S.OPEN and to_status == S.CLOSED and not call.deadline_passed(at=now):
        raise ValidationError(
            _(
                "The call's deadline, %(deadline)s, has not passed yet. To close it early, "
                "move its closing time first."
            )
            % {"deadline": deadline}
        )
    if call.status == S.CLOSED and to_status == S.OPEN and call.deadline_passed(at=now):
        raise ValidationError(
            _(
                "The deadline, %(deadline)s, has passed: set a later closing time before "
                "reopening the call."
            )
            % {"deadline": deadline}
        )


def transition_call(*, call: Call, to_status: str, by: User) -> Call:
    """Move ``call`` to ``to_status`` if the graph allows it now; log who did it.

    django-auditlog records the change of ``status`` with the request's actor; the log line
    names the actor for changes made outside a request.
    """
    with transaction.atomic():
        # Lock the row so two administrators clicking at once cannot skip a step.
        locked = Call.objects.select_for_update().get(pk=call.pk)
        check_transition(call=locked, to_status=to_status)
        from_status = locked.status
        locked.status = to_status
        locked.full_clean()
        locked.save(update_fields=["status"])
        for hook in _HOOKS.get((from_status, to_status), []):
            hook(locked, by)
    logger.info(
        "Call %s (%s) moved from %s to %s by user %s",
        locked.pk,
        locked.slug,
        from_status,
        to_status,
        getattr(by, "pk", None),
    )
    call.status = to_status
    return locked
