"""The tamper-evident record: each wired event appends one entry with its payload; the
chain links and verifies; ``verify_audit`` names an entry edited or deleted in the database;
the administrators' page (permissions, per bid, query count); appends roll back with the
caller's transaction."""

import hashlib
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from applications.models import Call
from applications.services.calls import transition_call
from review import audit_chain
from review.models import (
    AuditChainHead,
    AuditEvent,
    Conflict,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    Review,
)
from review.queries.audit import audit_page, chain_verdict
from review.services import audit
from review.services import decisions as decision_service
from review.services.conflicts import confirm_conflict, dismiss_conflict, set_conflict_pinned
from review.services.consensus import approve_consensus
from review.services.panel import adjust_consensus_score
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from review.services.reviews import ScoreInput, reopen_review, save_review_draft, submit_review
from tests.factories import AdministratorFactory, ConflictFactory
from tests.review.jury_setup import administrator_with_totp, institution_member
from tests.review.ranking_run_setup import scored_call
from tests.review.review_setup import call_with_grid, panel

pytestmark = pytest.mark.django_db

K = AuditEvent.Kind


def _kinds(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).values_list("kind", flat=True))


def _last() -> AuditEvent:
    return AuditEvent.objects.order_by("-sequence").first()


def _append(count: int, *, call: Call | None = None) -> list[AuditEvent]:
    return [
        audit.record_event(kind=K.CALL_PUBLISHED, call=call, payload={"n": n}) for n in range(count)
    ]


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


# --------------------------------------------------------------------------- appending


def test_two_appends_link_and_move_the_head():
    first, second = _append(2)

    head = AuditChainHead.objects.get()
    assert (first.sequence, first.prev_hash) == (1, audit_chain.GENESIS)
    assert (second.sequence, second.prev_hash) == (2, first.hash)
    assert (head.sequence, head.hash) == (2, second.hash)


def test_an_append_rolls_back_with_the_callers_transaction():
    (kept,) = _append(1)

    def append_then_fail() -> None:
        with transaction.atomic():
            _append(1)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        append_then_fail()

    assert (AuditEvent.objects.count(), AuditChainHead.objects.get().hash) == (1, kept.hash)
    assert _append(1)[0].prev_hash == kept.hash


def test_a_float_in_a_payload_is_refused():
    with pytest.raises(TypeError):
        audit.record_event(kind=K.CALL_PUBLISHED, payload={"score": 3.5})
    assert AuditEvent.objects.count() == 0


# --------------------------------------------------------------------------- wired events


def test_submitting_and_reopening_a_review_record_its_scores_and_reason():
    p = panel(jurors=1, criteria=2)
    criteria = list(Criterion.objects.filter(call=p.call).order_by("order"))
    juror = p.jurors[0].user
    scores = {
        criteria[0].pk: ScoreInput(Decimal("3.50"), "Good."),
        criteria[1].pk: ScoreInput(Decimal(4), "Very good."),
    }
    review = submit_review(
        assignment=p.assignments[0],
        by=juror,
        scores=scores,
        confidence=Review.Confidence.HIGH,
        expected_version=0,
    )
    admin = administrator_with_totp()

    reopen_review(review=review, by=admin, reason="Scores swapped by mistake.")

    submitted, reopened = AuditEvent.objects.order_by("sequence")
    assert (submitted.kind, submitted.bid_id, submitted.call_id, submitted.actor_id) == (
        K.REVIEW_SUBMITTED,
        p.bid.pk,
        p.call.pk,
        juror.pk,
    )
    assert submitted.payload["scores"] == {"crit0": "3.5", "crit1": "4"}
    assert submitted.payload["confidence"] == Review.Confidence.HIGH
    assert (reopened.kind, reopened.actor_id, reopened.payload["reason"]) == (
        K.REVIEW_REOPENED,
        admin.pk,
        "Scores swapped by mistake.",
    )
    assert chain_verdict().intact


def test_a_draft_save_records_nothing():
    p = panel(jurors=1, criteria=1)

    save_review_draft(
        assignment=p.assignments[0], by=p.jurors[0].user, scores={}, expected_version=0
    )

    assert AuditEvent.objects.count() == 0


