"""Consensus: the rapporteur drafts once all reviews are in, jurors comment, an admin approves."""

from decimal import Decimal

import pytest
from django.urls import reverse

from review.models import ConsensusComment, ConsensusReport, ConsensusScore, CriterionScore
from review.queries.reviews import evaluation_summary_for
from tests.factories import ConflictFactory
from tests.review.jury_setup import administrator_with_totp, institution_member, juror_with_totp
from tests.review.review_setup import panel, review_post, write_review

pytestmark = pytest.mark.django_db


def _url(bid, name="consensus"):
    return reverse(f"review:{name}", args=[bid.public_id])


def _all_in(p):
    for index, assignment in enumerate(p.assignments):
        write_review(assignment, Decimal(index + 2), comment=f"Opinion of juror {index}")


def _consensus_data(p, **extra):
    data = review_post(p.call, {0: "3", 1: "3.5", 2: "4"}, {0: "c0", 1: "c1", 2: "c2"})
    data.pop("confidence")
    data.pop("overall_comment")
    data.update({"summary": "Agreed summary", **extra})
    return data


def _approved(p):
    _all_in(p)
    report = ConsensusReport.objects.create(
        bid=p.bid, rapporteur=p.jurors[0], status=ConsensusReport.Status.SUBMITTED, summary="S"
    )
    return report


def test_consensus_redirects_anonymous_to_login(client):
    p = panel(jurors=2)

    response = client.get(_url(p.bid))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("kind", ["member", "unassigned", "confirmed_conflict"])
def test_consensus_is_not_found_for_outsiders(client, kind):
    p = panel(jurors=2)
    _all_in(p)
    if kind == "member":
        user = institution_member(bid=p.bid)
    elif kind == "unassigned":
        user = juror_with_totp(call=p.call).user
    else:
        ConflictFactory(juror=p.jurors[1], bid=p.bid, status="confirmed")
        user = p.jurors[1].user
    client.force_login(user)

    response = client.get(_url(p.bid))

    assert response.status_code == 404


def test_rapporteur_waits_until_all_reviews_are_submitted(client):
    p = panel(jurors=2)
    write_review(p.assignments[0], Decimal(3))
    write_review(p.assignments[1], Decimal(4), submitted=False, comment="Draft secret")
    client.force_login(p.jurors[0].user)

    page = client.get(_url(p.bid))
    post = client.post(_url(p.bid), _consensus_data(p, action="save"))

    assert page.status_code == 200
    assert 'id="consensus-waiting"' in page.content.decode()
    assert "Draft secret" not in page.content.decode()
    assert post.status_code == 200
    assert ConsensusReport.objects.count() == 0


def test_rapporteur_sees_all_reviews_and_drafts_the_consensus(client):
    p = panel(jurors=3)
    _all_in(p)
    client.force_login(p.jurors[0].user)

    page = client.get(_url(p.bid))
    response = client.post(_url(p.bid), _consensus_data(p, action="save"))

    report = ConsensusReport.objects.get()
    assert "Opinion of juror 2" in page.content.decode()
    assert response.status_code == 302
    assert (report.status, report.rapporteur, report.summary) == (
        ConsensusReport.Status.DRAFT,
        p.jurors[0],
        "Agreed summary",
    )


def test_rapporteur_sees_reviews_even_when_call_hides_them_between_jurors(client):
    p = panel(jurors=2, jury_visibility="never")
    _all_in(p)
    client.force_login(p.jurors[0].user)

    response = client.get(_url(p.bid))

    assert "Opinion of juror 1" in response.content.decode()


def test_consensus_scores_never_overwrite_individual_scores(client):
    p = panel(jurors=2)
    _all_in(p)
    before = sorted(
        CriterionScore.objects.values_list("review_id", "criterion_id", "value", "comment")
    )
    client.force_login(p.jurors[0].user)

    client.post(_url(p.bid), _consensus_data(p, action="submit"))

    after = sorted(
        CriterionScore.objects.values_list("review_id", "criterion_id", "value", "comment")
    )
    assert before == after
    assert sorted(ConsensusScore.objects.values_list("value", flat=True)) == [
        Decimal(3),
        Decimal("3.5"),
        Decimal(4),
    ]


def test_consensus_submit_requires_every_comment_and_summary(client):
    p = panel(jurors=2)
    _all_in(p)
    client.force_login(p.jurors[0].user)
    data = _consensus_data(p, action="submit", summary="")
    data[next(k for k in data if k.startswith("comment_"))] = ""

    response = client.post(_url(p.bid), data)

    content = response.content.decode()
    assert response.status_code == 200
    assert (
        "Write the consensus comment on" in content,
        "Write the evaluation summary" in content,
    ) == (True, True)
    assert ConsensusReport.objects.count() == 0


def test_consensus_score_off_scale_is_refused(client):
    p = panel(jurors=2)
    _all_in(p)
    client.force_login(p.jurors[0].user)
    data = _consensus_data(p, action="save")
    data[next(k for k in data if k.startswith("score_"))] = "7"

    response = client.post(_url(p.bid), data)

    assert response.status_code == 200
    assert "7 is outside the scale" in response.content.decode()


