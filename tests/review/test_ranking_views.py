"""Ranking-run pages: permissions per role, the form, the run page, status, comparison."""

import pytest
from django.urls import reverse

from review.models import RankingRun
from review.services.ranking_runs import RunSettings, create_and_run_ranking, create_ranking_run
from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    return scored_call(bids=6)


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


def _done_run(setup, **settings) -> RankingRun:
    return create_and_run_ranking(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings(**settings)
    )


def _urls(setup, run):
    slug = setup.call.slug
    return [
        reverse("review:ranking_runs", args=[slug]),
        reverse("review:ranking_run", args=[slug, run.pk]),
        reverse("review:ranking_run_status", args=[slug, run.pk]),
        reverse("review:ranking_compare", args=[slug]) + f"?a={run.pk}&b={run.pk}",
        reverse("review:ranking_export", args=[slug, run.pk, "csv"]),
        reverse("review:ranking_input", args=[slug, run.pk]),
    ]


def test_ranking_pages_send_anonymous_visitors_to_login(client, setup):
    run = _done_run(setup)

    for url in _urls(setup, run):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_ranking_pages_refuse_an_institution_member(client, setup):
    run = _done_run(setup)
    client.force_login(MembershipFactory(institution=setup.bids[0].lead_institution).user)

    assert [client.get(url).status_code for url in _urls(setup, run)] == [403] * 6


def test_ranking_pages_refuse_a_juror_of_the_call(client, setup):
    run = _done_run(setup)
    client.force_login(juror_with_totp(call=setup.call).user)

    assert [client.get(url).status_code for url in _urls(setup, run)] == [403] * 6


def test_ranking_pages_send_an_administrator_without_totp_to_activation(client, setup, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    run = _done_run(setup)
    client.force_login(AdministratorFactory())

    response = client.get(_urls(setup, run)[1])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_ranking_pages_open_for_an_administrator(admin_client, setup):
    run = _done_run(setup, bootstrap_samples=100, bootstrap_seed=1)

    assert [admin_client.get(url).status_code for url in _urls(setup, run)] == [200] * 6


def test_a_run_of_another_call_is_not_found(admin_client, setup):
    other = scored_call(bids=2)
    run = _done_run(other)

    response = admin_client.get(reverse("review:ranking_run", args=[setup.call.slug, run.pk]))

    assert response.status_code == 404


def test_posting_the_form_creates_and_computes_a_run(
    admin_client, setup, django_capture_on_commit_callbacks
):
    url = reverse("review:ranking_runs", args=[setup.call.slug])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "basis": "jurors",
                "rule": "partial",
                "overflow": "skip",
                "calibration": "zscore",
                "aggregate": "median",
                "tiebreak": "crit2, crit0",
                "bootstrap_samples": "150",
                "bootstrap_seed": "42",
                "lottery": "on",
            },
        )

    run = RankingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("review:ranking_run", args=[setup.call.slug, run.pk])
    assert run.status == RankingRun.Status.DONE
    assert run.engine_input["tiebreak"] == ["crit2", "crit0"]
    assert run.engine_input["aggregate"] == "median"
    assert run.parameters["bootstrap_seed"] == 42
    assert run.parameters["lottery_commitment"] == run.result["lottery"]["commitment"]


def test_an_invalid_form_re_renders_with_the_input(admin_client, setup):
    url = reverse("review:ranking_runs", args=[setup.call.slug])

    response = admin_client.post(
        url,
        {
            "basis": "jurors",
            "rule": "optimal",
            "overflow": "skip",
            "calibration": "none",
            "aggregate": "mean",
            "tiebreak": "crit0, bogus",
            "bootstrap_samples": "0",
            "lottery": "on",
        },
    )

    form = response.context["form"]
    assert response.status_code == 200
    assert RankingRun.objects.count() == 0
    assert sorted(form.errors) == ["lottery", "tiebreak"]
    assert 'value="crit0, bogus"' in response.content.decode()


