"""Reads of the tamper-evident record (``AuditEvent``): the chain verified, a call's entries.

The verifier is one: :func:`chain_verdict` walks the whole chain (one portal-wide chain, so
a call's entries are proven by every entry before them) with ``review.audit_chain.verify``
and the head row; ``python manage.py verify_audit`` and the administrators' page both show
its verdict. Each read is a fixed number of queries whatever the chain's length.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Bid, Call
from portal.formats import format_euros
from review import audit_chain
from review.models import AuditChainHead, AuditEvent, BidDecision

_FIELDS = (
    "sequence",
    "kind",
    "call_id",
    "bid_id",
    "actor_id",
    "created_at",
    "payload",
    "prev_hash",
    "hash",
)


def _entries(queryset: QuerySet[AuditEvent]) -> Iterator[audit_chain.Entry]:
    for sequence, kind, call_id, bid_id, actor_id, created_at, payload, prev, digest in (
        queryset.order_by("sequence").values_list(*_FIELDS).iterator(chunk_size=2000)
    ):
        yield audit_chain.Entry(
            sequence=sequence,
            kind=kind,
            call_id=call_id,
            bid_id=bid_id,
            actor_id=actor_id,
            created_at=audit_chain.timestamp(created_at),
            payload=payload,
            prev_hash=prev,
            hash=digest,
        )


def chain_verdict() -> audit_chain.Verdict:
    """The whole chain checked from its first entry against the recorded head (2 queries)."""
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", "hash").first()
    return audit_chain.verify(_entries(AuditEvent.objects.all()), expected_head=head)


def break_message(broken: audit_chain.Break) -> str:
    """What an administrator reads when the chain does not verify."""
    reasons = {
        audit_chain.EDITED: _("its content does not match its hash (edited)"),
        audit_chain.MISSING: _("it is missing (deleted)"),
        audit_chain.UNLINKED: _("it does not link to the entry before it"),
        audit_chain.TRUNCATED: _("it is missing: the chain ends before its recorded head"),
        audit_chain.ADDED: _("it follows the recorded head (written outside the portal)"),
    }
    return _("entry #%(sequence)s does not match: %(reason)s") % {
        "sequence": broken.sequence,
        "reason": reasons[broken.reason],
    }


def call_head_hash(call: Call) -> str | None:
    """The hash of the call's latest entry (which proves every entry before it), if any."""
    return (
        AuditEvent.objects.filter(call=call)
        .order_by("-sequence")
        .values_list("hash", flat=True)
        .first()
    )


# --------------------------------------------------------------------------- the page

_LABELS = {
    "review": gettext_lazy("review"),
    "juror": gettext_lazy("juror"),
    "bid_version": gettext_lazy("bid version"),
    "confidence": gettext_lazy("confidence"),
    "scores": gettext_lazy("scores"),
    "comments_sha256": gettext_lazy("comments SHA-256"),
    "summary_sha256": gettext_lazy("summary SHA-256"),
    "reason": gettext_lazy("reason"),
    "report": gettext_lazy("consensus report"),
    "version": gettext_lazy("version"),
    "criterion": gettext_lazy("criterion"),
    "from": gettext_lazy("from"),
    "to": gettext_lazy("to"),
    "conflict": gettext_lazy("conflict"),
    "status": gettext_lazy("status"),
    "pinned": gettext_lazy("pinned"),
    "pin_reason": gettext_lazy("reason for pinning"),
    "run": gettext_lazy("run"),
    "input_sha256": gettext_lazy("input SHA-256"),
    "result_sha256": gettext_lazy("result SHA-256"),
    "engine_version": gettext_lazy("engine version"),
    "basis": gettext_lazy("basis"),
    "decision": gettext_lazy("decision"),
    "withdrawal_reason": gettext_lazy("reason for withdrawal"),
    "lines": gettext_lazy("lines"),
    "recipient": gettext_lazy("recipient"),
    "language": gettext_lazy("language"),
    "sha256": gettext_lazy("SHA-256"),
}


def _value(key: str, value: Any) -> str:
    if key == "lines" and isinstance(value, dict):
        outcomes = dict(BidDecision.Outcome.choices)
        parts = []
        for acronym, line in sorted(value.items()):
            text = f"{acronym} {outcomes.get(line.get('outcome'), line.get('outcome'))}"
            if line.get("amount") is not None:
                text += f" {format_euros(int(line['amount']))}"
            if line.get("reserve") is not None:
                text += f" #{line['reserve']}"
            parts.append(text)
        return "; ".join(parts)
    if isinstance(value, dict):
        return ", ".join(f"{k} {'—' if v is None else v}" for k, v in sorted(value.items()))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key.endswith("sha256") and isinstance(value, str):
        return value[:12]
    return str(value)


def payload_summary(payload: dict[str, Any]) -> str:
    """The payload in a line: "label: value · …", empty values left out."""
    return " · ".join(
        f"{_LABELS.get(key, key)}: {_value(key, value)}"
        for key, value in sorted(payload.items())
        if value not in (None, "", {}, [])
    )


@dataclass(frozen=True)
class AuditRow:
    sequence: int
    created_at: datetime
    actor: str
    kind: str
    bid: str
    summary: str
    hash: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    verdict: audit_chain.Verdict
    broken: str  # the verifier's message, "" when intact
    call_head: str | None  # the call's (or the bid's) latest entry hash
    bid: Bid | None


def audit_bid(*, call: Call, acronym: str) -> Bid | None:
    """The call's bid with this acronym that has entries (acronyms are unique only among
    the bids the jury assesses; a draft may share one)."""
    return (
        Bid.objects.filter(call=call, acronym=acronym)
        .filter(pk__in=AuditEvent.objects.filter(call=call).values("bid_id"))
        .first()
    )


def audit_page(*, call: Call, bid: Bid | None = None) -> AuditPage:
    """The call's entries (or the bid's), the chain's verdict and the call's head (4 queries)."""
    events = AuditEvent.objects.filter(call=call)
    if bid is not None:
        events = events.filter(bid=bid)
    rows = [
        AuditRow(
            sequence=sequence,
            created_at=created_at,
            actor=(" ".join(part for part in (first, last) if part) or email or "—")
            if actor_id
            else _("the portal"),
            kind=str(AuditEvent.Kind(kind).label),
            bid=acronym or "",
            summary=payload_summary(payload),
            hash=digest,
        )
        for sequence, created_at, actor_id, first, last, email, kind, acronym, payload, digest in (
            events.order_by("sequence").values_list(
                "sequence",
                "created_at",
                "actor_id",
                "actor__first_name",
                "actor__last_name",
                "actor__email",
                "kind",
                "bid__acronym",
                "payload",
                "hash",
            )
        )
    ]
    verdict = chain_verdict()
    return AuditPage(
        rows=rows,
        verdict=verdict,
        broken=break_message(verdict.broken) if verdict.broken else "",
        call_head=rows[-1].hash if rows else None,
        bid=bid,
    )