def test_non_rapporteur_cannot_draft(client):
    p = panel(jurors=2)
    _all_in(p)
    client.force_login(p.jurors[1].user)

    response = client.post(_url(p.bid), _consensus_data(p, action="save"))

    assert response.status_code == 403
    assert ConsensusReport.objects.count() == 0


def test_other_juror_needs_own_review_submitted_to_open_consensus(client):
    p = panel(jurors=2)
    write_review(p.assignments[1], Decimal(3), submitted=False)
    client.force_login(p.jurors[1].user)

    response = client.get(_url(p.bid))

    assert response.status_code == 403


def test_other_juror_comments_on_the_draft(client):
    p = panel(jurors=2)
    _all_in(p)
    ConsensusReport.objects.create(bid=p.bid, rapporteur=p.jurors[0], summary="Draft")
    client.force_login(p.jurors[1].user)

    page = client.get(_url(p.bid))
    response = client.post(_url(p.bid, "consensus_comment"), {"text": "I would raise c1."})

    assert page.status_code == 200
    assert response.status_code == 302
    assert ConsensusComment.objects.get().author == p.jurors[1]


def test_declared_conflict_juror_cannot_comment(client):
    p = panel(jurors=2)
    _all_in(p)
    ConsensusReport.objects.create(bid=p.bid, rapporteur=p.jurors[0], summary="Draft")
    p.bid.declarations.filter(juror=p.jurors[1]).update(has_conflict=True, reason="Late finding")
    client.force_login(p.jurors[1].user)

    response = client.post(_url(p.bid, "consensus_comment"), {"text": "Sneaky"})

    assert response.status_code == 404
    assert ConsensusComment.objects.count() == 0


def test_comments_on_an_approved_consensus_are_refused(client):
    p = panel(jurors=2)
    _all_in(p)
    ConsensusReport.objects.create(
        bid=p.bid, rapporteur=p.jurors[0], status=ConsensusReport.Status.APPROVED, summary="S"
    )
    client.force_login(p.jurors[1].user)

    response = client.post(_url(p.bid, "consensus_comment"), {"text": "Too late"})

    assert response.status_code == 403
    assert ConsensusComment.objects.count() == 0


def test_submitted_consensus_is_locked_for_the_rapporteur(client):
    p = panel(jurors=2)
    report = _approved(p)
    client.force_login(p.jurors[0].user)

    response = client.post(_url(p.bid), _consensus_data(p, action="save", version=report.version))

    report.refresh_from_db()
    assert response.status_code == 403
    assert report.summary == "S"


def test_administrator_approves_and_summary_becomes_available(client):
    p = panel(jurors=2)
    report = _approved(p)
    admin = administrator_with_totp()
    client.force_login(admin)

    before = evaluation_summary_for(bid=p.bid)
    response = client.post(_url(p.bid, "consensus_approve"), {"action": "approve"})

    report.refresh_from_db()
    assert before is None
    assert response.status_code == 302
    assert (report.status, report.approved_by) == (ConsensusReport.Status.APPROVED, admin)
    assert evaluation_summary_for(bid=p.bid).summary == "S"


def test_administrator_returns_a_report_to_draft(client):
    p = panel(jurors=2)
    report = _approved(p)
    client.force_login(administrator_with_totp())

    client.post(_url(p.bid, "consensus_approve"), {"action": "return", "reason": "Revise c1"})

    report.refresh_from_db()
    assert report.status == ConsensusReport.Status.DRAFT


@pytest.mark.parametrize("who", ["rapporteur", "member"])
def test_approval_is_forbidden_to_non_administrators(client, who):
    p = panel(jurors=2)
    report = _approved(p)
    client.force_login(p.jurors[0].user if who == "rapporteur" else institution_member(bid=p.bid))

    response = client.post(_url(p.bid, "consensus_approve"), {"action": "approve"})

    report.refresh_from_db()
    assert response.status_code == 403
    assert report.status == ConsensusReport.Status.SUBMITTED


def test_evaluation_summary_holds_consensus_scores_comments_and_weighted_total(client):
    p = panel(jurors=2, weights=[Decimal(2), Decimal(1), Decimal(1)])
    _all_in(p)
    client.force_login(p.jurors[0].user)
    client.post(_url(p.bid), _consensus_data(p, action="submit"))
    client.force_login(administrator_with_totp())
    client.post(_url(p.bid, "consensus_approve"), {"action": "approve"})

    summary = evaluation_summary_for(bid=p.bid)

    assert [(line.value, line.comment) for line in summary.lines] == [
        (Decimal(3), "c0"),
        (Decimal("3.5"), "c1"),
        (Decimal(4), "c2"),
    ]
    # the weighted mean: (3×2 + 3.5 + 4) / 4, on the 0–5 scale
    assert summary.total == Decimal("3.375")
