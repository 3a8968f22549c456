"""The panel meeting: the page for every role, adjustments beside the consensus, minutes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Call
from portal.editing import StaleEdit
from portal.formats import format_score
from review.models import ConsensusReport, ConsensusScore, PanelAdjustment, PanelNote
from review.services.panel import adjust_consensus_score, save_minutes
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from tests.factories import AdministratorFactory, CallFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.ranking_run_setup import approve_consensus_of, scored_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    return scored_call(bids=4, envelope=130_000_000, min_winners=1, max_winners=3)


@pytest.fixture
def admin():
    return administrator_with_totp()


def _page(setup):
    return reverse("review:panel", args=[setup.call.slug])


def test_panel_page_sends_anonymous_to_login_and_refuses_members_and_jurors(client, setup):
    assert client.get(_page(setup)).status_code == 302
    bid = setup.bids[0]
    for user in (
        MembershipFactory(institution=bid.lead_institution).user,
        juror_with_totp(call=setup.call).user,
    ):
        client.force_login(user)
        assert client.get(_page(setup)).status_code == 403
        assert (
            client.post(
                reverse("review:panel_minutes", args=[setup.call.slug, bid.public_id])
            ).status_code
            == 403
        )


def test_panel_page_sends_an_administrator_without_totp_to_activation(client, setup, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    client.force_login(AdministratorFactory())
    response = client.get(_page(setup))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_panel_page_lists_bids_in_run_order_with_every_jurors_scores(client, setup, admin):
    run = create_and_run_ranking(call=setup.call, by=admin, settings=RunSettings())
    approve_consensus_of(setup, setup.bids[0])
    client.force_login(admin)

    response = client.get(_page(setup))

    assert response.status_code == 200
    order = [bid.acronym for bid in response.context["meeting"].bids]
    by_rank = [
        next(b.acronym for b in setup.bids if b.pk == row["id"])
        for row in sorted(run.result["bids"], key=lambda row: row["rank"])
    ]
    assert order == by_rank
    first = next(b for b in response.context["meeting"].bids if b.bid_id == setup.bids[0].pk)
    assert len(first.jurors) == 3
    assert all(len(row.juror_values) == 3 for row in first.criteria)
    assert [row.consensus for row in first.criteria] == [Decimal(3)] * 3
    assert b"Consensus on BID00." in response.content


def test_an_adjustment_is_kept_beside_the_consensus(setup, admin):
    report = approve_consensus_of(setup, setup.bids[0])
    criterion = setup.criteria[0]

    adjust_consensus_score(
        report=report, criterion=criterion, value=Decimal("4.5"), reason="Panel: strong.", by=admin
    )
    adjust_consensus_score(
        report=report, criterion=criterion, value=Decimal(4), reason="On reflection.", by=admin
    )

    history = list(PanelAdjustment.objects.filter(report=report).order_by("pk"))
    assert [(a.original_value, a.value) for a in history] == [
        (Decimal(3), Decimal("4.5")),
        (Decimal("4.5"), Decimal(4)),
    ]
    assert ConsensusScore.objects.get(report=report, criterion=criterion).value == Decimal(3)


@pytest.mark.parametrize(
    ("value", "reason", "field"),
    [(Decimal("4.3"), "x", "value"), (Decimal(9), "x", "value"), (Decimal(4), " ", "reason")],
)
def test_an_adjustment_needs_a_reason_and_a_score_on_the_scale(setup, admin, value, reason, field):
    report = approve_consensus_of(setup, setup.bids[0])
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        adjust_consensus_score(
            report=report, criterion=setup.criteria[0], value=value, reason=reason, by=admin
        )
    assert field in refused.value.error_dict
    assert not PanelAdjustment.objects.exists()


def test_an_unapproved_consensus_cannot_be_adjusted(setup, admin):
    from django.core.exceptions import ValidationError

    report = approve_consensus_of(setup, setup.bids[0])
    ConsensusReport.objects.filter(pk=report.pk).update(status=ConsensusReport.Status.SUBMITTED)
    with pytest.raises(ValidationError, match="approved"):
        adjust_consensus_score(
            report=report, criterion=setup.criteria[0], value=Decimal(4), reason="x", by=admin
        )


def test_adjusting_from_the_page_then_a_refusal_keeps_the_input(client, setup, admin):
    bid = setup.bids[0]
    approve_consensus_of(setup, bid)
    client.force_login(admin)
    url = reverse("review:panel_adjust", args=[setup.call.slug, bid.public_id])
    prefix = f"adjust-{bid.pk}-"

    ok = client.post(
        url,
        {prefix + "criterion": setup.criteria[1].pk, prefix + "value": "4", prefix + "reason": "R"},
    )
    refused = client.post(
        url,
        {
            prefix + "criterion": setup.criteria[1].pk,
            prefix + "value": "4.3",
            prefix + "reason": "Reason typed by hand",
        },
    )

    assert ok.status_code == 302
    assert refused.status_code == 400
    assert b"Reason typed by hand" in refused.content
    assert PanelAdjustment.objects.count() == 1


def test_minutes_are_saved_and_a_stale_save_keeps_both_texts(client, setup, admin):
    bid = setup.bids[0]
    save_minutes(bid=bid, text="First", expected_version=0, by=admin)
    with pytest.raises(StaleEdit):
        save_minutes(bid=bid, text="Lost?", expected_version=0, by=admin)
    client.force_login(admin)
    prefix = f"minutes-{bid.pk}-"

    response = client.post(
        reverse("review:panel_minutes", args=[setup.call.slug, bid.public_id]),
        {prefix + "text": "My typed minutes", prefix + "version": "0"},
    )

    assert response.status_code == 409
    assert b"My typed minutes" in response.content
    assert b"First" in response.content
    assert PanelNote.objects.get(bid=bid).text == "First"


@pytest.mark.parametrize("bids", [3, 9])
def test_panel_page_takes_a_fixed_number_of_queries(
    client, bids, admin, django_assert_max_num_queries
):
    setup = scored_call(bids=bids, envelope=130_000_000, min_winners=1, max_winners=3)
    create_and_run_ranking(call=setup.call, by=admin, settings=RunSettings())
    for bid in setup.bids:
        report = approve_consensus_of(setup, bid)
        adjust_consensus_score(
            report=report, criterion=setup.criteria[0], value=Decimal(4), reason="x", by=admin
        )
        save_minutes(bid=bid, text="Noted.", expected_version=0, by=admin)
    client.force_login(admin)

    with django_assert_max_num_queries(16):
        response = client.get(reverse("review:panel", args=[setup.call.slug]))

    assert len(response.context["meeting"].bids) == bids


def test_the_overview_shows_every_bid_and_the_first_one_is_discussed(client, setup, admin):
    create_and_run_ranking(call=setup.call, by=admin, settings=RunSettings())
    for bid in setup.bids:
        approve_consensus_of(setup, bid)
    client.force_login(admin)

    response = client.get(_page(setup))

    meeting = response.context["meeting"]
    overview = response.context["overview"]
    assert [row["acronym"] for row in overview] == [bid.acronym for bid in meeting.bids]
    last = meeting.bids[-1]
    assert overview[-1]["criteria"][0]["jurors"] == " · ".join(
        format_score(value, places=1) for value in last.criteria[0].juror_values
    )
    assert overview[-1]["criteria"][0]["jurors"].encode() in response.content
    first = meeting.bids[0].acronym
    assert response.context["card"]["acronym"] == first
    assert f'id="minutes-{first}"'.encode() in response.content
    assert f'id="minutes-{last.acronym}"'.encode() not in response.content
    assert response.context["previous"] == ""
    assert f"bid={meeting.bids[1].acronym}" in response.context["next"]


def test_a_bid_chosen_in_the_overview_is_discussed_in_full(client, setup, admin):
    create_and_run_ranking(call=setup.call, by=admin, settings=RunSettings())
    chosen = setup.bids[2]
    approve_consensus_of(setup, chosen)
    client.force_login(admin)

    response = client.get(_page(setup), {"bid": chosen.acronym})
    missing = client.get(_page(setup), {"bid": "NOPE"})

    assert response.status_code == 200
    assert response.context["card"]["acronym"] == chosen.acronym
    assert f'id="adjust-{chosen.acronym}"'.encode() in response.content
    assert f"Consensus on {chosen.acronym}.".encode() in response.content
    assert response.context["previous"] != ""
    assert missing.status_code == 404


def test_saved_minutes_bring_the_meeting_back_to_the_same_bid(client, setup, admin):
    run = create_and_run_ranking(call=setup.call, by=admin, settings=RunSettings())
    bid = setup.bids[3]
    prefix = f"minutes-{bid.pk}-"
    client.force_login(admin)

    response = client.post(
        reverse("review:panel_minutes", args=[setup.call.slug, bid.public_id]),
        {prefix + "text": "Agreed: fund.", prefix + "version": "0", "run": run.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{_page(setup)}?run={run.pk}&bid={bid.acronym}#discussed"
    assert PanelNote.objects.get(bid=bid).text == "Agreed: fund."
    page = client.get(response["Location"])
    assert b"Agreed: fund." in page.content


def test_a_refused_adjustment_keeps_the_chosen_criterion(client, setup, admin):
    bid = setup.bids[1]
    approve_consensus_of(setup, bid)
    client.force_login(admin)
    prefix = f"adjust-{bid.pk}-"
    chosen = setup.criteria[2]

    response = client.post(
        reverse("review:panel_adjust", args=[setup.call.slug, bid.public_id]),
        {prefix + "criterion": chosen.pk, prefix + "value": "9", prefix + "reason": "Typed."},
    )

    assert response.status_code == 400
    assert response.context["card"]["acronym"] == bid.acronym
    assert f'<option value="{chosen.pk}" selected>'.encode() in response.content
    assert b'value="9"' in response.content
    assert not PanelAdjustment.objects.exists()


def test_the_panel_page_of_a_call_without_bids_says_so_without_a_card(client, admin):
    call = CallFactory(status=Call.Status.UNDER_REVIEW)
    client.force_login(admin)

    response = client.get(reverse("review:panel", args=[call.slug]))

    assert response.status_code == 200
    assert response.context["card"] is None
    assert response.context["overview"] == []
