"""The public results: a published call's page, its open data and the index; hidden before
publication; the jury listed only with consent; open to every visitor, TOTP or not."""

import csv
import io
import json

import pytest
from django.conf import settings
from django.urls import reverse

from applications.models import Call
from review.models import BidDecision, RankingRun
from review.queries.results import RESULTS_COLUMNS
from review.services import decisions as decision_service
from review.services.ranking_runs import RunSettings
from tests.factories import (
    AdministratorFactory,
    AffiliationFactory,
    CallFactory,
    JurorProfileFactory,
    MembershipFactory,
)
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.results_setup import decided_call

pytestmark = pytest.mark.django_db

F = BidDecision.Outcome


def _urls(slug: str) -> list[str]:
    return [
        reverse("results:call", args=[slug]),
        reverse("results:csv", args=[slug]),
        reverse("results:json", args=[slug]),
    ]


def _lines(decision, outcome) -> list[BidDecision]:
    lines = decision.lines.select_related("bid__lead_institution").filter(outcome=outcome)
    if outcome == F.RESERVE:
        return list(lines.order_by("reserve_position"))
    return list(lines.order_by("rank"))


@pytest.fixture
def published():
    return decided_call(bids=6)


# --------------------------------------------------------------------------- hidden


@pytest.mark.parametrize(
    "status",
    [Call.Status.DRAFT, Call.Status.OPEN, Call.Status.CLOSED, Call.Status.UNDER_REVIEW],
)
def test_results_are_404_before_the_decision(client, status):
    call = CallFactory(status=status)

    assert [client.get(url).status_code for url in _urls(call.slug)] == [404, 404, 404]


def test_results_are_404_for_a_call_decided_but_not_published(client):
    decided = decided_call(status=Call.Status.DECIDED)

    assert [client.get(url).status_code for url in _urls(decided.call.slug)] == [404, 404, 404]


def test_results_are_404_for_an_unknown_call(client):
    assert [client.get(url).status_code for url in _urls("no-such-call")] == [404, 404, 404]


# --------------------------------------------------------------------------- the page


