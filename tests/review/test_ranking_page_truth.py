"""The run page tells the truth about itself: the basis, "calibrated" only when it is, raw
beside calibrated where calibration decides eligibility, the lottery's allocation apart from
the rule's, the CLI's input hash, settings and criteria in words, under-reviewed bids and held
jurors; the comparison says when an amount changed; exports carry the same facts."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from portal.formats import format_euros
from review.models import Conflict, Criterion, CriterionScore, RankingRun, Review
from review.queries.ranking import compare_runs, run_table
from review.ranking.__main__ import main as ranking_cli
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from tests.factories import AdministratorFactory, ConflictFactory
from tests.review.jury_setup import administrator_with_totp
from tests.review.ranking_run_setup import RankingSetup, scored_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


def _run(setup: RankingSetup, **settings_) -> RankingRun:
    return create_and_run_ranking(
        call=setup.call, by=AdministratorFactory(), settings=RunSettings(**settings_)
    )


def _page(client, run: RankingRun) -> str:
    response = client.get(reverse("review:ranking_run", args=[run.call.slug, run.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _lenient_juror_call() -> RankingSetup:
    """Three bids, each read by two of three jurors; one juror scores 4.5, the others 2.5,
    threshold 3: BID01 (read by the severe two) fails raw at 2.50 and passes on z-scores."""
    setup = scored_call(bids=3, jurors=3, per_bid=2, criteria=1)
    Criterion.objects.filter(call=setup.call).update(threshold=Decimal(3))
    CriterionScore.objects.update(value=Decimal("2.5"))
    CriterionScore.objects.filter(review__assignment__juror=setup.jurors[0]).update(
        value=Decimal("4.5")
    )
    return setup


# --------------------------------------------------------------------------- calibration


def test_a_calibrated_run_shows_where_calibration_decides_eligibility(admin_client):
    setup = _lenient_juror_call()
    run = _run(setup, calibration="zscore")

    table = run_table(run)
    content = _page(admin_client, run)

    assert table is not None
    decided = [
        (row.label, row.eligible, row.raw_eligible) for row in table.rows if row.calibration_decides
    ]
    assert decided == [("BID01", True, False)]
    assert content.count("calibration decides: passes the thresholds raw") == 0
    assert content.count("calibration decides: fails the thresholds raw") == 1
    assert "Scores are calibrated, raw scores in brackets" in content
    assert "(2.50)" in content


def test_an_uncalibrated_run_does_not_call_its_scores_calibrated(admin_client):
    setup = _lenient_juror_call()
    run = _run(setup, calibration="none")

    content = _page(admin_client, run)

    assert run.parameters["raw_eligible"] is None
    assert "Scores are raw (no calibration)" in content
    assert "Scores are calibrated" not in content
    assert "Calibrated score" not in content
    assert "calibration decides" not in content


# --------------------------------------------------------------------------- words


def test_settings_and_criteria_are_shown_in_words_in_english(admin_client):
    setup = scored_call(bids=4, criteria=2)
    Criterion.objects.filter(code="crit0").update(name_en="Excellence", name_fr="Excellence FR")
    run = _run(setup, rule="merit_order", calibration="zscore", aggregate="median")

    content = _page(admin_client, run)

    assert "Merit order (a bid that does not fit is skipped)" in content
    assert "Per-juror z-scores / Median" in content
    assert "The jurors&#x27; individual scores" in content
    assert "Excellence<br>" in content
    assert "merit_order" not in content
    assert ">crit0<" not in content


def test_settings_and_criteria_are_shown_in_words_in_french(admin_client):
    setup = scored_call(bids=4, criteria=2)
    Criterion.objects.filter(code="crit0").update(name_en="Excellence", name_fr="Excellence FR")
    run = _run(setup, calibration="zscore", aggregate="mean")
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    content = _page(admin_client, run)

    assert "Scores z par membre du jury / Moyenne" in content
    assert "Excellence FR<br>" in content


def test_the_runs_list_shows_settings_in_words_with_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    setup = scored_call(bids=3)
    url = reverse("review:ranking_runs", args=[setup.call.slug])
    _run(setup, rule="partial")
    with django_assert_max_num_queries(12) as one:
        first = admin_client.get(url)
    for _ in range(3):
        _run(setup, rule="partial")

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = admin_client.get(url)

    assert first.status_code == 200
    assert response.content.decode().count("Partial funding</td>") == 4


# --------------------------------------------------------------------------- input hash


def test_the_page_shows_the_hash_the_cli_prints_for_the_downloaded_input(
    admin_client, tmp_path, capsys
):
    setup = scored_call(bids=4)
    run = _run(setup, calibration="zscore", bootstrap_samples=50, bootstrap_seed=7, lottery=True)
    download = admin_client.get(reverse("review:ranking_input", args=[setup.call.slug, run.pk]))
    path = tmp_path / "input.json"
    path.write_bytes(download.content)

    capsys.readouterr()
    assert ranking_cli(["solve", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)["input_sha256"]

    content = _page(admin_client, run)
    assert f'<code id="input-hash">{printed}</code>' in content


# --------------------------------------------------------------------------- lottery


def test_the_lottery_allocation_is_told_apart_from_the_rules(admin_client):
    setup = scored_call(bids=6)
    run = _run(setup, bootstrap_samples=200, bootstrap_seed=3, lottery=True)

    table = run_table(run)
    content = _page(admin_client, run)

    assert table is not None
    assert table.lottery is not None
    assert "Rule's allocation (before the draw)" in content
    assert "Lottery's allocation (recommended)" in content
    assert table.recommended_total == table.lottery["total_granted"]
    assert [row.recommended_amount for row in table.rows] == [
        row.lottery_granted if row.lottery_winner else None for row in table.rows
    ]


def test_without_lottery_the_recommendation_is_the_rules_allocation():
    setup = scored_call(bids=6)
    run = _run(setup)

    table = run_table(run)

    assert table is not None
    assert [row.recommended_amount for row in table.rows] == [
        row.granted if row.selected else None for row in table.rows
    ]


# --------------------------------------------------------------------------- frozen facts


def test_the_page_lists_under_reviewed_bids_and_held_jurors(admin_client):
    setup = scored_call(bids=3, per_bid=3)
    held = setup.assignments[0]
    ConflictFactory(
        juror=held.juror,
        bid=held.bid,
        source=Conflict.Source.INSTITUTION,
        kind=Conflict.Kind.OTHER,
        status=Conflict.Status.SUGGESTED,
    )
    run = _run(setup)

    content = _page(admin_client, run)

    assert 'id="under-reviewed"' in content
    assert f"{held.bid.acronym}: 2 reviews" in content
    assert 'id="held-jurors"' in content
    assert f"{held.bid.acronym} — {held.juror.display_name}" in content
    assert content.count(">under-reviewed</span>") == 1


def test_the_page_reads_what_was_frozen_not_todays_data(admin_client):
    setup = scored_call(bids=2, per_bid=3)
    run = _run(setup)
    Review.objects.filter(assignment__bid=setup.bids[0]).update(status=Review.Status.DRAFT)

    content = _page(admin_client, run)

    assert 'id="under-reviewed"' not in content


def test_a_consensus_run_says_what_it_ranks(admin_client):
    setup = scored_call(bids=2)
    run = _run(setup, basis="consensus")

    content = _page(admin_client, run)

    assert "The approved consensus scores, with the panel&#x27;s adjustments" in content
    assert 'id="without-consensus"' in content


def test_the_exports_carry_the_basis_and_the_frozen_facts(admin_client):
    setup = scored_call(bids=3, per_bid=3, min_reviews_per_bid=4)
    run = _run(setup, basis="consensus")
    url = reverse("review:ranking_export", args=[setup.call.slug, run.pk, "csv"])

    parameters = dict(
        csv.reader(io.StringIO(admin_client.get(url + "?part=parameters").getvalue().decode()))
    )
    table = list(csv.DictReader(io.StringIO(admin_client.get(url).getvalue().decode("utf-8-sig"))))

    assert parameters["basis"] == "consensus"
    assert parameters["min_reviews_per_bid"] == "4"
    assert parameters["under_reviewed"] == "; ".join(f"{bid.acronym} (3)" for bid in setup.bids)
    assert {row["under_reviewed"] for row in table} == {"True"}


# --------------------------------------------------------------------------- comparison


def test_the_comparison_says_when_a_bid_funded_in_both_changes_amount(admin_client):
    setup = scored_call(bids=4, envelope=300_000_000, min_winners=1, max_winners=4)
    full = _run(setup, rule="optimal")
    partial = _run(setup, rule="partial")
    setup.call.envelope = 120_000_000
    setup.call.save()
    squeezed = _run(setup, rule="partial")

    compared = {item.label: item for item in compare_runs(full, squeezed)}
    response = admin_client.get(
        reverse("review:ranking_compare", args=[setup.call.slug]) + f"?a={full.pk}&b={squeezed.pk}"
    )

    changed = [item for item in compared.values() if item.amount_changed]
    assert changed
    item = changed[0]
    assert item.a is not None
    assert item.b is not None
    text = (
        f"Funded in both, amount changed from {format_euros(item.a.recommended_amount)} "
        f"to {format_euros(item.b.recommended_amount)}"
    )
    assert text in response.content.decode()
    assert not any(item.amount_changed for item in compare_runs(partial, partial))
