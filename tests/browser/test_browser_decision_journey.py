"""From the jury's ranking to a recorded decision, end to end in Chromium.

On a call under review with every consensus approved, an administrator computes a run on the
consensus scores, holds the panel meeting (one consensus score adjusted, with a reason),
computes a new run on the adjusted scores and prepares the decision from it with one
deviation (an amount cut to the bid's minimum, with its reason). A second administrator
approves it; the call is decided. Then a juror's score edit and a new run are refused, and
their forms are gone.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Call
from review.models import (
    BidDecision,
    ConflictDeclaration,
    CriterionScore,
    Decision,
    PanelAdjustment,
    RankingRun,
    Review,
)
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import login_with_totp
from tests.factories import PASSWORD, enable_totp
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import approve_consensus_of, scored_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANEL_REASON = "The panel finds the training offer stronger than the rapporteur wrote."
CUT_REASON = "The equipment line duplicates national infrastructure: funded at its minimum."


def _sign_out(page) -> None:
    page.context.clear_cookies()


def _start_consensus_run(page, call: Call) -> RankingRun:
    page.goto(reverse("review:ranking_runs", args=[call.slug]))
    page.check("input[name=basis][value=consensus]")
    page.select_option("select[name=calibration]", "none")
    page.fill("input[name=bootstrap_samples]", "0")
    page.click("main form[method=post] [type=submit]")
    page.wait_for_selector("#ranking-table")
    assert_accessible(page)
    run = RankingRun.objects.order_by("-pk").first()
    assert run.status == RankingRun.Status.DONE
    assert run.parameters["basis"] == "consensus"
    return run


def test_consensus_run_panel_decision_four_eyes_then_the_freeze(page):
    setup = scored_call(bids=6, envelope=130_000_000, min_winners=2, max_winners=4)
    call = setup.call
    for index, bid in enumerate(setup.bids):
        approve_consensus_of(setup, bid, value=Decimal("4.5") - Decimal("0.5") * index)
    preparer, approver = administrator_with_totp(), administrator_with_totp()
    juror_assignment = setup.assignments[0]
    juror = juror_assignment.juror
    enable_totp(juror.user)
    ConflictDeclaration.objects.create(juror=juror, bid=juror_assignment.bid, has_conflict=False)

    # 1. A run on the consensus scores.
    login_with_totp(page, user=preparer, password=PASSWORD)
    first_run = _start_consensus_run(page, call)
    assert "consensus" in page.inner_text("#run-parameters").lower()

    # 2. The panel meeting: one consensus score adjusted, with a reason.
    adjusted_bid = setup.bids[3]
    page.goto(
        reverse("review:panel", args=[call.slug])
        + f"?run={first_run.pk}&bid={adjusted_bid.acronym}"
    )
    card = page.locator(f"#bid-{adjusted_bid.acronym}")
    assert card.is_visible()
    card.locator("select[name$=criterion]").select_option(str(setup.criteria[0].pk))
    card.locator("input[name$=value]").fill("5")
    card.locator("textarea[name$=reason]").fill(PANEL_REASON)
    with page.expect_navigation():
        card.locator("form[id^=adjust] [type=submit]").click()
    assert_accessible(page)
    assert PANEL_REASON in page.inner_text(f"#bid-{adjusted_bid.acronym}")
    adjustment = PanelAdjustment.objects.get()
    assert (adjustment.original_value, adjustment.value) == (Decimal("3.0"), Decimal(5))

    # 3. A new run on the adjusted scores.
    second_run = _start_consensus_run(page, call)
    adjusted = [
        score["value"]
        for score in second_run.engine_input["scores"]
        if score["bid"] == adjusted_bid.pk and score["criterion"] == setup.criteria[0].code
    ]
    assert adjusted == [5]

    # 4. The decision, prepared from that run, with one deviation and its reason.
    page.goto(reverse("review:decision", args=[call.slug]))
    page.select_option("select[name=run]", str(second_run.pk))
    page.click("#decision-prepare [type=submit]")
    page.wait_for_selector("#decision-form")
    assert_accessible(page)
    decision = Decision.objects.get(call=call)
    winner = (
        BidDecision.objects.filter(decision=decision, outcome=BidDecision.Outcome.FUNDED)
        .select_related("bid")
        .order_by("rank")
        .first()
    )
    row = page.locator(f"#line-{winner.bid.acronym}")
    row.locator("input[name$=amount]").fill(str(winner.bid.minimum_amount))
    row.locator("textarea[name$='-reason']").fill(CUT_REASON)
    assert page.inner_text("[data-total=deviations]") == "1"  # the live totals follow
    page.click("#decision-form [type=submit]")
    page.wait_for_selector("#approval-needs-second")
    assert_accessible(page)
    winner.refresh_from_db()
    assert winner.amount_awarded == winner.bid.minimum_amount
    assert winner.reason == CUT_REASON

    # 5. Four eyes: the second administrator approves; the call is decided.
    _sign_out(page)
    login_with_totp(page, user=approver, password=PASSWORD)
    page.goto(reverse("review:decision", args=[call.slug]))
    approver_row = page.locator(f"#line-{winner.bid.acronym}")
    assert approver_row.locator("textarea[name$='-reason']").input_value() == CUT_REASON
    page.click("#approve-decision")
    page.wait_for_selector("#decision-revise")
    assert_accessible(page)
    call.refresh_from_db()
    decision.refresh_from_db()
    assert decision.status == Decision.Status.APPROVED
    assert decision.approved_by == approver
    assert call.status == Call.Status.DECIDED

    # 6. The freeze: no new run, no form; the server refuses a forged one.
    page.goto(reverse("review:ranking_runs", args=[call.slug]))
    assert page.locator("#evaluation-frozen").is_visible()
    assert page.locator("main form[method=post]").count() == 0
    token = page.context.cookies()
    csrf = next(cookie["value"] for cookie in token if cookie["name"] == "csrftoken")
    forged = page.request.post(
        reverse("review:ranking_runs", args=[call.slug]),
        form={
            "basis": "jurors",
            "rule": "optimal",
            "overflow": "skip",
            "calibration": "none",
            "aggregate": "mean",
            "bootstrap_samples": "0",
        },
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert forged.status == 403
    assert RankingRun.objects.count() == 2

    # 7. A juror's score edit is refused too.
    _sign_out(page)
    login_with_totp(page, user=juror.user, password=PASSWORD)
    review_url = reverse("review:review_form", args=[juror_assignment.bid.public_id])
    page.goto(review_url)
    assert "read-only" in page.inner_text("main")
    assert page.locator("#review-form").count() == 0
    before = list(
        CriterionScore.objects.filter(review__assignment=juror_assignment).values_list(
            "value", flat=True
        )
    )
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        review_url,
        form={"version": "1", "overall_comment": "Changed my mind.", "confidence": "3"},
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert refused.status == 403
    assert (
        list(
            CriterionScore.objects.filter(review__assignment=juror_assignment).values_list(
                "value", flat=True
            )
        )
        == before
    )
    assert Review.objects.get(assignment=juror_assignment).status == Review.Status.SUBMITTED
