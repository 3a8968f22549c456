"""The jury's long pages go by page: a constant number of queries and a page of rows,
whatever the size of the call (pinned at two sizes)."""

import pytest
from django.urls import reverse

from portal.pagination import PER_PAGE
from review.models import AssignmentProposal
from review.services import decisions as decision_service
from review.services.proposal_index import index_proposal_result
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from tests.factories import AdministratorFactory, enable_totp
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import ready_proposal, scored_call

pytestmark = pytest.mark.django_db

SIZES = [30, 300]


def _pages(size: int) -> int:
    return -(-size // PER_PAGE)


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


def _proposal(setup) -> AssignmentProposal:
    pairs = [
        {"juror": juror.pk, "bid": bid.pk, "similarity": 0.5, "pinned": False}
        for bid, juror in ((a.bid, a.juror) for a in setup.assignments)
    ]
    proposal = ready_proposal(setup, pairs)
    # As the computation does once it stores the result (the first view would otherwise).
    index_proposal_result(proposal_id=proposal.pk)
    return proposal


@pytest.mark.parametrize("size", SIZES)
def test_proposal_preview_shows_one_page_in_fixed_queries(
    admin_client, django_assert_max_num_queries, size
):
    setup = scored_call(bids=size, jurors=60, criteria=1)
    proposal = _proposal(setup)
    url = reverse("review:proposal_detail", args=[proposal.pk])

    # Session, user, TOTP, the proposal with its index; count and page of bids, their
    # pairs; count and page of jurors, their figures.
    with django_assert_max_num_queries(10):
        response = admin_client.get(url, {"page": 2, "jurors_page": 2})

    preview = response.context["preview"]
    assert (preview.bids.number, preview.bids.paginator.num_pages) == (
        min(2, _pages(size)),
        _pages(size),
    )
    assert [row.bid.acronym for row in preview.bids] == [
        f"BID{index:02d}"
        for index in sorted(range(size), key=lambda i: f"BID{i:02d}")[
            (preview.bids.number - 1) * PER_PAGE : preview.bids.number * PER_PAGE
        ]
    ]
    assert [len(row.pairs) for row in preview.bids] == [3] * len(preview.bids)
    jurors = len(proposal.result["load"])
    page = min(2, _pages(jurors))
    assert (preview.jurors.number, len(preview.jurors)) == (
        page,
        min(PER_PAGE, jurors - (page - 1) * PER_PAGE),
    )


@pytest.mark.parametrize("size", SIZES)
def test_ranking_run_page_shows_one_page_in_fixed_queries(
    admin_client, django_assert_max_num_queries, size
):
    setup = scored_call(bids=size, jurors=20, criteria=2, max_winners=size)
    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory(), settings=RunSettings())
    url = reverse("review:ranking_run", args=[setup.call.slug, run.pk])

    with django_assert_max_num_queries(9):
        response = admin_client.get(url, {"page": _pages(size)})

    rows = [row for row, _ in response.context["rows"]]
    assert [row.rank for row in rows] == list(range((_pages(size) - 1) * PER_PAGE + 1, size + 1))
    assert len(response.context["score_chart"]["rows"]) == len(rows)


@pytest.mark.parametrize("size", SIZES)
def test_progress_page_shows_one_page_of_the_matrix_in_fixed_queries(
    admin_client, django_assert_max_num_queries, size
):
    setup = scored_call(bids=size, jurors=90, criteria=2)
    url = reverse("review:call_progress", args=[setup.call.slug])

    with django_assert_max_num_queries(15):
        response = admin_client.get(url)

    html = response.content.decode()
    assert html.count('<th scope="row" class="bid">') == min(size, PER_PAGE)
    assert len(response.context["jurors"]) == PER_PAGE
    # 90 jurors: the columns are those of the page's bids, not all of them.
    page_bids = {bid.pk for bid in response.context["bids"]}
    shown = {a.juror_id for a in setup.assignments if a.bid_id in page_bids}
    assert html.count("jury-matrix-juror") == len(shown)


@pytest.mark.parametrize("size", SIZES)
def test_decision_page_shows_one_page_of_lines_in_fixed_queries(
    admin_client, django_assert_max_num_queries, size
):
    preparer = AdministratorFactory()
    setup = scored_call(bids=size, jurors=20, criteria=1, max_winners=size)
    run = create_and_run_ranking(call=setup.call, by=preparer, settings=RunSettings())
    decision_service.prepare_decision(call=setup.call, run=run, by=preparer)

    with django_assert_max_num_queries(14):
        response = admin_client.get(reverse("review:decision", args=[setup.call.slug]))

    assert len(response.context["rows"]) == min(size, PER_PAGE)
    assert response.context["totals"].winners + response.context["totals"].reserve <= size


@pytest.mark.parametrize("size", SIZES)
def test_juror_list_shows_one_page_in_fixed_queries(client, django_assert_max_num_queries, size):
    setup = scored_call(bids=size, jurors=1, per_bid=1, criteria=1)
    juror = setup.jurors[0]
    enable_totp(juror.user)
    client.force_login(juror.user)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("review:juror_dashboard"))

    assert len(response.context["rows"]) == size
    assert len(response.context["page"]) == min(size, PER_PAGE)


def test_ranking_run_page_filters_by_text_score_and_recommendation(admin_client):
    setup = scored_call(bids=12, jurors=6, criteria=2)
    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory(), settings=RunSettings())
    url = reverse("review:ranking_run", args=[setup.call.slug, run.pk])
    everything = [row for row, _ in admin_client.get(url).context["rows"]]
    middle = sorted(row.score for row in everything)[6]

    response = admin_client.get(url, {"text": "bid0", "score_min": middle})
    granted = admin_client.get(url, {"selected": "yes"})

    assert [row.label for row, _ in response.context["rows"]] == [
        row.label for row in everything if "BID0" in row.label and row.score >= middle
    ]
    assert 0 < len(response.context["rows"]) < len(everything)
    assert [row.label for row, _ in granted.context["rows"]] == [
        row.label for row in everything if row.selected
    ]


def test_ranking_run_page_refuses_an_inverted_score_range_with_the_input(admin_client):
    setup = scored_call(bids=4, jurors=4, criteria=1)
    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory(), settings=RunSettings())
    url = reverse("review:ranking_run", args=[setup.call.slug, run.pk])

    response = admin_client.get(url, {"score_min": "4", "score_max": "2"})

    assert response.context["filters"].errors["score_max"] == [
        "The upper score is below the lower one."
    ]
    assert 'value="4"' in response.content.decode()
    assert len(response.context["rows"]) == 4
