"""Appending to the tamper-evident record of decision-relevant events (``AuditEvent``).

Each event is appended by the service that makes it happen, in that service's transaction
(so an event is recorded if and only if what it records is committed), through one line
calling a ``record_*`` function below. They all go through :func:`record_event`, the only
writer of ``AuditEvent``: it locks the chain's head row (serialising appends on PostgreSQL
and SQLite alike), links the new entry to the head's hash and moves the head. The hash
itself is computed by the pure module ``review.audit_chain``.

Payloads hold what proves the event (scores, reasons, the run's input and result hashes, a
decision's lines) as plain JSON: ids, codes, decimal strings, never floats; long texts
(comments, summaries) by their SHA-256.

Hooks for the parts that live elsewhere: the publication service calls
:func:`record_publication` in the transaction that moves a call to "published" (``applications``
cannot import ``review``: its caller in ``review`` does), the letters service calls
:func:`record_letter_sent` for each letter sent, and the partnerships service calls
:func:`record_consortium_change` through the hook registered by
:func:`register_consortium_audit`.
"""

import json
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from applications.models import Bid, Call
from applications.services.partnerships import register_consortium_hook
from review import audit_chain
from review.models import (
    AuditChainHead,
    AuditEvent,
    Conflict,
    ConsensusReport,
    ConsensusScore,
    CriterionScore,
    Decision,
    PanelAdjustment,
    RankingRun,
    Review,
    ReviewReopening,
)

HEAD_PK = 1


def _locked_head() -> AuditChainHead:
    """The head row, locked until the end of the caller's transaction.

    A no-op UPDATE comes first: it locks the row on PostgreSQL and takes SQLite's write lock
    at once (a SELECT would take a read lock that SQLite refuses to upgrade while another
    writer waits). The row is created on the first append.
    """
    if not AuditChainHead.objects.filter(pk=HEAD_PK).update(sequence=F("sequence")):
        AuditChainHead.objects.get_or_create(pk=HEAD_PK)
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)


def record_event(
    *,
    kind: str,
    call: Call | None = None,
    bid: Bid | None = None,
    actor: User | None = None,
    payload: dict[str, Any],
) -> AuditEvent:
    """Append one entry to the chain (the call is the bid's when only the bid is given).

    Runs inside the caller's transaction: rolled back with it. Raises ``TypeError`` for a
    payload that is not plain JSON (a float, a Decimal): a programming error, not the user's.
    """
    call_id = call.pk if call is not None else (bid.call_id if bid is not None else None)
    payload = json.loads(audit_chain.canonical(payload))
    with transaction.atomic():
        head = _locked_head()
        created_at = timezone.now()
        entry = audit_chain.Entry(
            sequence=head.sequence + 1,
            kind=str(kind),
            call_id=call_id,
            bid_id=bid.pk if bid is not None else None,
            actor_id=actor.pk if actor is not None else None,
            created_at=audit_chain.timestamp(created_at),
            payload=payload,
            prev_hash=head.hash,
        )
        digest = audit_chain.entry_hash(entry)
        event = AuditEvent.objects.create(
            sequence=entry.sequence,
            kind=entry.kind,
            call_id=entry.call_id,
            bid_id=entry.bid_id,
            actor_id=entry.actor_id,
            created_at=created_at,
            payload=payload,
            prev_hash=entry.prev_hash,
            hash=digest,
        )
        AuditChainHead.objects.filter(pk=HEAD_PK).update(sequence=entry.sequence, hash=digest)
    return event


# --------------------------------------------------------------------------- payloads


def _number(value: Decimal | int | None) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def _digest(text: str) -> str:
    return audit_chain.sha256_text(text or "")


def _scores(rows: Any) -> dict[str, str | None]:
    """{criterion code: "3.5"} of score rows (``CriterionScore`` or ``ConsensusScore``)."""
    return {code: _number(value) for code, value in rows.values_list("criterion__code", "value")}


def _comments(rows: Any) -> str:
    """The SHA-256 of the comments by criterion code (the texts stay in their rows)."""
    comments = dict(rows.values_list("criterion__code", "comment"))
    return _digest(audit_chain.canonical(comments))


# --------------------------------------------------------------------------- reviews


def record_review_submitted(*, review: Review, by: User) -> AuditEvent:
    """Precondition: the review and its scores are saved in the caller's transaction."""
    rows = CriterionScore.objects.filter(review=review)
    assignment = review.assignment
    return record_event(
        kind=AuditEvent.Kind.REVIEW_SUBMITTED,
        bid=assignment.bid,
        actor=by,
        payload={
            "review": review.pk,
            "juror": assignment.juror_id,
            "bid_version": review.bid_version.number if review.bid_version else None,
            "confidence": review.confidence,
            "scores": _scores(rows),
            "comments_sha256": _comments(rows),
        },
    )


def record_review_reopened(*, reopening: ReviewReopening, by: User) -> AuditEvent:
    review = reopening.review
    return record_event(
        kind=AuditEvent.Kind.REVIEW_REOPENED,
        bid=review.assignment.bid,
        actor=by,
        payload={
            "review": review.pk,
            "juror": review.assignment.juror_id,
            "reason": reopening.reason,
            "scores": reopening.submitted_scores,
        },
    )


# --------------------------------------------------------------------------- consensus