def _approved_report(p) -> ConsensusReport:
    report = ConsensusReport.objects.create(
        bid=p.bid, rapporteur=p.jurors[0], status=ConsensusReport.Status.SUBMITTED, summary="OK."
    )
    ConsensusScore.objects.bulk_create(
        ConsensusScore(report=report, criterion=c, value=Decimal(3), comment="ok")
        for c in Criterion.objects.filter(call=p.call)
    )
    return approve_consensus(report=report, by=administrator_with_totp())


def test_approving_and_adjusting_a_consensus_record_the_scores():
    p = panel(jurors=1, criteria=2)
    report = _approved_report(p)
    criterion = Criterion.objects.get(call=p.call, code="crit1")

    adjust_consensus_score(
        report=report,
        criterion=criterion,
        value=Decimal("4.5"),
        reason="Impact underrated.",
        by=administrator_with_totp(),
    )

    approved, adjusted = AuditEvent.objects.order_by("sequence")
    assert (approved.kind, approved.payload["scores"]) == (
        K.CONSENSUS_APPROVED,
        {"crit0": "3", "crit1": "3"},
    )
    assert (adjusted.kind, adjusted.bid_id) == (K.CONSENSUS_ADJUSTED, p.bid.pk)
    assert {k: adjusted.payload[k] for k in ("criterion", "from", "to", "reason")} == {
        "criterion": "crit1",
        "from": "3",
        "to": "4.5",
        "reason": "Impact underrated.",
    }


def test_conflict_decisions_are_recorded_with_their_reasons():
    p = panel(jurors=2)
    admin = administrator_with_totp()
    confirmed = ConflictFactory(bid=p.bid, juror=p.jurors[0])
    dismissed = ConflictFactory(bid=p.bid, juror=p.jurors[1])

    confirm_conflict(conflict=confirmed, by=admin)
    dismiss_conflict(conflict=dismissed, by=admin, reason="Left the lab in 2015.")
    set_conflict_pinned(conflict=dismissed, pinned=True, by=admin, reason="Checked by phone.")

    assert _kinds() == [K.CONFLICT_CONFIRMED, K.CONFLICT_DISMISSED, K.CONFLICT_PINNED]
    assert [
        (e.payload["conflict"], e.payload["status"], e.payload["reason"], e.payload["pinned"])
        for e in AuditEvent.objects.order_by("sequence")
    ] == [
        (confirmed.pk, Conflict.Status.CONFIRMED, "", False),
        (dismissed.pk, Conflict.Status.DISMISSED, "Left the lab in 2015.", False),
        (dismissed.pk, Conflict.Status.DISMISSED, "Left the lab in 2015.", True),
    ]


def test_a_run_records_its_input_hash_then_its_result_hash():
    setup = scored_call(bids=3)

    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory())

    created, completed = AuditEvent.objects.order_by("sequence")
    assert (created.kind, created.payload["run"], created.payload["input_sha256"]) == (
        K.RUN_CREATED,
        run.pk,
        run.input_hash,
    )
    assert (completed.kind, completed.actor_id, completed.payload["result_sha256"]) == (
        K.RUN_COMPLETED,
        None,
        hashlib.sha256(run.result_json.encode()).hexdigest(),
    )


def test_a_run_with_a_bootstrap_records_its_completion_once():
    setup = scored_call(bids=3)

    create_and_run_ranking(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(bootstrap_samples=250, bootstrap_seed=1),
    )

    assert _kinds() == [K.RUN_CREATED, K.RUN_COMPLETED]