def test_results_page_shows_the_winners_amounts_and_total_against_the_envelope(client, published):
    funded = _lines(published.decision, F.FUNDED)
    not_funded = _lines(published.decision, F.NOT_FUNDED)
    assert funded

    response = client.get(reverse("results:call", args=[published.call.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    total = sum(line.amount_awarded for line in funded)
    for line in funded:
        assert line.bid.acronym in html
        assert line.bid.lead_institution.name in html
        assert f"€{line.amount_awarded:,}" in html
    for line in not_funded:
        assert line.bid.acronym not in html
    assert response.context["results"].totals.awarded == total
    assert response.context["results"].totals.winners == len(funded)
    assert f"awarded of an envelope of €{published.call.envelope:,}" in html
    assert f"€{total:,}" in html


def test_results_page_lists_the_reserve_in_order_without_amounts(client, published):
    reserve = _lines(published.decision, F.RESERVE)
    assert reserve

    response = client.get(reverse("results:call", args=[published.call.slug]))

    rows = response.context["results"].reserve
    assert [row["bid_acronym"] for row in rows] == [line.bid.acronym for line in reserve]
    assert [row["reserve_position"] for row in rows] == list(range(1, len(reserve) + 1))
    assert {row["amount_awarded_eur"] for row in rows} == {None}


def test_results_page_names_only_the_listed_jurors_with_their_current_affiliation(
    client, published
):
    call = published.call
    listed = juror_with_totp(call=call, display_name="Ada Listed", listed_publicly=True)
    listed.country = "Italy"
    listed.save()
    AffiliationFactory(juror=listed, institution=None, organisation_name="Politecnico di Milano")
    AffiliationFactory(
        juror=listed, institution=None, organisation_name="Old Lab", start_year=2001, end_year=2010
    )
    unlisted = juror_with_totp(call=call, display_name="Bob Unlisted")
    other_call = JurorProfileFactory(display_name="Cleo Elsewhere", listed_publicly=True)
    other_call.calls.add(CallFactory())

    response = client.get(reverse("results:call", args=[call.slug]))

    html = response.content.decode()
    assert "Ada Listed, Politecnico di Milano (Italy)" in html
    assert "Old Lab" not in html
    assert unlisted.display_name not in html
    assert other_call.display_name not in html
    # The ranking set-up's jurors (not listed) are not named either.
    assert all(juror.display_name not in html for juror in published.setup.jurors)


def test_results_page_states_the_method_without_a_draw(client, published):
    response = client.get(reverse("results:call", args=[published.call.slug]))

    method = response.content.decode().split('id="method"')[1]
    assert "Optimal portfolio" in method
    assert "The jurors&#x27; individual scores" in method
    assert "No calibration (raw scores)" in method
    assert "No draw." in method


def test_results_page_shows_the_basis_when_the_run_records_one(client, published):
    run = published.run
    run.parameters = {**run.parameters, "basis": "consensus"}
    RankingRun.objects.filter(pk=run.pk).update(parameters=run.parameters)

    response = client.get(reverse("results:call", args=[published.call.slug]))

    method = response.content.decode().split('id="method"')[1]
    assert "The approved consensus scores, with the panel&#x27;s adjustments" in method


def test_results_page_shows_the_lottery_commitment_and_its_reveal(client):
    drawn = decided_call(
        bids=6,
        settings=RunSettings(rule="merit_order", bootstrap_samples=200, lottery=True),
    )
    commitment = drawn.run.parameters["lottery_commitment"]
    seed = drawn.run.result["lottery"]["seed"]

    response = client.get(reverse("results:call", args=[drawn.call.slug]))

    method = response.content.decode().split('id="method"')[1]
    assert commitment in method
    assert seed in method
    assert "The revealed seed matches the commitment." in method
    document = client.get(reverse("results:json", args=[drawn.call.slug])).json()
    assert document["method"]["lottery"] == {"commitment": commitment, "seed": seed}


def test_results_follow_a_version_approved_after_publication(client, published):
    first = published.decision
    leaving = _lines(first, F.FUNDED)[0].bid
    promoted = _lines(first, F.RESERVE)[0].bid
    draft = decision_service.revise_decision(
        call=published.call, reason="A winner withdrew.", by=AdministratorFactory()
    )
    preparer = AdministratorFactory()
    decision_service.promote_from_reserve(
        decision=draft, leaving=leaving, reason="Withdrew on 3 May.", by=preparer
    )
    decision_service.approve_decision(decision=draft, by=AdministratorFactory())

    document = client.get(reverse("results:json", args=[published.call.slug])).json()

    funded = [row["bid_acronym"] for row in document["results"] if row["outcome"] == "funded"]
    assert document["call"]["decision_version"] == 2
    assert promoted.acronym in funded
    assert leaving.acronym not in [row["bid_acronym"] for row in document["results"]]


def test_results_page_in_french(client, published):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    funded = _lines(published.decision, F.FUNDED)

    response = client.get(reverse("results:call", args=[published.call.slug]))

    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert '<h1 class="h3">Clusters IA</h1>' in html
    amount = f"{funded[0].amount_awarded:,}".replace(",", "\u00a0")
    assert f"{amount}\u00a0€" in html
    assert "Lauréats" in html


# --------------------------------------------------------------------------- open data


def _expected_rows(decided) -> list[list[str]]:
    rows = []
    for outcome in (F.FUNDED, F.RESERVE):
        for line in _lines(decided.decision, outcome):
            lead = line.bid.lead_institution
            rows.append(
                [
                    decided.call.slug,
                    line.bid.acronym,
                    line.bid.title,
                    lead.name,
                    lead.identifier_type,
                    lead.identifier,
                    outcome.value,
                    str(line.amount_awarded) if outcome == F.FUNDED else "",
                    str(line.bid.requested_amount),
                    str(line.reserve_position) if outcome == F.RESERVE else "",
                ]
            )
    return rows


def test_results_csv_has_the_stable_columns_and_the_decision_rows(client, published):
    response = client.get(reverse("results:csv", args=[published.call.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert f"results-{published.call.slug}.csv" in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert table[0] == [
        "call",
        "bid_acronym",
        "bid_title",
        "lead_institution",
        "lead_institution_id_type",
        "lead_institution_id",
        "outcome",
        "amount_awarded_eur",
        "amount_requested_eur",
        "reserve_position",
    ]
    assert table[0] == list(RESULTS_COLUMNS)
    assert table[1:] == _expected_rows(published)


def test_results_json_matches_the_decision(client, published):
    funded = _lines(published.decision, F.FUNDED)

    response = client.get(reverse("results:json", args=[published.call.slug]))

    document = json.loads(response.content)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert document["columns"] == list(RESULTS_COLUMNS)
    assert [list(row) for row in document["results"]] == [list(RESULTS_COLUMNS)] * len(
        document["results"]
    )
    expected = [
        [int(v) if v.isdigit() and i in (7, 8, 9) else (v or None) for i, v in enumerate(row)]
        for row in _expected_rows(published)
    ]
    assert [list(row.values()) for row in document["results"]] == expected
    assert document["call"]["slug"] == published.call.slug
    assert document["call"]["envelope_eur"] == published.call.envelope
    assert document["call"]["decision_version"] == published.decision.number
    assert document["totals"]["winners"] == len(funded)
    assert document["totals"]["awarded_eur"] == sum(line.amount_awarded for line in funded)
    assert document["method"] == {
        "rule": "optimal",
        "calibration": "none",
        "basis": "jurors",
        "lottery": None,
    }
    assert document["jury"] == []


def test_results_csv_quotes_a_title_a_spreadsheet_would_run(client, published):
    line = _lines(published.decision, F.FUNDED)[0]
    line.bid.title = "=HYPERLINK(1)"
    line.bid.save()

    response = client.get(reverse("results:csv", args=[published.call.slug]))

    assert "'=HYPERLINK(1)" in response.getvalue().decode("utf-8-sig")


# --------------------------------------------------------------------------- the index


def test_index_lists_only_published_calls(client, published):
    decided = decided_call(status=Call.Status.DECIDED)
    decided.call.title_en = "Decided, not yet published"
    decided.call.save()
    published.call.title_en = "Published call"
    published.call.save()

    response = client.get(reverse("results:index"))

    html = response.content.decode()
    assert response.status_code == 200
    assert [item["call"] for item in response.context["calls"]] == [published.call]
    assert reverse("results:call", args=[published.call.slug]) in html
    assert "Decided, not yet published" not in html
    funded = _lines(published.decision, F.FUNDED)
    assert response.context["calls"][0]["winners"] == len(funded)
    assert response.context["calls"][0]["awarded"] == sum(line.amount_awarded for line in funded)


def test_home_page_and_navigation_link_to_the_results(client):
    html = client.get(reverse("home")).content.decode()

    assert html.count(f'href="{reverse("results:index")}"') == 2


# --------------------------------------------------------------------------- who may read


def test_every_visitor_reads_the_results_with_or_without_totp(client, published, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    member = MembershipFactory(institution=published.setup.bids[0].lead_institution).user
    visitors = [
        None,
        member,
        published.setup.jurors[0].user,  # a juror without TOTP
        juror_with_totp(call=published.call).user,
        AdministratorFactory(),  # staff without TOTP: the gate lets public pages through
        administrator_with_totp(),
    ]
    urls = [reverse("results:index"), *_urls(published.call.slug)]
    for visitor in visitors:
        client.logout()
        if visitor is not None:
            client.force_login(visitor)
        assert [client.get(url).status_code for url in urls] == [200] * 4, visitor


def test_the_gate_still_sends_staff_without_totp_elsewhere(client, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    client.force_login(AdministratorFactory())

    response = client.get(reverse("review:juror_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


# --------------------------------------------------------------------------- query counts


@pytest.mark.parametrize("bids", [4, 10])
def test_results_page_queries_do_not_grow_with_the_call(
    client, bids, django_assert_max_num_queries
):
    decided = decided_call(bids=bids, envelope=60_000_000 * bids, max_winners=bids)
    for _ in range(bids):
        juror = JurorProfileFactory(listed_publicly=True)
        juror.calls.add(decided.call)
        AffiliationFactory(juror=juror)

    with django_assert_max_num_queries(5):
        response = client.get(reverse("results:call", args=[decided.call.slug]))
    assert len(response.context["results"].jurors) == bids
    with django_assert_max_num_queries(5):
        client.get(reverse("results:json", args=[decided.call.slug]))
    with django_assert_max_num_queries(2):
        client.get(reverse("results:csv", args=[decided.call.slug]))


@pytest.mark.parametrize("calls", [1, 3])
def test_index_queries_do_not_grow_with_the_calls(client, calls, django_assert_max_num_queries):
    for _ in range(calls):
        decided_call(bids=4)

    with django_assert_max_num_queries(2):
        response = client.get(reverse("results:index"))
    assert len(response.context["calls"]) == calls