def record_consensus_approved(*, report: ConsensusReport, by: User) -> AuditEvent:
    rows = ConsensusScore.objects.filter(report=report)
    return record_event(
        kind=AuditEvent.Kind.CONSENSUS_APPROVED,
        bid=report.bid,
        actor=by,
        payload={
            "report": report.pk,
            "version": report.version,
            "scores": _scores(rows),
            "comments_sha256": _comments(rows),
            "summary_sha256": _digest(report.summary),
        },
    )


def record_consensus_adjusted(*, adjustment: PanelAdjustment, by: User) -> AuditEvent:
    return record_event(
        kind=AuditEvent.Kind.CONSENSUS_ADJUSTED,
        bid=adjustment.report.bid,
        actor=by,
        payload={
            "report": adjustment.report_id,
            "criterion": adjustment.criterion.code,
            "from": _number(adjustment.original_value),
            "to": _number(adjustment.value),
            "reason": adjustment.reason,
        },
    )


# --------------------------------------------------------------------------- conflicts

_CONFLICT_KINDS: dict[str, str] = {
    Conflict.Status.CONFIRMED: AuditEvent.Kind.CONFLICT_CONFIRMED,
    Conflict.Status.DISMISSED: AuditEvent.Kind.CONFLICT_DISMISSED,
}


def record_conflict_decided(*, conflict: Conflict, by: User, pinning: bool = False) -> AuditEvent:
    """A conflict confirmed or dismissed (its status), or, with ``pinning``, pinned/unpinned."""
    kind = AuditEvent.Kind.CONFLICT_PINNED if pinning else _CONFLICT_KINDS[conflict.status]
    return record_event(
        kind=kind,
        bid=conflict.bid,
        actor=by,
        payload={
            "conflict": conflict.pk,
            "juror": conflict.juror_id,
            "status": conflict.status,
            "reason": conflict.decision_reason,
            "pinned": conflict.pinned,
            "pin_reason": conflict.pin_reason,
        },
    )


# --------------------------------------------------------------------------- ranking runs


def record_run_created(*, run: RankingRun, by: User) -> AuditEvent:
    return record_event(
        kind=AuditEvent.Kind.RUN_CREATED,
        call=run.call,
        actor=by,
        payload={
            "run": run.pk,
            "input_sha256": run.input_hash,
            "engine_version": run.engine_version,
            "basis": run.parameters.get("basis"),
        },
    )


def record_run_completed(*, run_id: int) -> AuditEvent:
    """Precondition: the run row is locked and its result stored by this transaction (a
    worker: no actor)."""
    # Not the input nor the decoded result: megabytes at 10,000 bids, and only the text's
    # digest is recorded.
    run = RankingRun.objects.select_related("call").defer("engine_input", "result").get(pk=run_id)
    return record_event(
        kind=AuditEvent.Kind.RUN_COMPLETED,
        call=run.call,
        payload={"run": run.pk, "result_sha256": _digest(run.result_json)},
    )


# --------------------------------------------------------------------------- decisions


def _decision_lines(decision: Decision) -> dict[str, dict[str, Any]]:
    """What the decision decides, by bid acronym: outcome, amount awarded, reserve place."""
    return {
        acronym: {"outcome": outcome, "amount": amount, "reserve": reserve}
        for acronym, outcome, amount, reserve in decision.lines.values_list(
            "bid__acronym", "outcome", "amount_awarded", "reserve_position"
        )
    }


def record_decision(*, decision: Decision, kind: str, by: User) -> AuditEvent:
    """A decision prepared, saved, approved, discarded, withdrawn or revised (``kind``), with
    its lines and reasons as they stand after the change."""
    payload: dict[str, Any] = {
        "decision": decision.pk,
        "version": decision.number,
        "run": decision.run_id,
        "status": decision.status,
        "reason": decision.reason,
        "withdrawal_reason": decision.withdrawal_reason,
        "lines": _decision_lines(decision),
    }
    return record_event(kind=kind, call=decision.call, actor=by, payload=payload)


# --------------------------------------------------------------------------- publication


def record_publication(*, call: Call, by: User | None) -> AuditEvent:
    """Hook: call in the transaction that moves ``call`` to "published" (after the change).

    The approved decision's version is recorded with it: what was published.
    """
    approved = Decision.objects.filter(call=call, status=Decision.Status.APPROVED).first()
    return record_event(
        kind=AuditEvent.Kind.CALL_PUBLISHED,
        call=call,
        actor=by,
        payload={
            "decision": approved.pk if approved else None,
            "version": approved.number if approved else None,
        },
    )


def record_letter_sent(
    *, bid: Bid, to: str, language: str, by: User | None = None, sha256: str = ""
) -> AuditEvent:
    """Hook: call when a letter to ``bid``'s institution is sent (``sha256``: its PDF)."""
    return record_event(
        kind=AuditEvent.Kind.LETTER_SENT,
        bid=bid,
        actor=by,
        payload={"recipient": to, "language": language, "sha256": sha256},
    )


# --------------------------------------------------------------------------- consortium


def record_consortium_change(*, bid: Bid, by: User, payload: dict[str, Any]) -> AuditEvent:
    """Hook (``applications.services.partnerships``): a partnership requested, answered,
    left or withdrawn, or a partner not on the portal added or removed. Partners decide the
    jury's conflicts of interest and who reads the bid."""
    return record_event(kind=AuditEvent.Kind.CONSORTIUM_CHANGED, bid=bid, actor=by, payload=payload)


def register_consortium_audit() -> None:
    register_consortium_hook(record_consortium_change)
