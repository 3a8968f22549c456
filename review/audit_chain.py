"""The audit chain's arithmetic, pure Python (no Django: an import-linter contract keeps it so).

Every decision-relevant event is one entry of a single, portal-wide chain. An entry's hash
is the SHA-256 of the previous entry's hash followed by the canonical JSON of what it
records (sequence, kind, call id, bid id, actor id, time in UTC ISO 8601, payload)::

    hash = sha256(prev_hash + canonical([sequence, kind, call_id, bid_id, actor_id,
                                         created_at, payload]))

The first entry's ``prev_hash`` is :data:`GENESIS`. Sequence numbers start at 1 and have no
gap. So editing an entry changes its hash (it no longer matches what is stored), deleting
one leaves a gap (and the next entry's ``prev_hash`` no longer links), and deleting the
last ones leaves the chain shorter than its head (``expected_head``) says.

Canonical JSON: keys sorted, no spaces, UTF-8 kept as is; payloads hold strings, integers,
booleans, ``None``, lists and objects only (scores and amounts as decimal strings), never
floats, whose text form a database may change.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

# Why an entry does not match (first_break's ``reason``).
EDITED = "edited"  # its stored hash is not the hash of its content
MISSING = "missing"  # the sequence jumps: entries before it were deleted
UNLINKED = "unlinked"  # its prev_hash is not the previous entry's hash
TRUNCATED = "truncated"  # the chain ends before the head it recorded
ADDED = "added"  # entries follow the head the chain recorded: written by hand


def _check_plain(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("audit payloads hold no floats: write numbers as decimal strings")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("audit payload keys are strings")
            _check_plain(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_plain(item)
    elif value is not None and not isinstance(value, str | int | bool):
        raise TypeError(f"audit payloads hold plain JSON values, not {type(value).__name__}")


def canonical(value: Any) -> str:
    """The one JSON text of ``value``: sorted keys, no spaces, no floats."""
    _check_plain(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Entry:
    sequence: int
    kind: str
    call_id: int | None
    bid_id: int | None
    actor_id: int | None
    created_at: str  # UTC, ISO 8601 with microseconds
    payload: Any
    prev_hash: str
    hash: str = ""


def entry_hash(entry: Entry) -> str:
    """The hash ``entry`` must carry (its own ``hash`` field is ignored)."""
    content = canonical(
        [
            entry.sequence,
            entry.kind,
            entry.call_id,
            entry.bid_id,
            entry.actor_id,
            entry.created_at,
            entry.payload,
        ]
    )
    return hashlib.sha256((entry.prev_hash + content).encode()).hexdigest()


def timestamp(moment: datetime) -> str:
    """An entry's time as hashed: UTC, ISO 8601, to the microsecond (``moment`` is aware)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def sha256_text(text: str) -> str:
    """The SHA-256 of a text (e.g. a run's ``result_json``), as recorded in payloads."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    sequence: int  # the first entry that does not match (or the first one missing)
    reason: str  # EDITED, MISSING, UNLINKED or TRUNCATED


@dataclass(frozen=True)
class Verdict:
    count: int  # entries read
    head: str  # hash of the last entry read (GENESIS for an empty chain)
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(entries: Iterable[Entry], *, expected_head: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain from its first entry (``entries`` in sequence order) and stop at the
    first entry that does not match. ``expected_head`` is the (sequence, hash) recorded as
    the chain's head when the last entry was appended: entries deleted at the end show
    against it."""
    previous_hash, previous_sequence, count = GENESIS, 0, 0
    for entry in entries:
        count += 1
        if entry.sequence != previous_sequence + 1:
            return Verdict(count, previous_hash, Break(previous_sequence + 1, MISSING))
        if entry.prev_hash != previous_hash:
            return Verdict(count, previous_hash, Break(entry.sequence, UNLINKED))
        if entry_hash(entry) != entry.hash:
            return Verdict(count, previous_hash, Break(entry.sequence, EDITED))
        previous_hash, previous_sequence = entry.hash, entry.sequence
    if expected_head is not None:
        head_sequence, head_hash = expected_head
        if head_sequence > previous_sequence:
            return Verdict(count, previous_hash, Break(previous_sequence + 1, TRUNCATED))
        if head_sequence < previous_sequence:
            return Verdict(count, previous_hash, Break(head_sequence + 1, ADDED))
        if head_hash != previous_hash:
            return Verdict(count, previous_hash, Break(previous_sequence, EDITED))
    return Verdict(count, previous_hash, None)
