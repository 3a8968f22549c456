"""The funding decision: prepared from a ranking run, approved by a second administrator.

Rules (the arithmetic is ``review.decision``, pure):
- A decision is prepared from a completed ranking run of a call under review; every
  submitted bid gets a line with the run's recommendation (funded with its amount, reserve
  list in rank order, not funded) or "ineligible" when the screening found it so.
- Editing a draft: each funded amount lies between the bid's minimum and its request; the
  reserve positions are 1, 2, 3…; the total stays within the envelope and the number of
  winners within the call's bounds; every deviation from the recommendation carries a
  written reason; a bid with fewer submitted reviews than the call requires is funded only
  with a written override. A save that breaks any of these is refused as a whole.
- Four eyes: the administrator who last prepared or edited a draft cannot approve it.
  Approval makes the version immutable and moves the call to "decided" (the only way there).
- A change after approval is a new version (``revise_decision``, with a reason) that starts
  as a copy of the current one; approving it supersedes the previous version. Every
  version is kept.
- Withdrawing an approved decision (with a reason) is possible until publication; it moves
  the call back to "under review", which reopens the evaluation.

Error contract: ``ValidationError`` with a message the administrator can act on (keyed by
``lines`` errors in :class:`LineErrors` for per-bid problems); ``PermissionDenied`` for the
four-eyes rule.
"""

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applications.models import Bid, Call
from applications.services.calls import register_transition_guard, transition_call
from portal import transitions
from portal.editing import Locked
from portal.formats import format_euros
from review import decision as rules_of_decision
from review.models import AuditEvent, BidDecision, Decision, RankingRun
from review.queries.decisions import (
    LineInput,
    decision_figures,
    submitted_review_counts,
    with_change,
)
from review.services import audit

logger = logging.getLogger(__name__)


class LineErrors(ValidationError):
    """Per-bid problems: ``by_bid[bid id][field]`` → messages; ``overall`` → messages."""

    def __init__(self, *, by_bid: dict[int, dict[str, list[str]]], overall: list[str]):
        self.by_bid = by_bid
        self.overall = overall
        messages = overall + [m for fields in by_bid.values() for ms in fields.values() for m in ms]
        super().__init__(messages)


def problem_message(problem: rules_of_decision.Problem) -> str:
    """The administrator-facing text of a problem code from ``review.decision``."""
    params = dict(problem.params)
    if problem.code == "amount_out_of_range":
        return _("The amount must lie between %(minimum)s and %(requested)s.") % {
            "minimum": format_euros(params["minimum"]),
            "requested": format_euros(params["requested"]),
        }
    if problem.code == "over_envelope":
        return _("The amounts awarded (%(awarded)s) exceed the envelope (%(envelope)s).") % {
            "awarded": format_euros(params["awarded"]),
            "envelope": format_euros(params["envelope"]),
        }
    if problem.code == "winners_out_of_bounds":
        return (
            ngettext(
                "The decision funds %(winners)s bid; the call funds between %(min)s and %(max)s.",
                "The decision funds %(winners)s bids; the call funds between %(min)s and %(max)s.",
                params["winners"],
            )
            % params
        )
    messages = {
        "unknown_outcome": _("Choose an outcome."),
        "screened_ineligible": _("The screening found this bid ineligible."),
        "amount_missing": _("Give the amount awarded."),
        "amount_not_funded": _("Only a funded bid has an amount."),
        "override_required": _(
            "This bid has fewer submitted reviews than the call requires: give the reason "
            "for funding it all the same."
        ),
        "reserve_position_missing": _("Give the bid's position on the reserve list."),
        "reserve_position_not_reserve": _("Only a bid on the reserve list has a position."),
        "reason_required": _("This departs from the jury's recommendation: give the reason."),
        "reserve_positions": _("The reserve list must be numbered 1, 2, 3… without gaps."),
    }
    return messages[problem.code]


def _bounds(call: Call) -> rules_of_decision.Bounds:
    return rules_of_decision.Bounds(
        envelope=int(call.envelope),
        min_winners=int(call.min_winners),
        max_winners=int(call.max_winners),
    )