def test_the_decisions_life_is_recorded_with_its_lines_and_publication():
    setup = scored_call(bids=4, envelope=130_000_000, min_winners=1, max_winners=3)
    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory())
    preparer, approver = administrator_with_totp(), administrator_with_totp()
    first = decision_service.prepare_decision(call=setup.call, run=run, by=preparer)
    decision_service.approve_decision(decision=first, by=approver)
    decision_service.withdraw_decision(decision=first, reason="Budget cut.", by=approver)
    second = decision_service.prepare_decision(call=setup.call, run=run, by=preparer)
    decision_service.save_decision(decision=second, changes={}, by=preparer)
    decision_service.approve_decision(decision=second, by=approver)
    draft = decision_service.revise_decision(call=setup.call, reason="A winner left.", by=preparer)
    decision_service.discard_draft(decision=draft, by=preparer)
    # Publishing records itself (the publication hook of review.services.publication).
    transition_call(call=setup.call, to_status=Call.Status.PUBLISHED, by=approver)

    assert _kinds(call=setup.call)[2:] == [  # after the run's two entries
        K.DECISION_PREPARED,
        K.DECISION_APPROVED,
        K.DECISION_WITHDRAWN,
        K.DECISION_PREPARED,
        K.DECISION_SAVED,
        K.DECISION_APPROVED,
        K.DECISION_REVISED,
        K.DECISION_DISCARDED,
        K.CALL_PUBLISHED,
    ]
    approved = AuditEvent.objects.filter(kind=K.DECISION_APPROVED).last()
    lines = {line.bid.acronym: line for line in second.lines.select_related("bid")}
    assert approved.payload["lines"] == {
        acronym: {
            "outcome": line.outcome,
            "amount": line.amount_awarded,
            "reserve": line.reserve_position,
        }
        for acronym, line in lines.items()
    }
    withdrawn = AuditEvent.objects.get(kind=K.DECISION_WITHDRAWN)
    assert withdrawn.payload["withdrawal_reason"] == "Budget cut."
    assert _last().payload == {"decision": second.pk, "version": second.number}
    assert chain_verdict().intact


def test_a_letter_sent_is_recorded_on_its_bid():
    p = panel(jurors=1)

    audit.record_letter_sent(bid=p.bid, to="lead@example.org", language="fr", sha256="ab" * 32)

    assert (_last().kind, _last().bid_id, _last().call_id, _last().payload["recipient"]) == (
        K.LETTER_SENT,
        p.bid.pk,
        p.call.pk,
        "lead@example.org",
    )


# --------------------------------------------------------------------------- verify_audit


def test_verify_audit_on_an_intact_chain_prints_count_and_head():
    events = _append(3)

    assert _verify() == f"intact, 3 entries, head {events[-1].hash}"


def test_verify_audit_on_an_empty_chain_is_intact():
    assert _verify() == f"intact, 0 entries, head {audit_chain.GENESIS}"


def test_verify_audit_names_an_entry_whose_payload_was_edited():
    _append(4)
    AuditEvent.objects.filter(sequence=2).update(payload={"n": 99})

    with pytest.raises(CommandError) as raised:
        _verify()

    assert raised.value.returncode == 1
    assert (
        str(raised.value) == "entry #2 does not match: its content does not match its hash (edited)"
    )


def test_verify_audit_names_where_an_entry_was_deleted():
    _append(4)
    AuditEvent.objects.filter(sequence=3).delete()

    with pytest.raises(CommandError, match=r"entry #3 does not match: it is missing \(deleted\)"):
        _verify()


def test_verify_audit_finds_the_last_entry_deleted():
    _append(4)
    AuditEvent.objects.filter(sequence=4).delete()

    with pytest.raises(CommandError, match=r"entry #4 does not match: it is missing"):
        _verify()


def test_verify_audit_for_a_call_counts_its_entries_and_checks_the_whole_chain():
    call, other = call_with_grid(), call_with_grid()
    _append(2, call=call)
    _append(1, call=other)
    mine = _append(1, call=call)

    assert _verify("--call", call.slug) == f"intact, 3 entries, head {mine[0].hash}"
    AuditEvent.objects.filter(call=other).update(actor=AdministratorFactory())
    with pytest.raises(CommandError, match="entry #3 does not match"):
        _verify("--call", call.slug)


def test_verify_audit_refuses_an_unknown_call():
    with pytest.raises(CommandError) as raised:
        _verify("--call", "nope")

    assert raised.value.returncode == 2


# --------------------------------------------------------------------------- the page


def _url(call, bid=None):
    url = reverse("review:audit_record", args=[call.slug])
    return f"{url}?bid={bid.acronym}" if bid else url


