"""CSV and XLSX exports of a ranking run, parsed back."""

import csv
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from applications.models import Bid
from review.models import CallExport
from review.ranking import parse_params, solve
from review.services.exports import build_export
from review.services.ranking_runs import RunSettings, create_and_run_ranking, create_ranking_run
from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.ranking_run_setup import scored_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(administrator_with_totp())
    return client


@pytest.fixture
def run():
    setup = scored_call(bids=6, criteria=2)
    return create_and_run_ranking(
        call=setup.call,
        by=AdministratorFactory(),
        settings=RunSettings(rule="partial", bootstrap_samples=120, bootstrap_seed=9, lottery=True),
    )


def _csv_rows(response) -> list[dict[str, str]]:
    text = response.getvalue().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_export_has_every_bid_in_rank_order_with_integer_money(admin_client, run):
    url = reverse("review:ranking_export", args=[run.call.slug, run.pk, "csv"])

    response = admin_client.get(url)

    rows = _csv_rows(response)
    assert response["Content-Disposition"] == (
        f'attachment; filename="ranking-{run.call.slug}-run{run.pk}.csv"'
    )
    assert [row["bid_id"] for row in rows] == [str(bid["id"]) for bid in run.result["bids"]]
    first, expected = rows[0], run.result["bids"][0]
    assert first["rank"] == "1"
    assert first["acronym"] == run.parameters["bid_labels"][str(expected["id"])]
    assert first["granted"] == str(expected["granted"])
    assert first["requested"] == str(expected["requested"])
    assert float(first["score"]) == expected["score"]
    assert float(first["score_crit1"]) == expected["criterion_scores"]["crit1"]
    assert float(first["raw_score_crit0"]) == expected["raw_criterion_scores"]["crit0"]
    assert float(first["p_selected"]) == expected["p_selected"]
    assert [int(first["rank_90_low"]), int(first["rank_90_high"])] == expected["rank_interval_90"]
    assert first["reason"] == expected["reason"]
    assert sum(int(row["granted"]) for row in rows) == run.result["total_granted"]


def test_csv_parameters_part_lists_the_run_settings(admin_client, run):
    url = reverse("review:ranking_export", args=[run.call.slug, run.pk, "csv"])

    response = admin_client.get(url + "?part=parameters")

    values = {row["parameter"]: row["value"] for row in _csv_rows(response)}
    assert response["Content-Disposition"].endswith(f'run{run.pk}-parameters.csv"')
    assert values["rule"] == "partial"
    assert values["bootstrap_seed"] == "9"
    assert values["input_sha256"] == run.input_hash
    assert values["lottery_seed"] == run.result["lottery"]["seed"]
    assert values["total_granted"] == str(run.result["total_granted"])
    assert values["created_at"].endswith("(Europe/Paris)")


def _workbook(client, run, capture) -> bytes:
    """Ask for the run's workbook on its page, let the export task build it, download it."""
    with capture(execute=True):
        response = client.post(reverse("review:ranking_workbook", args=[run.call.slug, run.pk]))
    assert response["Location"] == reverse("review:ranking_run", args=[run.call.slug, run.pk])
    export = CallExport.objects.get(run=run, kind=CallExport.Kind.RANKING)
    assert export.status == CallExport.Status.DONE
    download = client.get(reverse("review:call_export_download", args=[run.call.slug, export.pk]))
    assert download["Content-Disposition"] == (
        f'attachment; filename="{run.call.slug}-en-ranking-run{run.pk}.xlsx"'
    )
    return download.getvalue()


def test_xlsx_export_has_the_ranking_and_parameters_sheets(
    admin_client, run, django_capture_on_commit_callbacks
):
    content = _workbook(admin_client, run, django_capture_on_commit_callbacks)

    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Ranking", "Parameters"]
    ranking = list(workbook["Ranking"].iter_rows(values_only=True))
    header, first = ranking[0], dict(zip(ranking[0], ranking[1], strict=True))
    assert header[:3] == ("rank", "bid_id", "acronym")
    assert len(ranking) == 1 + len(run.result["bids"])
    assert first["granted"] == run.result["bids"][0]["granted"]
    assert isinstance(first["granted"], int)
    assert first["score"] == run.result["bids"][0]["score"]
    parameters = dict(workbook["Parameters"].iter_rows(min_row=2, values_only=True))
    assert parameters["calibration"] == "none"
    assert parameters["budget"] == 200_000_000


def test_the_run_page_shows_the_workbook_being_prepared_then_its_download(admin_client, run):
    page = reverse("review:ranking_run", args=[run.call.slug, run.pk])
    before = admin_client.get(page).content.decode()

    # Inside the test's transaction the task waits for a commit that never comes: pending.
    response = admin_client.post(reverse("review:ranking_workbook", args=[run.call.slug, run.pk]))
    pending = admin_client.get(page).content.decode()
    export = CallExport.objects.get(run=run)
    build_export(export=export)
    done = admin_client.get(page).content.decode()

    assert response.status_code == 302
    assert 'id="ranking-xlsx-request"' in before
    assert 'id="ranking-xlsx-progress"' in pending
    assert 'id="ranking-xlsx-request"' not in pending
    download = reverse("review:call_export_download", args=[run.call.slug, export.pk])
    assert f'id="ranking-xlsx" href="{download}"' in done