def test_a_service_refusal_shows_on_the_form(admin_client):
    setup = scored_call(bids=0)
    url = reverse("review:ranking_runs", args=[setup.call.slug])

    response = admin_client.post(
        url,
        {
            "basis": "jurors",
            "rule": "optimal",
            "overflow": "skip",
            "calibration": "none",
            "aggregate": "mean",
            "bootstrap_samples": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The call has no submitted and eligible bid to rank."
    ]


def test_a_pending_run_shows_the_progress_bar_and_the_commitment_only(admin_client, setup):
    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(bootstrap_samples=100, lottery=True),
    )

    response = admin_client.get(reverse("review:ranking_run", args=[setup.call.slug, run.pk]))

    content = response.content.decode()
    assert 'id="ranking-progress"' in content
    assert run.parameters["lottery_commitment"] in content
    assert run.engine_input["lottery"]["seed"] not in content
    assert 'http-equiv="refresh"' in content


def test_the_input_of_a_pending_run_is_not_published(admin_client, setup):
    run = create_ranking_run(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(bootstrap_samples=100, lottery=True),
    )

    response = admin_client.get(reverse("review:ranking_input", args=[setup.call.slug, run.pk]))

    assert response.status_code == 302


def test_a_done_run_shows_the_table_charts_and_revealed_seed(admin_client, setup):
    run = _done_run(setup, bootstrap_samples=100, bootstrap_seed=4, lottery=True)

    response = admin_client.get(reverse("review:ranking_run", args=[setup.call.slug, run.pk]))

    content = response.content.decode()
    assert response.context["table"].winners == len(run.result["winners"])
    assert content.count("<svg") == 2
    assert run.result["lottery"]["seed"] in content
    assert "BID00" in content


def test_a_failed_run_shows_why(admin_client):
    setup = scored_call(bids=4, jurors=4, per_bid=2, groups=2)
    run = _done_run(setup, calibration="additive")

    response = admin_client.get(reverse("review:ranking_run", args=[setup.call.slug, run.pk]))

    assert run.status == RankingRun.Status.FAILED
    assert "groups that share no bid" in response.content.decode()


def test_status_endpoint_reports_progress(admin_client, setup):
    run = create_ranking_run(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings(bootstrap_samples=300)
    )
    RankingRun.objects.filter(pk=run.pk).update(
        status=RankingRun.Status.RUNNING, chunks_done=1, progress=33
    )

    response = admin_client.get(
        reverse("review:ranking_run_status", args=[setup.call.slug, run.pk])
    )

    assert response.json() == {
        "status": "running",
        "status_display": "Running",
        "progress": 33,
        "chunks_done": 1,
        "chunks_total": 3,
    }


def test_compare_lists_who_enters_and_who_leaves(admin_client):
    setup = scored_call(bids=8, max_winners=4, envelope=120_000_000)
    merit = _done_run(setup, rule="merit_order")
    optimal = _done_run(setup, rule="partial")

    response = admin_client.get(
        reverse("review:ranking_compare", args=[setup.call.slug]) + f"?a={merit.pk}&b={optimal.pk}"
    )

    winners_a, winners_b = set(merit.result["winners"]), set(optimal.result["winners"])
    changes = {item.id: item.change for item, _a, _b in response.context["bids"]}
    assert {key for key, change in changes.items() if change == "enters"} == winners_b - winners_a
    assert {key for key, change in changes.items() if change == "leaves"} == winners_a - winners_b
    assert winners_a != winners_b
    assert response.context["same_scores"] is True


def test_compare_with_a_missing_run_is_not_found(admin_client, setup):
    run = _done_run(setup)

    response = admin_client.get(
        reverse("review:ranking_compare", args=[setup.call.slug]) + f"?a={run.pk}&b=nope"
    )

    assert response.status_code == 404


@pytest.mark.parametrize("runs", [1, 10])
def test_runs_list_takes_a_fixed_number_of_queries(
    admin_client, setup, runs, django_assert_max_num_queries
):
    for _ in range(runs):
        _done_run(setup)
    url = reverse("review:ranking_runs", args=[setup.call.slug])

    with django_assert_max_num_queries(8):
        response = admin_client.get(url)

    assert len(response.context["runs"]) == runs
