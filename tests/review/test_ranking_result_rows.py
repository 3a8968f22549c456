"""The index of a run's result (``review.services.ranking_rows``): its rows say what the
stored result says, it is written once, and the run page reads it instead of the result."""

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from review.models import RankingResultIndex, RankingResultRow, RankingRun
from review.queries.ranking import run_page_figures, run_row, run_table
from review.services.ranking_rows import index_run_result
from review.services.ranking_runs import RunSettings, create_and_run_ranking, create_ranking_run
from tests.factories import AdministratorFactory
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


def _run(setup, **settings) -> RankingRun:
    return create_and_run_ranking(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings(**settings)
    )


def test_the_indexed_rows_agree_with_the_stored_result():
    setup = scored_call(bids=12, jurors=6, criteria=2)
    run = _run(setup, bootstrap_samples=50, bootstrap_seed=3, lottery=True)
    table = run_table(RankingRun.objects.select_related("call").get(pk=run.pk))
    assert table is not None

    records = RankingResultRow.objects.filter(run=run).order_by("position")
    figures = run_page_figures(RankingRun.objects.select_related("result_index").get(pk=run.pk))

    assert [run_row(record) for record in records] == table.rows
    assert [(r.label, r.rank, r.score, r.selected) for r in records] == [
        (row.label, row.rank, row.score, row.selected) for row in table.rows
    ]
    assert figures is not None
    assert figures.table == dataclasses.replace(table, rows=[])
    assert figures.ranks == 12
    assert figures.winners_amounts == [
        (row.label, row.granted, row.requested) for row in table.rows if row.selected
    ]


def test_indexing_twice_writes_the_rows_once():
    setup = scored_call(bids=6)
    run = _run(setup)

    assert index_run_result(run_id=run.pk) is True

    assert RankingResultRow.objects.filter(run=run).count() == 6
    assert RankingResultIndex.objects.filter(run=run).count() == 1


def test_a_run_not_done_is_not_indexed():
    setup = scored_call(bids=6)
    run = create_ranking_run(call=setup.call, by=AdministratorFactory(), settings=RunSettings())

    assert index_run_result(run_id=run.pk) is False
    assert not RankingResultRow.objects.filter(run=run).exists()


def test_a_run_finished_before_the_index_is_indexed_when_first_shown(admin_client):
    setup = scored_call(bids=6)
    run = _run(setup)
    RankingResultIndex.objects.filter(run=run).delete()
    RankingResultRow.objects.filter(run=run).delete()
    url = reverse("review:ranking_run", args=[setup.call.slug, run.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert [row.rank for row, _ in response.context["rows"]] == [1, 2, 3, 4, 5, 6]
    assert RankingResultRow.objects.filter(run=run).count() == 6


def test_the_run_page_does_not_read_the_stored_result(admin_client):
    setup = scored_call(bids=6)
    run = _run(setup)
    url = reverse("review:ranking_run", args=[setup.call.slug, run.pk])

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)

    assert response.status_code == 200
    columns = ('"review_rankingrun"."result"', '"review_rankingrun"."result_json"')
    assert [q["sql"] for q in queries if any(column in q["sql"] for column in columns)] == []
    assert response.context["table"].winners == len(run.result["winners"])