def check_lines(*, call: Call, lines: Iterable[rules_of_decision.Line], labels: Mapping[int, str]):
    """Raise :class:`LineErrors` when the lines cannot be decided."""
    found = rules_of_decision.problems(list(lines), _bounds(call))
    if not found:
        return
    by_bid: dict[int, dict[str, list[str]]] = {}
    overall: list[str] = []
    for problem in found:
        message = problem_message(problem)
        if problem.bid_id is None:
            overall.append(message)
        else:
            by_bid.setdefault(problem.bid_id, {}).setdefault(problem.field, []).append(message)
    if by_bid and not overall:
        overall.append(
            _("Some bids need attention: %(bids)s.")
            % {"bids": ", ".join(labels.get(bid_id, str(bid_id)) for bid_id in by_bid)}
        )
    raise LineErrors(by_bid=by_bid, overall=overall)


# --------------------------------------------------------------------------- preparing


def _lock_call(call: Call) -> Call:
    return Call.objects.select_for_update().get(pk=call.pk)


def prepare_decision(*, call: Call, run: RankingRun, by: User) -> Decision:
    """A first draft decision from ``run``'s recommendation (call under review)."""
    with transaction.atomic():
        locked = _lock_call(call)
        if locked.status != Call.Status.UNDER_REVIEW:
            raise ValidationError(_("A decision is prepared while the call is under review."))
        if run.call_id != call.pk or run.status != RankingRun.Status.DONE or not run.result:
            raise ValidationError(_("Choose a completed ranking run of this call."))
        if Decision.objects.filter(
            call=call, status__in=[Decision.Status.DRAFT, Decision.Status.APPROVED]
        ).exists():
            raise ValidationError(_("This call already has a decision in preparation or approved."))
        number = Decision.objects.filter(call=call).order_by("-number").first() or Decision(
            number=0
        )
        decision = Decision.objects.create(
            call=call,
            number=number.number + 1,
            run=run,
            prepared_by=by,
            prepared_at=timezone.now(),
        )
        _create_lines(decision=decision, call=locked, run=run)
        audit.record_decision(decision=decision, kind=AuditEvent.Kind.DECISION_PREPARED, by=by)
    logger.info("Decision %s prepared on call %s by user %s", decision.pk, call.slug, by.pk)
    return decision


def _create_lines(*, decision: Decision, call: Call, run: RankingRun) -> None:
    bids = list(
        Bid.objects.filter(call=call, status=Bid.Status.SUBMITTED).only(
            "pk", "eligibility", "requested_amount", "minimum_amount"
        )
    )
    ineligible = {bid.pk for bid in bids if bid.eligibility == Bid.Eligibility.INELIGIBLE}
    assert run.result is not None
    recommended = rules_of_decision.recommendation(
        run.result, screened_ineligible=ineligible, reserve_size=int(call.reserve_list_size)
    )
    in_run = {int(row["id"]): row for row in run.result["bids"]}
    reviews = submitted_review_counts(call=call)
    lines = []
    for bid in bids:
        advice = recommended.get(bid.pk, rules_of_decision.Recommended("not_funded", None, None))
        row: dict[str, Any] = in_run.get(bid.pk, {})
        count = reviews.get(bid.pk, 0)
        lines.append(
            BidDecision(
                decision=decision,
                bid=bid,
                rank=row.get("rank"),
                score=_decimal(row.get("score"), places=4),
                p_selected=_decimal(row.get("p_selected"), places=4),
                reviews=count,
                under_reviewed=count < call.min_reviews_per_bid,
                recommended_outcome=advice.outcome,
                recommended_amount=advice.amount,
                recommended_reserve=advice.reserve_position,
                outcome=advice.outcome,
                amount_awarded=advice.amount,
                reserve_position=advice.reserve_position,
            )
        )
    BidDecision.objects.bulk_create(lines)


def _decimal(value: float | None, *, places: int) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(round(float(value), places)))


# --------------------------------------------------------------------------- editing


def _locked_draft(decision: Decision) -> Decision:
    locked = Decision.objects.select_for_update().select_related("call").get(pk=decision.pk)
    if locked.status != Decision.Status.DRAFT:
        raise Locked(_("Only a draft decision can be changed; this version is final."))
    return locked


