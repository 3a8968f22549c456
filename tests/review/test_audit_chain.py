"""The audit chain's arithmetic (pure, no database): hashing, and the verifier finding the
first entry that was edited, deleted or unlinked."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review import audit_chain
from review.audit_chain import Break, Entry


def _chain(count: int) -> list[Entry]:
    entries, previous = [], audit_chain.GENESIS
    for sequence in range(1, count + 1):
        entry = Entry(
            sequence=sequence,
            kind="review_submitted",
            call_id=1,
            bid_id=sequence,
            actor_id=7,
            created_at=f"2027-03-12T10:00:{sequence:02d}.000000+00:00",
            payload={"scores": {"EXC": "4.5", "IMP": "3"}, "review": sequence},
            prev_hash=previous,
        )
        entry = dataclasses.replace(entry, hash=audit_chain.entry_hash(entry))
        entries.append(entry)
        previous = entry.hash
    return entries


def _head(entries: list[Entry]) -> tuple[int, str]:
    return entries[-1].sequence, entries[-1].hash


def test_canonical_json_sorts_keys_and_has_no_spaces():
    assert audit_chain.canonical({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'


@pytest.mark.parametrize("value", [1.5, {"x": 0.1}, [object()]])
def test_canonical_json_refuses_floats_and_objects(value):
    with pytest.raises(TypeError):
        audit_chain.canonical(value)


def test_an_intact_chain_verifies_with_its_head():
    entries = _chain(5)

    verdict = audit_chain.verify(entries, expected_head=_head(entries))

    assert (verdict.intact, verdict.count, verdict.head) == (True, 5, entries[-1].hash)


def test_an_empty_chain_is_intact_at_genesis():
    verdict = audit_chain.verify([], expected_head=None)

    assert (verdict.intact, verdict.count, verdict.head) == (True, 0, audit_chain.GENESIS)


def test_an_edited_payload_is_named():
    entries = _chain(5)
    entries[2] = dataclasses.replace(entries[2], payload={"scores": {"EXC": "5"}, "review": 3})

    verdict = audit_chain.verify(entries, expected_head=_head(entries))

    assert verdict.broken == Break(3, audit_chain.EDITED)


def test_an_entry_rehashed_after_editing_breaks_the_next_link():
    entries = _chain(5)
    edited = dataclasses.replace(entries[1], actor_id=8)
    entries[1] = dataclasses.replace(edited, hash=audit_chain.entry_hash(edited))

    verdict = audit_chain.verify(entries, expected_head=_head(entries))

    assert verdict.broken == Break(3, audit_chain.UNLINKED)


def test_a_deleted_entry_is_named_by_the_gap():
    entries = _chain(5)
    del entries[3]

    verdict = audit_chain.verify(entries, expected_head=_head(entries))

    assert verdict.broken == Break(4, audit_chain.MISSING)


def test_deleted_last_entries_show_against_the_recorded_head():
    entries = _chain(5)
    head = _head(entries)

    verdict = audit_chain.verify(entries[:3], expected_head=head)

    assert verdict.broken == Break(4, audit_chain.TRUNCATED)


def test_an_entry_appended_behind_the_heads_back_is_named():
    entries = _chain(5)

    verdict = audit_chain.verify(entries, expected_head=_head(entries[:4]))

    assert verdict.broken == Break(5, audit_chain.ADDED)


@given(
    index=st.integers(min_value=0, max_value=5),
    field=st.sampled_from(["kind", "call_id", "bid_id", "actor_id", "created_at", "payload"]),
)
def test_changing_any_field_of_any_entry_is_found_at_that_entry(index, field):
    entries = _chain(6)
    changed = {
        "kind": "decision_approved",
        "call_id": 2,
        "bid_id": None,
        "actor_id": None,
        "created_at": "2027-03-12T11:00:00.000000+00:00",
        "payload": {},
    }[field]
    entries[index] = dataclasses.replace(entries[index], **{field: changed})

    verdict = audit_chain.verify(entries, expected_head=_head(entries))

    assert verdict.broken == Break(index + 1, audit_chain.EDITED)
