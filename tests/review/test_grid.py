"""The evaluation grid: frozen once reviewing starts; weights keep the total on the scale."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.editing import Locked
from review import scoring
from review.models import Criterion
from review.queries.criteria import criteria_of
from review.queries.ranking import ranking_data
from review.queries.reviews import reviews_of_bid
from tests.review.jury_setup import administrator_with_totp
from tests.review.review_setup import call_with_grid, panel, write_review

pytestmark = pytest.mark.django_db


def _admin_post(criterion: Criterion, **changes) -> dict:
    data = {
        "call": criterion.call_id,
        "code": criterion.code,
        "name_en": criterion.name_en,
        "name_fr": criterion.name_fr,
        "guidance_en": criterion.guidance_en,
        "guidance_fr": criterion.guidance_fr,
        "weight": str(criterion.weight),
        "scale_min": str(criterion.scale_min),
        "scale_max": str(criterion.scale_max),
        "scale_step": str(criterion.scale_step),
        "threshold": "" if criterion.threshold is None else str(criterion.threshold),
        "descriptors": json.dumps(criterion.descriptors),
        "order": str(criterion.order),
    }
    data.update({key: str(value) for key, value in changes.items()})
    return data


def _reviewing_started():
    p = panel(jurors=2)
    write_review(p.assignments[0], Decimal(3), submitted=False)
    return p


def test_grid_change_is_refused_once_a_review_exists():
    p = _reviewing_started()
    criterion = Criterion.objects.filter(call=p.call).first()
    criterion.weight = Decimal(2)

    with pytest.raises(ValidationError) as refused:
        criterion.full_clean()

    assert "evaluation grid" in refused.value.messages[0]


def test_check_grid_editable_is_a_403_family_error_once_a_review_exists():
    p = _reviewing_started()

    with pytest.raises(Locked):
        Criterion.check_grid_editable(p.call.pk)


def test_adding_a_criterion_is_refused_once_a_review_exists():
    p = _reviewing_started()
    criterion = Criterion(call=p.call, code="late", name_en="Late", name_fr="Tard")

    with pytest.raises(ValidationError):
        criterion.full_clean()


def test_grid_change_is_allowed_before_the_first_review():
    p = panel(jurors=2)
    criterion = Criterion.objects.filter(call=p.call).first()
    criterion.weight = Decimal(2)
    criterion.threshold = Decimal(3)

    criterion.full_clean()


def test_names_stay_editable_once_reviewing_started():
    p = _reviewing_started()
    criterion = Criterion.objects.filter(call=p.call).first()
    criterion.name_fr = "Excellence (corrigé)"

    criterion.full_clean()


def test_weight_must_be_positive():
    call = call_with_grid(criteria=1)
    criterion = Criterion(call=call, code="zero", name_en="Z", name_fr="Z", weight=Decimal(0))

    with pytest.raises(ValidationError) as refused:
        criterion.full_clean()

    assert list(refused.value.message_dict) == ["weight"]


def test_criteria_of_a_call_share_one_scale():
    call = call_with_grid(criteria=1)
    criterion = Criterion(call=call, code="ten", name_en="T", name_fr="T", scale_max=Decimal(10))

    with pytest.raises(ValidationError) as refused:
        criterion.full_clean()

    assert "same scale (here 0–5)" in refused.value.messages[0]


def test_admin_change_of_a_weight_is_refused_with_the_reason_once_reviewing_started(client):
    p = _reviewing_started()
    criterion = Criterion.objects.filter(call=p.call).first()
    client.force_login(administrator_with_totp())
    url = reverse("admin:review_criterion_change", args=[criterion.pk])

    page = client.get(url)
    response = client.post(url, _admin_post(criterion, weight="0.5"))

    criterion.refresh_from_db()
    assert criterion.weight == Decimal(1)
    assert response.status_code == 200
    assert "can no longer change" in response.content.decode()
    assert "can no longer change" in page.content.decode()


def test_admin_change_of_a_weight_is_saved_before_reviewing(client):
    p = panel(jurors=2)
    criterion = Criterion.objects.filter(call=p.call).first()
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("admin:review_criterion_change", args=[criterion.pk]),
        _admin_post(criterion, weight="0.5"),
    )

    criterion.refresh_from_db()
    assert response.status_code == 302
    assert criterion.weight == Decimal("0.5")


def test_admin_delete_of_a_frozen_criterion_is_refused(client):
    p = _reviewing_started()
    criterion = Criterion.objects.filter(call=p.call).first()
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("admin:review_criterion_delete", args=[criterion.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Criterion.objects.filter(pk=criterion.pk).exists()


def test_admin_add_to_a_frozen_grid_is_refused(client):
    p = _reviewing_started()
    template = Criterion.objects.filter(call=p.call).first()
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("admin:review_criterion_add"), _admin_post(template, code="late")
    )

    assert response.status_code == 200
    assert "can no longer change" in response.content.decode()
    assert not Criterion.objects.filter(call=p.call, code="late").exists()


# The case that was reported: four criteria at 0.30/0.20/0.20/0.15 and governance at 0.50.
GOVERNANCE_CASE = [
    Decimal("0.30"),
    Decimal("0.20"),
    Decimal("0.20"),
    Decimal("0.15"),
    Decimal("0.50"),
]


def test_a_governance_weight_of_050_keeps_the_total_on_the_0_5_scale():
    top = {index: Decimal(5) for index in range(5)}
    weights = dict(enumerate(GOVERNANCE_CASE))

    assert scoring.weighted_total(top, weights) == Decimal(5)
    assert scoring.maximum_total(weights, top) == Decimal(5)


def test_review_totals_and_ranking_input_agree_on_the_weighted_mean():
    p = panel(jurors=1, criteria=5, weights=GOVERNANCE_CASE)
    write_review(p.assignments[0], [Decimal(4), Decimal(4), Decimal(4), Decimal(4), Decimal(5)])

    [card] = reviews_of_bid(bid=p.bid, criteria=criteria_of(p.call))
    engine_weights = [c["weight"] for c in ranking_data(call=p.call).data["criteria"]]
    engine_total = sum(w * s for w, s in zip(engine_weights, [4, 4, 4, 4, 5], strict=True))

    assert card.total.quantize(Decimal("0.0001")) == Decimal("4.3704")
    assert card.total <= 5
    assert round(engine_total, 4) == float(card.total.quantize(Decimal("0.0001")))