def _stored_values(line: rules_of_decision.Line) -> tuple[str, int | None, int | None, str, str]:
    """What a line's row holds for ``line``: (outcome, amount awarded, reserve position,
    reason, override reason); an amount only on a funded line, reasons without surrounding
    spaces."""
    return (
        line.outcome,
        line.amount if line.outcome == BidDecision.Outcome.FUNDED else None,
        line.reserve_position,
        line.reason.strip(),
        line.override_reason.strip(),
    )


def save_decision(*, decision: Decision, changes: Mapping[int, LineInput], by: User) -> Decision:
    """Apply the administrator's choices (bid id → :class:`LineInput`) to a draft, whole or
    not at all. The saver becomes the preparer: someone else must approve.

    Every line is read as a plain row (``decision_figures``) and checked; only the lines whose
    stored values change are loaded and written (a page of 50 in a decision of 10 000). The
    draft's row is locked first, as by every writer of its lines (``_locked_draft``)."""
    with transaction.atomic():
        locked = _locked_draft(decision)
        stored = decision_figures(decision=locked)
        unknown = set(changes) - set(stored.labels)
        if unknown:
            raise ValidationError(_("The decision does not list some of these bids."))
        lines = [
            line if line.bid_id not in changes else with_change(line, changes[line.bid_id])
            for line in stored.lines
        ]
        check_lines(call=locked.call, lines=lines, labels=stored.labels)
        written = {
            new.bid_id: _stored_values(new)
            for old, new in zip(stored.lines, lines, strict=True)
            if _stored_values(new) != _stored_values(old)
        }
        rows = list(
            BidDecision.objects.select_for_update().filter(
                decision=locked, bid_id__in=list(written)
            )
        )
        for row in rows:
            (
                row.outcome,
                row.amount_awarded,
                row.reserve_position,
                row.reason,
                row.override_reason,
            ) = written[row.bid_id]
        BidDecision.objects.bulk_update(
            rows, ["outcome", "amount_awarded", "reserve_position", "reason", "override_reason"]
        )
        locked.prepared_by = by
        locked.prepared_at = timezone.now()
        locked.save(update_fields=["prepared_by", "prepared_at"])
        audit.record_decision(decision=locked, kind=AuditEvent.Kind.DECISION_SAVED, by=by)
    return locked


def promote_from_reserve(*, decision: Decision, leaving: Bid, reason: str, by: User) -> Decision:
    """A funded bid leaves the draft (it withdrew): the first reserve bid takes its place at
    its request and the reserve list moves up; the result must pass the usual checks."""
    if not reason.strip():
        raise ValidationError(_("Give the reason (for instance, the winner withdrew)."))
    with transaction.atomic():
        locked = _locked_draft(decision)
        try:
            promoted = rules_of_decision.promote_from_reserve(
                decision_figures(decision=locked).lines,
                leaving=leaving.pk,
                reason=reason.strip(),
                envelope=int(locked.call.envelope),
            )
        except ValueError as error:
            if str(error) == "empty_reserve":
                raise ValidationError(_("The reserve list is empty.")) from error
            raise ValidationError(_("Only a funded bid can leave the list of winners.")) from error
    changes = {
        line.bid_id: LineInput(
            outcome=line.outcome,
            amount=line.amount,
            reserve_position=line.reserve_position,
            reason=line.reason,
            override_reason=line.override_reason,
        )
        for line in promoted
    }
    return save_decision(decision=decision, changes=changes, by=by)


# --------------------------------------------------------------------------- approving


def approve_decision(*, decision: Decision, by: User) -> Decision:
    """Approve a draft as a second administrator; the call becomes "decided"."""
    with transaction.atomic():
        call = _lock_call(decision.call)
        locked = _locked_draft(decision)
        if locked.prepared_by_id == by.pk:
            raise PermissionDenied(
                _("You prepared this version: another administrator must approve it.")
            )
        figures = decision_figures(decision=locked)
        check_lines(call=call, lines=figures.lines, labels=figures.labels)
        Decision.objects.filter(
            call=call, status__in=transitions.sources(Decision, Decision.Status.SUPERSEDED)
        ).update(status=Decision.Status.SUPERSEDED)
        transitions.check_transition(locked, Decision.Status.APPROVED)
        locked.status = Decision.Status.APPROVED
        locked.approved_by = by
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        audit.record_decision(decision=locked, kind=AuditEvent.Kind.DECISION_APPROVED, by=by)
        if call.status == Call.Status.UNDER_REVIEW:
            transition_call(call=call, to_status=Call.Status.DECIDED, by=by)
    logger.info("Decision %s approved by user %s", locked.pk, by.pk)
    return locked