def test_audit_page_lists_the_calls_entries_with_status_and_head(client):
    p = panel(jurors=2)
    other = panel(jurors=1)
    admin = administrator_with_totp()
    confirm_conflict(conflict=ConflictFactory(bid=p.bid, juror=p.jurors[0]), by=admin)
    confirm_conflict(conflict=ConflictFactory(bid=other.bid, juror=other.jurors[0]), by=admin)
    client.force_login(admin)

    response = client.get(_url(p.call))

    content = response.content.decode()
    head = AuditEvent.objects.filter(call=p.call).get().hash
    assert response.status_code == 200
    assert "Intact: 2 entries in the portal's chain verified." in content
    assert f'<code id="audit-head">{head}</code>' in content
    assert "Conflict of interest confirmed" in content
    assert [row.bid for row in response.context["page"].rows] == [p.bid.acronym]


def test_audit_page_shows_where_the_chain_is_broken(client):
    p = panel(jurors=1)
    _append(3, call=p.call)
    AuditEvent.objects.filter(sequence=2).delete()
    client.force_login(administrator_with_totp())

    content = client.get(_url(p.call)).content.decode()

    assert "Broken: entry #2 does not match: it is missing (deleted)." in content


def test_audit_page_of_a_bid_lists_only_its_entries(client):
    p = panel(jurors=1)
    second = panel(jurors=1, call=p.call)
    admin = administrator_with_totp()
    for bid, juror in ((p.bid, p.jurors[0]), (second.bid, second.jurors[0])):
        confirm_conflict(conflict=ConflictFactory(bid=bid, juror=juror), by=admin)
    _append(1, call=p.call)  # the call's, no bid
    client.force_login(admin)

    response = client.get(_url(p.call, second.bid))

    page = response.context["page"]
    assert [row.bid for row in page.rows] == [second.bid.acronym]
    assert page.call_head == AuditEvent.objects.get(bid=second.bid).hash


def test_audit_page_of_an_unknown_bid_is_404(client):
    p = panel(jurors=1)
    client.force_login(administrator_with_totp())

    assert client.get(_url(p.call) + "?bid=NOPE").status_code == 404


def test_audit_page_is_linked_from_the_call_and_progress_pages(client):
    p = panel(jurors=1)
    client.force_login(administrator_with_totp())

    pages = [
        client.get(reverse("applications:programme_call", args=[p.call.slug])),
        client.get(reverse("review:call_progress", args=[p.call.slug])),
    ]

    assert [_url(p.call) in page.content.decode() for page in pages] == [True, True]


def test_audit_page_redirects_anonymous_to_login(client):
    p = panel(jurors=1)

    response = client.get(_url(p.call))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["member", "juror"])
def test_audit_page_is_forbidden_to_non_administrators(client, who):
    p = panel(jurors=1)
    client.force_login(institution_member(bid=p.bid) if who == "member" else p.jurors[0].user)

    assert client.get(_url(p.call)).status_code == 403


def test_audit_page_sends_an_administrator_without_totp_to_activation(client, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    p = panel(jurors=1)
    client.force_login(AdministratorFactory())

    response = client.get(_url(p.call))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


@pytest.mark.parametrize("entries", [1, 30])
def test_audit_page_takes_a_fixed_number_of_queries(client, django_assert_max_num_queries, entries):
    p = panel(jurors=1)
    admin = administrator_with_totp()
    for _n in range(entries):
        audit.record_event(kind=K.CALL_PUBLISHED, bid=p.bid, actor=admin, payload={"n": 1})
    client.force_login(admin)

    with django_assert_max_num_queries(12):
        response = client.get(_url(p.call))

    assert len(response.context["page"].rows) == entries


def test_audit_page_query_reads_a_fixed_number_of_queries(django_assert_num_queries):
    p = panel(jurors=1)
    _append(5, call=p.call)

    with django_assert_num_queries(3):
        page = audit_page(call=p.call)

    assert (len(page.rows), page.verdict.intact) == (5, True)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_linear():
    """Threads appending at once (each in its own transaction and connection) wait for the
    head row's lock: sequences stay gapless and every entry links to the one before."""
    errors: list[BaseException] = []

    def append_many(worker: int) -> None:
        try:
            for n in range(8):
                with transaction.atomic():
                    audit.record_event(kind=K.CALL_PUBLISHED, payload={"w": worker, "n": n})
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == list(range(1, 25))
    assert chain_verdict().intact
