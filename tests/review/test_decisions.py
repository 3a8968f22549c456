"""The funding decision: preparation from a run, guards, four eyes, versions, withdrawal,
and the pages for every role."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Call
from applications.services.calls import transition_call
from review.models import BidDecision, Decision, Review
from review.services import decisions as service
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db

F = BidDecision.Outcome


@pytest.fixture
def setup():
    return scored_call(bids=6, envelope=130_000_000, min_winners=2, max_winners=4)


@pytest.fixture
def run(setup):
    return create_and_run_ranking(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings()
    )


@pytest.fixture
def preparer():
    return administrator_with_totp()


@pytest.fixture
def approver():
    return administrator_with_totp()


def _lines(decision) -> dict[str, BidDecision]:
    return {line.bid.acronym: line for line in decision.lines.select_related("bid")}


def _inputs(decision, **changes) -> dict[int, service.LineInput]:
    """The decision as it stands, with ``acronym=LineInput`` changes."""
    result = {}
    for acronym, line in _lines(decision).items():
        result[line.bid_id] = changes.get(acronym) or service.LineInput(
            outcome=line.outcome,
            amount=line.amount_awarded,
            reserve_position=line.reserve_position,
            reason=line.reason,
            override_reason=line.override_reason,
        )
    return result


def _winners(decision) -> list[str]:
    return sorted(a for a, line in _lines(decision).items() if line.outcome == F.FUNDED)


# --------------------------------------------------------------------------- services


def test_prepare_follows_the_run_recommendation(setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)

    lines = _lines(decision)
    winners = {str(b["id"]) for b in run.result["bids"] if b["selected"]}
    assert {str(line.bid_id) for line in lines.values() if line.outcome == F.FUNDED} == winners
    assert all(line.outcome == line.recommended_outcome for line in lines.values())
    reserve = sorted(
        (line.reserve_position, line.rank) for line in lines.values() if line.outcome == F.RESERVE
    )
    assert [position for position, _rank in reserve] == list(range(1, len(reserve) + 1))
    assert [rank for _p, rank in reserve] == sorted(rank for _p, rank in reserve)
    assert decision.status == Decision.Status.DRAFT
    assert decision.number == 1


def test_prepare_refuses_a_second_draft_and_a_call_not_under_review(setup, run, preparer):
    service.prepare_decision(call=setup.call, run=run, by=preparer)
    with pytest.raises(ValidationError, match="already has a decision"):
        service.prepare_decision(call=setup.call, run=run, by=preparer)


def test_a_deviation_without_reason_is_refused_and_nothing_is_saved(setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    winner = _winners(decision)[0]
    line = _lines(decision)[winner]
    cut = service.LineInput(outcome=F.FUNDED, amount=line.bid.minimum_amount)

    with pytest.raises(service.LineErrors) as refused:
        service.save_decision(
            decision=decision, changes=_inputs(decision, **{winner: cut}), by=preparer
        )

    assert refused.value.by_bid[line.bid_id]["reason"]
    line.refresh_from_db()
    assert line.amount_awarded == line.recommended_amount


def test_a_deviation_with_reason_is_saved_and_the_saver_prepares(setup, run, preparer, approver):
    decision = service.prepare_decision(call=setup.call, run=run, by=approver)
    winner = _winners(decision)[0]
    minimum = _lines(decision)[winner].bid.minimum_amount
    cut = service.LineInput(outcome=F.FUNDED, amount=minimum, reason="Equipment line cut.")

    saved = service.save_decision(
        decision=decision, changes=_inputs(decision, **{winner: cut}), by=preparer
    )

    assert _lines(saved)[winner].amount_awarded == minimum
    assert _lines(saved)[winner].reason == "Equipment line cut."
    assert saved.prepared_by == preparer


def test_a_decision_over_the_envelope_or_outside_the_winner_bounds_is_refused(setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    everyone = {
        acronym: service.LineInput(outcome=F.FUNDED, amount=line.bid.requested_amount, reason="x")
        for acronym, line in _lines(decision).items()
    }
    with pytest.raises(service.LineErrors) as refused:
        service.save_decision(decision=decision, changes=_inputs(decision, **everyone), by=preparer)
    text = " ".join(refused.value.overall)
    assert "exceed the envelope" in text
    assert "between 2 and 4" in text

    nobody = {
        acronym: service.LineInput(outcome=F.NOT_FUNDED, reason="x") for acronym in _lines(decision)
    }
    with pytest.raises(service.LineErrors, match="funds 0 bids"):
        service.save_decision(decision=decision, changes=_inputs(decision, **nobody), by=preparer)


def test_an_under_reviewed_winner_needs_an_override(setup, preparer):
    victim = setup.bids[0]
    Review.objects.filter(assignment__bid=victim).first().delete()
    run = create_and_run_ranking(call=setup.call, by=preparer, settings=RunSettings())
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    line = _lines(decision)[victim.acronym]
    assert line.under_reviewed
    assert line.reviews == 2
    funded = service.LineInput(
        outcome=F.FUNDED,
        amount=victim.requested_amount,
        reason="" if line.recommended_outcome == F.FUNDED else "Panel's choice.",
    )

    with pytest.raises(service.LineErrors) as refused:
        service.save_decision(
            decision=decision, changes=_inputs(decision, **{victim.acronym: funded}), by=preparer
        )
    assert "override_reason" in refused.value.by_bid[victim.pk]


def test_the_preparer_cannot_approve(setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    with pytest.raises(PermissionDenied):
        service.approve_decision(decision=decision, by=preparer)


def test_approval_by_a_second_administrator_decides_the_call(setup, run, preparer, approver):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)

    service.approve_decision(decision=decision, by=approver)

    decision.refresh_from_db()
    setup.call.refresh_from_db()
    assert decision.status == Decision.Status.APPROVED
    assert decision.approved_by == approver
    assert setup.call.status == Call.Status.DECIDED
    with pytest.raises(ValidationError, match="final"):
        service.save_decision(decision=decision, changes=_inputs(decision), by=approver)


def test_a_call_is_decided_only_through_an_approved_decision(setup, preparer):
    with pytest.raises(ValidationError, match="approving its funding decision"):
        transition_call(call=setup.call, to_status=Call.Status.DECIDED, by=preparer)


def test_the_evaluation_reopens_only_by_withdrawing_the_decision(setup, run, preparer, approver):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    service.approve_decision(decision=decision, by=approver)

    with pytest.raises(ValidationError, match="withdraw the decision"):
        transition_call(call=setup.call, to_status=Call.Status.UNDER_REVIEW, by=approver)


def test_an_approved_decision_can_be_published(setup, run, preparer, approver):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    service.approve_decision(decision=decision, by=approver)

    transition_call(call=setup.call, to_status=Call.Status.PUBLISHED, by=approver)

    setup.call.refresh_from_db()
    assert setup.call.status == Call.Status.PUBLISHED


def test_a_new_version_promotes_the_reserve_and_keeps_every_version(setup, run, preparer, approver):
    first = service.prepare_decision(call=setup.call, run=run, by=preparer)
    service.approve_decision(decision=first, by=approver)
    reserve_first = next(a for a, line in _lines(first).items() if line.reserve_position == 1)
    leaving = _lines(first)[_winners(first)[0]].bid

    draft = service.revise_decision(call=setup.call, reason="A winner withdrew.", by=preparer)
    service.promote_from_reserve(
        decision=draft, leaving=leaving, reason="Withdrew on 3 May.", by=preparer
    )
    service.approve_decision(decision=draft, by=approver)

    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.status == Decision.Status.SUPERSEDED
    assert draft.status == Decision.Status.APPROVED
    assert draft.number == 2
    assert reserve_first in _winners(draft)
    assert leaving.acronym not in _winners(draft)
    assert _lines(draft)[leaving.acronym].reason == "Withdrew on 3 May."
    assert reserve_first not in _winners(first)  # the first version is unchanged
    assert Decision.objects.filter(call=setup.call).count() == 2


def test_withdrawing_reopens_the_evaluation_until_publication(setup, run, preparer, approver):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    service.approve_decision(decision=decision, by=approver)
    with pytest.raises(ValidationError, match="reason"):
        service.withdraw_decision(decision=decision, reason=" ", by=approver)

    service.withdraw_decision(decision=decision, reason="Conflict found late.", by=approver)

    setup.call.refresh_from_db()
    decision.refresh_from_db()
    assert setup.call.status == Call.Status.UNDER_REVIEW
    assert decision.status == Decision.Status.WITHDRAWN
    assert decision.withdrawal_reason == "Conflict found late."


def test_a_published_decision_cannot_be_withdrawn(setup, run, preparer, approver):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    service.approve_decision(decision=decision, by=approver)
    transition_call(call=setup.call, to_status=Call.Status.PUBLISHED, by=approver)

    with pytest.raises(ValidationError, match="published"):
        service.withdraw_decision(decision=decision, reason="Too late.", by=approver)


# --------------------------------------------------------------------------- pages


def _page(setup):
    return reverse("review:decision", args=[setup.call.slug])


def test_decision_page_sends_anonymous_visitors_to_login(client, setup):
    response = client.get(_page(setup))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_decision_pages_refuse_members_and_jurors(client, setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    urls_get = [_page(setup), reverse("review:decision_version", args=[setup.call.slug, 1])]
    urls_post = [
        _page(setup),
        reverse("review:decision_approve", args=[setup.call.slug, decision.number]),
        reverse("review:decision_withdraw", args=[setup.call.slug, decision.number]),
        reverse("review:decision_revise", args=[setup.call.slug]),
    ]
    for user in (
        MembershipFactory(institution=setup.bids[0].lead_institution).user,
        juror_with_totp(call=setup.call).user,
    ):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls_get] == [403, 403]
        assert [client.post(url).status_code for url in urls_post] == [403] * 4
    decision.refresh_from_db()
    assert decision.status == Decision.Status.DRAFT


def test_decision_page_sends_an_administrator_without_totp_to_activation(client, setup, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    client.force_login(AdministratorFactory())
    response = client.get(_page(setup))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_prepare_from_the_page_then_approval_by_the_preparer_is_refused(
    client, setup, run, preparer
):
    client.force_login(preparer)
    response = client.post(
        reverse("review:decision_prepare", args=[setup.call.slug]), {"run": run.pk}
    )
    assert response.status_code == 302
    decision = Decision.objects.get(call=setup.call)

    page = client.get(_page(setup))
    assert b"another administrator must approve it" in page.content
    assert f"Recommended by ranking run #{run.pk}.".encode() in page.content
    refused = client.post(reverse("review:decision_approve", args=[setup.call.slug, 1]))

    assert refused.status_code == 403
    decision.refresh_from_db()
    assert decision.status == Decision.Status.DRAFT


def _post_data(decision, **changes) -> dict[str, str]:
    data = {}
    for bid_id, line in _inputs(decision, **changes).items():
        prefix = f"bid-{bid_id}-"
        data[prefix + "outcome"] = line.outcome
        data[prefix + "amount"] = "" if line.amount is None else str(line.amount)
        data[prefix + "reserve_position"] = (
            "" if line.reserve_position is None else str(line.reserve_position)
        )
        data[prefix + "reason"] = line.reason
        data[prefix + "override_reason"] = line.override_reason
    return data


def test_a_refused_save_re_renders_with_the_input(client, setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    winner = _winners(decision)[0]
    too_much = service.LineInput(
        outcome=F.FUNDED, amount=10**12, reason="Typed reason that must survive."
    )
    client.force_login(preparer)

    response = client.post(_page(setup), _post_data(decision, **{winner: too_much}))

    assert response.status_code == 400
    assert b"Typed reason that must survive." in response.content
    assert b"between" in response.content
    assert _lines(decision)[winner].amount_awarded == _lines(decision)[winner].recommended_amount


def test_a_valid_save_then_a_second_administrator_approves(client, setup, run, preparer, approver):
    decision = service.prepare_decision(call=setup.call, run=run, by=approver)
    winner = _winners(decision)[0]
    minimum = _lines(decision)[winner].bid.minimum_amount
    cut = service.LineInput(outcome=F.FUNDED, amount=minimum, reason="Cut to the minimum.")
    client.force_login(preparer)
    assert client.post(_page(setup), _post_data(decision, **{winner: cut})).status_code == 302

    client.force_login(approver)
    response = client.post(reverse("review:decision_approve", args=[setup.call.slug, 1]))

    assert response.status_code == 302
    setup.call.refresh_from_db()
    assert setup.call.status == Call.Status.DECIDED
    page = client.get(_page(setup))
    assert b"Cut to the minimum." in page.content


@pytest.mark.parametrize("bids", [4, 12])
def test_decision_page_takes_a_fixed_number_of_queries(
    client, bids, preparer, django_assert_max_num_queries
):
    setup = scored_call(bids=bids, envelope=130_000_000, min_winners=2, max_winners=4)
    run = create_and_run_ranking(call=setup.call, by=preparer, settings=RunSettings())
    service.prepare_decision(call=setup.call, run=run, by=preparer)
    client.force_login(administrator_with_totp())

    with django_assert_max_num_queries(14):
        response = client.get(_page(setup))

    assert len(response.context["rows"]) == bids


def test_the_draft_page_shows_each_line_as_stored_with_its_fields(client, setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    winner = _lines(decision)[_winners(decision)[0]]
    client.force_login(preparer)

    response = client.get(_page(setup))

    prefix = f"bid-{winner.bid_id}-"
    assert response.status_code == 200
    assert (
        f'name="{prefix}outcome" id="id_{prefix}outcome"><option value="funded" selected>'.encode()
    ) in response.content
    assert (
        f'name="{prefix}amount" id="id_{prefix}amount" value="{winner.amount_awarded}"'.encode()
        in (response.content)
    )


def test_an_invalid_line_re_renders_with_the_typed_values_and_its_error(
    client, setup, run, preparer
):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    loser = next(line for line in _lines(decision).values() if line.outcome != F.FUNDED)
    data = _post_data(decision)
    prefix = f"bid-{loser.bid_id}-"
    data[prefix + "outcome"] = F.FUNDED
    data[prefix + "amount"] = "-5"
    data[prefix + "reason"] = "Typed next to a wrong amount."
    client.force_login(preparer)

    response = client.post(_page(setup), data)

    assert response.status_code == 400
    content = response.content.decode()
    assert f'<select class="form-select form-select-sm" name="{prefix}outcome"' in content
    assert '<option value="funded" selected>' in content.split(f'name="{prefix}outcome"')[1]
    assert (
        f'is-invalid" type="number" min="0" step="1" name="{prefix}amount" '
        f'id="id_{prefix}amount" value="-5"'
    ) in content
    assert "Typed next to a wrong amount." in content
    assert BidDecision.objects.get(pk=loser.pk).outcome == loser.outcome


def test_the_approved_decision_shows_outcomes_without_fields(
    client, setup, run, preparer, approver
):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    service.approve_decision(decision=decision, by=approver)
    client.force_login(approver)

    response = client.get(_page(setup))

    assert response.status_code == 200
    assert b"<strong>Funded</strong>" in response.content
    assert b'name="bid-' not in response.content


def test_the_line_fields_are_labelled_in_the_visitors_language(client, setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    line = next(iter(_lines(decision).values()))
    client.force_login(preparer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get(_page(setup))

    assert f'for="id_bid-{line.bid_id}-outcome">Décision</label>'.encode() in response.content


def test_a_page_of_lines_saves_its_lines_and_keeps_the_others(client, preparer, approver):
    setup = scored_call(bids=60, envelope=130_000_000, min_winners=2, max_winners=4)
    run = create_and_run_ranking(call=setup.call, by=approver, settings=RunSettings())
    decision = service.prepare_decision(call=setup.call, run=run, by=approver)
    before = {line.bid_id: line.outcome for line in decision.lines.all()}
    winner = _winners(decision)[0]
    minimum = _lines(decision)[winner].bid.minimum_amount
    cut = service.LineInput(outcome=F.FUNDED, amount=minimum, reason="Cut to the minimum.")
    client.force_login(preparer)
    shown = {line.bid_id for line in client.get(_page(setup), {"page": 1}).context["page"]}
    data = {
        key: value
        for key, value in _post_data(decision, **{winner: cut}).items()
        if int(key.split("-")[1]) in shown
    }

    response = client.post(_page(setup) + "?page=1", data)

    assert (response.status_code, response["Location"]) == (302, _page(setup) + "?page=1")
    assert len(shown) == 50
    assert _lines(decision)[winner].amount_awarded == minimum
    assert {line.bid_id: line.outcome for line in decision.lines.all()} == before


def test_the_draft_page_offers_every_winner_to_the_promotion_form(client, setup, run, preparer):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    lines = _lines(decision)
    client.force_login(preparer)

    response = client.get(_page(setup))

    winners = sorted(
        (line for line in lines.values() if line.outcome == F.FUNDED),
        key=lambda line: (line.rank is None, line.rank, line.bid.acronym),
    )
    options = "".join(
        f'<option value="{line.bid_id}">{line.bid.acronym}</option>' for line in winners
    )
    assert len(winners) >= 2
    assert (
        f'<select name="leaving" class="select form-select" required id="id_leaving">{options}'
        "</select>"
    ) in response.content.decode()


def test_the_promotion_form_posts_the_first_reserve_bid_into_the_winners(
    client, setup, run, preparer
):
    decision = service.prepare_decision(call=setup.call, run=run, by=preparer)
    reserve_first = next(a for a, line in _lines(decision).items() if line.reserve_position == 1)
    leaving = _lines(decision)[_winners(decision)[0]]
    client.force_login(preparer)

    response = client.post(
        reverse("review:decision_promote", args=[setup.call.slug, decision.number]),
        {"leaving": leaving.bid_id, "reason": "Withdrew on 3 May."},
    )

    assert response.status_code == 302
    assert reserve_first in _winners(decision)
    assert leaving.bid.acronym not in _winners(decision)


@pytest.mark.parametrize("bids", [6, 40])
def test_a_save_writes_only_the_lines_it_changes(bids, preparer, approver):
    setup = scored_call(bids=bids, envelope=130_000_000, min_winners=2, max_winners=4)
    run = create_and_run_ranking(call=setup.call, by=approver, settings=RunSettings())
    decision = service.prepare_decision(call=setup.call, run=run, by=approver)
    winner = _winners(decision)[0]
    minimum = _lines(decision)[winner].bid.minimum_amount
    cut = service.LineInput(outcome=F.FUNDED, amount=minimum, reason=" Cut to the minimum. ")

    with CaptureQueriesContext(connection) as queries:
        service.save_decision(
            decision=decision, changes=_inputs(decision, **{winner: cut}), by=preparer
        )

    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    line_updates = [sql for sql in updates if "review_biddecision" in sql]
    assert len(line_updates) == 1
    assert line_updates[0].count("WHEN") == 5  # one line, five columns
    assert (_lines(decision)[winner].amount_awarded, _lines(decision)[winner].reason) == (
        minimum,
        "Cut to the minimum.",
    )