def revise_decision(*, call: Call, reason: str, by: User) -> Decision:
    """A new draft version, a copy of the approved one, for a change after approval."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for a new version of the decision."))
    with transaction.atomic():
        _lock_call(call)
        current = (
            Decision.objects.select_for_update()
            .filter(call=call, status=Decision.Status.APPROVED)
            .first()
        )
        if current is None:
            raise ValidationError(_("There is no approved decision to revise."))
        if Decision.objects.filter(call=call, status=Decision.Status.DRAFT).exists():
            raise ValidationError(_("A new version is already in preparation."))
        draft = Decision.objects.create(
            call=call,
            number=current.number + 1,
            run=current.run,
            reason=reason.strip(),
            prepared_by=by,
            prepared_at=timezone.now(),
        )
        copies = []
        for line in current.lines.all():
            line.pk = None
            line.decision = draft
            copies.append(line)
        BidDecision.objects.bulk_create(copies)
        audit.record_decision(decision=draft, kind=AuditEvent.Kind.DECISION_REVISED, by=by)
    return draft


def discard_draft(*, decision: Decision, by: User) -> None:
    with transaction.atomic():
        locked = _locked_draft(decision)
        transitions.check_transition(locked, Decision.Status.DISCARDED)
        locked.status = Decision.Status.DISCARDED
        locked.save(update_fields=["status"])
        audit.record_decision(decision=locked, kind=AuditEvent.Kind.DECISION_DISCARDED, by=by)
    logger.info("Draft decision %s discarded by user %s", decision.pk, by.pk)


def withdraw_decision(*, decision: Decision, reason: str, by: User) -> Decision:
    """Withdraw the approved decision of an unpublished call: the evaluation reopens."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for withdrawing the decision."))
    with transaction.atomic():
        call = _lock_call(decision.call)
        locked = Decision.objects.select_for_update().get(pk=decision.pk)
        transitions.check_transition(
            locked,
            Decision.Status.WITHDRAWN,
            refused=_("Only the approved decision can be withdrawn."),
        )
        if call.status != Call.Status.DECIDED:
            raise ValidationError(_("A published decision cannot be withdrawn."))
        Decision.objects.filter(
            call=call, status__in=transitions.sources(Decision, Decision.Status.DISCARDED)
        ).update(status=Decision.Status.DISCARDED)
        locked.status = Decision.Status.WITHDRAWN
        locked.withdrawn_by = by
        locked.withdrawn_at = timezone.now()
        locked.withdrawal_reason = reason.strip()
        locked.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdrawal_reason"])
        audit.record_decision(decision=locked, kind=AuditEvent.Kind.DECISION_WITHDRAWN, by=by)
        transition_call(call=call, to_status=Call.Status.UNDER_REVIEW, by=by)
    logger.info("Decision %s withdrawn by user %s", locked.pk, by.pk)
    return locked


# --------------------------------------------------------------------------- call status


def call_has_approved_decision(call: Call) -> bool:
    return Decision.objects.filter(call=call, status=Decision.Status.APPROVED).exists()


def _decided_needs_approval(call: Call) -> str | None:
    if call_has_approved_decision(call):
        return None
    return _(
        "A call is decided by approving its funding decision (prepared from a ranking run, "
        "approved by a second administrator)."
    )


def _reopening_needs_withdrawal(call: Call) -> str | None:
    withdrawn = Decision.objects.filter(call=call, status=Decision.Status.WITHDRAWN).exists()
    if withdrawn and not call_has_approved_decision(call):
        return None
    return _("To reopen the evaluation, withdraw the decision (with a reason) first.")


def register_call_guards() -> None:
    """The call's status follows the decision (see ``applications.services.calls``)."""
    S = Call.Status
    register_transition_guard(
        from_status=S.UNDER_REVIEW, to_status=S.DECIDED, guard=_decided_needs_approval
    )
    register_transition_guard(
        from_status=S.DECIDED, to_status=S.PUBLISHED, guard=_decided_needs_approval
    )
    register_transition_guard(
        from_status=S.DECIDED, to_status=S.UNDER_REVIEW, guard=_reopening_needs_withdrawal
    )
