from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import Call, Membership
from review.models import ConsensusReport, ConsensusScore, Criterion
from tests.factories import AdministratorFactory, MembershipFactory, UserFactory
from tests.review.review_setup import panel

pytestmark = pytest.mark.django_db


def _approved_consensus(bid, rapporteur) -> ConsensusReport:
    report = ConsensusReport.objects.create(
        bid=bid,
        rapporteur=rapporteur,
        status=ConsensusReport.Status.APPROVED,
        summary="A convincing cluster.",
        approved_by=AdministratorFactory(),
        approved_at=timezone.now(),
    )
    for criterion in Criterion.objects.filter(call=bid.call):
        ConsensusScore.objects.create(
            report=report, criterion=criterion, value=Decimal("4.0"), comment="Well argued."
        )
    return report


def _url(bid) -> str:
    return f"/jury/bids/{bid.public_id}/evaluation/"


def test_evaluation_summary_published_call_shows_consensus_to_member(client):
    setup = panel(jurors=3)
    _approved_consensus(setup.bid, setup.jurors[0])
    Call.objects.filter(pk=setup.call.pk).update(status=Call.Status.PUBLISHED)
    member = MembershipFactory(
        institution=setup.bid.lead_institution, role=Membership.Role.READER
    ).user
    client.force_login(member)

    response = client.get(_url(setup.bid))

    page = response.content.decode()
    assert response.status_code == 200
    assert "A convincing cluster." in page
    assert page.count("Well argued.") == 3
    assert setup.jurors[0].display_name not in page


def test_evaluation_summary_before_publication_shows_nothing_yet(client):
    setup = panel(jurors=3)
    _approved_consensus(setup.bid, setup.jurors[0])
    member = MembershipFactory(institution=setup.bid.lead_institution).user
    client.force_login(member)

    response = client.get(_url(setup.bid))

    assert response.status_code == 200
    assert "A convincing cluster." not in response.content.decode()
    assert 'id="evaluation-pending"' in response.content.decode()


def test_evaluation_summary_other_institution_gets_404(client):
    setup = panel(jurors=3)
    Call.objects.filter(pk=setup.call.pk).update(status=Call.Status.PUBLISHED)
    client.force_login(MembershipFactory().user)

    assert client.get(_url(setup.bid)).status_code == 404


def test_evaluation_summary_unrelated_user_gets_404(client):
    setup = panel(jurors=3)
    client.force_login(UserFactory())

    assert client.get(_url(setup.bid)).status_code == 404


def test_evaluation_summary_anonymous_redirected_to_login(client):
    setup = panel(jurors=3)

    response = client.get(_url(setup.bid))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