def test_the_old_xlsx_link_leads_to_the_built_workbook_or_the_run_page(admin_client, run):
    url = reverse("review:ranking_export", args=[run.call.slug, run.pk, "xlsx"])
    before = admin_client.get(url)
    admin_client.post(reverse("review:ranking_workbook", args=[run.call.slug, run.pk]))
    export = CallExport.objects.get(run=run)
    build_export(export=export)

    after = admin_client.get(url)

    assert before["Location"] == reverse("review:ranking_run", args=[run.call.slug, run.pk])
    assert after["Location"] == reverse(
        "review:call_export_download", args=[run.call.slug, export.pk]
    )


def test_the_workbook_of_an_unfinished_run_is_refused_with_a_message(admin_client):
    setup = scored_call(bids=3)
    run = create_ranking_run(call=setup.call, by=AdministratorFactory(), settings=RunSettings())

    response = admin_client.post(
        reverse("review:ranking_workbook", args=[run.call.slug, run.pk]), follow=True
    )

    assert not CallExport.objects.filter(run=run).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Only a finished run can be exported."
    ]


def test_the_workbook_is_asked_for_with_a_post_only(admin_client, run):
    url = reverse("review:ranking_workbook", args=[run.call.slug, run.pk])

    assert admin_client.get(url).status_code == 405


def test_the_workbook_request_is_refused_to_others(client, run):
    url = reverse("review:ranking_workbook", args=[run.call.slug, run.pk])
    anonymous = client.post(url)
    client.force_login(MembershipFactory().user)
    member = client.post(url)
    client.force_login(juror_with_totp(call=run.call).user)
    juror = client.post(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert (member.status_code, juror.status_code) == (403, 403)
    assert not CallExport.objects.filter(run=run).exists()


def test_the_workbook_request_sends_an_administrator_without_totp_to_activation(
    client, run, settings
):
    settings.PORTAL_DEMO_RELAX_MFA = False
    client.force_login(AdministratorFactory())

    response = client.post(reverse("review:ranking_workbook", args=[run.call.slug, run.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_the_ranking_workbook_is_not_offered_on_the_call_exports_page(admin_client, run):
    response = admin_client.post(
        reverse("review:call_exports", args=[run.call.slug]), {"kind": "ranking"}
    )

    assert response.status_code == 400
    assert not CallExport.objects.exists()


def test_exports_neutralise_formula_like_acronyms(admin_client):
    setup = scored_call(bids=3)
    Bid.objects.filter(pk=setup.bids[0].pk).update(acronym="=HYPERLINK(1)")
    run = create_and_run_ranking(call=setup.call, by=AdministratorFactory())
    url = reverse("review:ranking_export", args=[run.call.slug, run.pk, "csv"])

    rows = _csv_rows(admin_client.get(url))

    assert "'=HYPERLINK(1)" in [row["acronym"] for row in rows]


def test_export_of_an_unfinished_run_redirects_to_it(admin_client):
    setup = scored_call(bids=3)
    run = create_ranking_run(call=setup.call, by=AdministratorFactory(), settings=RunSettings())
    url = reverse("review:ranking_export", args=[run.call.slug, run.pk, "csv"])

    response = admin_client.get(url)

    assert response.status_code == 302


def test_export_in_an_unknown_format_is_not_found(admin_client, run):
    url = reverse("review:ranking_export", args=[run.call.slug, run.pk, "pdf"])

    assert admin_client.get(url).status_code == 404


def test_input_json_reproduces_the_stored_result_byte_for_byte(admin_client, run):
    url = reverse("review:ranking_input", args=[run.call.slug, run.pk])

    data = json.loads(admin_client.get(url).content)

    assert solve(parse_params(data)).to_json() == run.result_json


def test_csv_export_streams_rather_than_build_the_file_in_memory(admin_client, run):
    url = reverse("review:ranking_export", args=[run.call.slug, run.pk, "csv"])

    response = admin_client.get(url)

    assert (response.status_code, response.streaming) == (200, True)


def test_xlsx_export_keeps_the_amount_format_and_the_frozen_header(
    admin_client, run, django_capture_on_commit_callbacks
):
    content = _workbook(admin_client, run, django_capture_on_commit_callbacks)

    sheet = load_workbook(io.BytesIO(content))["Ranking"]

    header = [cell.value for cell in sheet[1]]
    requested = sheet.cell(row=2, column=header.index("requested") + 1)
    assert (sheet.freeze_panes, requested.number_format) == ("D2", "#,##0")
