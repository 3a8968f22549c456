"""Exports of a call: the four files, their contents, the task, the pages and the command."""

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from applications.models import Attachment, BidVersion
from review.models import AuditEvent, BidDecision, CallExport, Decision
from review.queries.exports import audit_head_hash
from review.queries.results import RESULTS_COLUMNS, published_results
from review.ranking import parse_params, solve
from review.services import decisions as decision_service
from review.services.exports import build_export, request_export, write_export
from review.services.ranking_runs import RunSettings, create_and_run_ranking
from review.tasks import task_build_export
from tests.factories import AdministratorFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, juror_with_totp
from tests.review.ranking_run_setup import scored_call
from tests.review.review_setup import bid_with_version, call_with_grid

pytestmark = pytest.mark.django_db

F = BidDecision.Outcome
DEVIATION_REASON = "Equipment line cut by the funder."


@pytest.fixture
def setup():
    return scored_call(bids=6, envelope=130_000_000, min_winners=2, max_winners=4)


@pytest.fixture
def decided(setup):
    """The call with an approved decision whose first winner gets its minimum, with a reason."""
    preparer, approver = administrator_with_totp(), administrator_with_totp()
    run = create_and_run_ranking(call=setup.call, by=preparer, settings=RunSettings())
    decision = decision_service.prepare_decision(call=setup.call, run=run, by=preparer)
    lines = {line.bid_id: line for line in decision.lines.select_related("bid")}
    winner = next(line for line in lines.values() if line.outcome == F.FUNDED)
    changes = {
        bid_id: decision_service.LineInput(
            outcome=line.outcome,
            amount=line.amount_awarded,
            reserve_position=line.reserve_position,
        )
        for bid_id, line in lines.items()
    }
    changes[winner.bid_id] = decision_service.LineInput(
        outcome=F.FUNDED, amount=winner.bid.minimum_amount, reason=DEVIATION_REASON
    )
    decision = decision_service.save_decision(decision=decision, changes=changes, by=preparer)
    decision_service.approve_decision(decision=decision, by=approver)
    return setup, run, winner


def _write(call, kind, tmp_path: Path, **kwargs) -> Path:
    kwargs.setdefault("language", "en")
    kwargs.setdefault("pseudonymise", False)
    return write_export(call=call, kind=kind, directory=tmp_path, **kwargs)


# --------------------------------------------------------------------------- results.csv


def test_results_csv_lists_the_funded_then_the_reserve_with_the_shared_columns(decided, tmp_path):
    setup, _run, winner = decided

    path = _write(setup.call, CallExport.Kind.RESULTS, tmp_path)

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert tuple(rows[0].keys()) == RESULTS_COLUMNS
    expected = published_results(setup.call)
    assert len(rows) == len(expected)
    assert [row["outcome"] for row in rows] == [str(row["outcome"]) for row in expected]
    by_acronym = {row["bid_acronym"]: row for row in rows}
    assert by_acronym[winner.bid.acronym]["amount_awarded_eur"] == str(winner.bid.minimum_amount)
    funded = BidDecision.objects.filter(
        decision__status=Decision.Status.APPROVED, outcome=F.FUNDED
    ).count()
    assert [row["outcome"] for row in rows][:funded] == ["funded"] * funded


def test_results_need_an_approved_decision(setup):
    with pytest.raises(Exception, match="no approved funding decision"):
        request_export(
            call=setup.call,
            kind="results",
            language="en",
            pseudonymise=False,
            by=AdministratorFactory(),
        )


# --------------------------------------------------------------------------- scores.xlsx


def test_scores_xlsx_has_a_row_per_review_and_criterion_and_pseudonyms(decided, tmp_path):
    setup, _run, _winner = decided

    path = _write(setup.call, CallExport.Kind.SCORES, tmp_path, pseudonymise=True)

    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Summary", "Scores", "crit0", "crit1", "crit2"]
    rows = list(workbook["Scores"].iter_rows(values_only=True))
    reviews = sum(1 for _a in setup.assignments)
    assert len(rows) - 1 == reviews * len(setup.criteria)
    jurors = {row[4] for row in rows[1:]}
    assert jurors == {f"Juror {n}" for n in range(1, len(setup.jurors) + 1)}
    names = {juror.display_name for juror in setup.jurors}
    assert not names & {cell for row in rows for cell in row}
    assert len(list(workbook["crit1"].iter_rows(values_only=True))) - 1 == reviews
    assert len(list(workbook["Summary"].iter_rows(values_only=True))) - 1 == len(setup.bids)


def test_scores_xlsx_names_jurors_unless_pseudonyms_are_asked(decided, tmp_path):
    setup, _run, _winner = decided

    path = _write(setup.call, CallExport.Kind.SCORES, tmp_path)

    rows = list(load_workbook(path, read_only=True)["Scores"].iter_rows(values_only=True))
    assert {row[4] for row in rows[1:]} == {juror.display_name for juror in setup.jurors}
    assert all(row[7] == row[6] for row in rows[1:])  # no calibration: calibrated = raw


# --------------------------------------------------------------------------- jury-report.pdf


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_jury_report_states_the_deviations_their_reasons_and_the_hashes(decided, tmp_path):
    setup, run, winner = decided

    path = _write(setup.call, CallExport.Kind.JURY_REPORT, tmp_path)

    text = " ".join(_pdf_text(path.read_bytes()).split())
    assert DEVIATION_REASON in text
    assert winner.bid.acronym in text
    assert run.input_hash in text
    head = AuditEvent.objects.filter(call=setup.call).order_by("sequence").last()
    assert head.kind == AuditEvent.Kind.DECISION_APPROVED
    assert head.hash in text
    assert "not yet recorded" not in text
    assert "Deviations from the jury's recommendation" in text


def test_audit_head_hash_is_the_calls_latest_entry_and_none_before_any(decided):
    setup, _run, _winner = decided
    other = bid_with_version(call=call_with_grid())

    latest = AuditEvent.objects.filter(call=setup.call).order_by("-sequence").first()

    assert (audit_head_hash(setup.call), audit_head_hash(other.call)) == (latest.hash, None)


def test_jury_report_in_french(decided, tmp_path):
    setup, _run, _winner = decided

    path = _write(setup.call, CallExport.Kind.JURY_REPORT, tmp_path, language="fr")

    assert PdfReader(path).pages


# --------------------------------------------------------------------------- bids.zip


def test_bids_zip_manifest_matches_the_files_and_the_receipts(setup, tmp_path):
    first = bid_with_version(call=setup.call, acronym="ZIPA")
    bid_with_version(call=setup.call, acronym="ZIPB", with_attachment=False)

    path = _write(setup.call, CallExport.Kind.BIDS, tmp_path)

    with zipfile.ZipFile(path) as archive:
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        for row in manifest:
            content = archive.read(row["path"])
            assert hashlib.sha256(content).hexdigest() == row["sha256"]
            assert len(content) == int(row["size"])
        assert sorted(archive.namelist()) == sorted(
            [r["path"] for r in manifest] + ["manifest.csv"]
        )
    attachments = [row for row in manifest if row["kind"] == "attachment"]
    assert [row["sha256"] for row in attachments] == [Attachment.objects.get(bid=first).sha256]
    assert sorted(row["acronym"] for row in manifest if row["kind"] == "bid") == ["ZIPA", "ZIPB"]
    pdf = next(r for r in manifest if r["acronym"] == "ZIPA" and r["kind"] == "bid")
    with zipfile.ZipFile(path) as archive:
        assert "Secret research plan." in _pdf_text(archive.read(pdf["path"]))


# --------------------------------------------------------------------------- task


def test_the_task_stores_the_file_with_its_hash_and_is_safe_to_run_twice(decided):
    setup, _run, _winner = decided
    export = request_export(
        call=setup.call,
        kind="results",
        language="en",
        pseudonymise=False,
        by=AdministratorFactory(),
    )

    task_build_export(export_id=export.pk)
    export.refresh_from_db()
    first = (export.file.name, export.sha256)
    task_build_export(export_id=export.pk)
    build_export(export=export)
    export.refresh_from_db()

    assert export.status == CallExport.Status.DONE
    assert (export.file.name, export.sha256) == first
    assert hashlib.sha256(export.file.read()).hexdigest() == export.sha256
    task_build_export(export_id=10**9)  # gone: quiet


def test_a_failing_build_records_why(setup, monkeypatch):
    export = request_export(
        call=setup.call, kind="scores", language="en", pseudonymise=False, by=AdministratorFactory()
    )

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("review.services.exports.write_scores", broken)
    build_export(export=export)

    export.refresh_from_db()
    assert export.status == CallExport.Status.FAILED
    assert "disk full" in export.error


# --------------------------------------------------------------------------- command


def test_the_command_writes_the_four_files(decided, tmp_path):
    setup, _run, _winner = decided
    bid_with_version(call=setup.call, acronym="CMD")
    out = io.StringIO()

    target = tmp_path / "out"

    call_command("export_call", setup.call.slug, "--to", str(target), "--pseudonyms", stdout=out)

    names = sorted(p.name for p in target.iterdir())
    assert names == ["bids.zip", "jury-report.pdf", "results.csv", "scores.xlsx"]
    assert len(out.getvalue().splitlines()) == 4


# --------------------------------------------------------------------------- pages


def _urls(call, export, run) -> list[str]:
    return [
        reverse("review:call_exports", args=[call.slug]),
        reverse("review:call_export_status", args=[call.slug, export.pk]),
        reverse("review:call_export_download", args=[call.slug, export.pk]),
        reverse("review:ranking_result", args=[call.slug, run.pk]),
    ]


@pytest.fixture
def built(decided):
    setup, run, _winner = decided
    export = request_export(
        call=setup.call,
        kind="results",
        language="en",
        pseudonymise=False,
        by=AdministratorFactory(),
    )
    build_export(export=export)
    return setup, run, export


def test_export_pages_send_anonymous_visitors_to_login(client, built):
    setup, run, export = built
    for url in _urls(setup.call, export, run):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_export_pages_refuse_members_and_jurors(client, built):
    setup, run, export = built
    for user in (
        MembershipFactory(institution=setup.bids[0].lead_institution).user,
        juror_with_totp(call=setup.call).user,
    ):
        client.force_login(user)
        assert [client.get(url).status_code for url in _urls(setup.call, export, run)] == [403] * 4
        assert client.post(_urls(setup.call, export, run)[0], {"kind": "scores"}).status_code == 403
    assert CallExport.objects.count() == 1


def test_export_pages_send_an_administrator_without_totp_to_activation(client, built, settings):
    setup, run, export = built
    settings.PORTAL_DEMO_RELAX_MFA = False
    client.force_login(AdministratorFactory())
    for url in _urls(setup.call, export, run)[::2]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_an_administrator_downloads_the_stored_file(client, built):
    setup, _run, export = built
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:call_export_download", args=[setup.call.slug, export.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{setup.call.slug}-en-results.csv"'
    )
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == export.sha256
    status = client.get(reverse("review:call_export_status", args=[setup.call.slug, export.pk]))
    assert status.json()["status"] == "done"


def test_requesting_an_export_from_the_page_builds_it(
    client, decided, django_capture_on_commit_callbacks
):
    setup, _run, _winner = decided
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review:call_exports", args=[setup.call.slug]),
            {"kind": "scores", "language": "fr", "pseudonymise": "on"},
        )

    assert response.status_code == 302
    export = CallExport.objects.get()
    assert (export.kind, export.language, export.pseudonymise) == ("scores", "fr", True)
    assert export.status == CallExport.Status.DONE


def test_a_refused_request_re_renders_with_the_choice_and_the_reason(client, setup):
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:call_exports", args=[setup.call.slug]),
        {"kind": "results", "language": "fr"},
    )

    assert response.status_code == 400
    assert b"no approved funding decision" in response.content
    assert response.context["form"]["language"].value() == "fr"
    assert CallExport.objects.count() == 0


@pytest.mark.parametrize("exports", [1, 5])
def test_the_exports_page_takes_a_fixed_number_of_queries(
    client, setup, exports, django_assert_max_num_queries
):
    by = AdministratorFactory()
    for _index in range(exports):
        CallExport.objects.create(call=setup.call, kind="scores", created_by=by)
    client.force_login(administrator_with_totp())

    with django_assert_max_num_queries(8):
        response = client.get(reverse("review:call_exports", args=[setup.call.slug]))

    assert len(response.context["exports"]) == exports


# --------------------------------------------------------------------------- run result


def test_the_run_result_json_is_what_re_solving_the_input_gives(client, decided):
    setup, run, _winner = decided
    client.force_login(administrator_with_totp())

    result = client.get(reverse("review:ranking_result", args=[setup.call.slug, run.pk]))
    engine_input = client.get(reverse("review:ranking_input", args=[setup.call.slug, run.pk]))

    assert result.status_code == 200
    assert result["Content-Disposition"].startswith("attachment;")
    resolved = solve(parse_params(json.loads(engine_input.content))).to_json()
    assert result.content == resolved.encode("utf-8")


# --------------------------------------------------------------------------- whole-bid PDF


def test_an_institution_member_downloads_the_whole_bid_of_a_version(client, setup):
    bid = bid_with_version(call=setup.call, acronym="WHOLE")
    version = BidVersion.objects.get(bid=bid)
    url = reverse("applications:bid_version_pdf", args=[bid.public_id, version.number])
    client.force_login(MembershipFactory(institution=bid.lead_institution).user)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bid-whole-v1.pdf"'
    text = _pdf_text(response.content)
    assert "Secret research plan." in text
    assert version.sha256 in " ".join(text.split())


def test_the_whole_bid_is_refused_to_other_institutions_and_anonymous(client, setup):
    bid = bid_with_version(call=setup.call, acronym="WHOLE")
    url = reverse("applications:bid_version_pdf", args=[bid.public_id, 1])

    assert client.get(url).status_code == 302
    client.force_login(MembershipFactory().user)
    assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(institution=bid.lead_institution).user)
    assert (
        client.get(reverse("applications:bid_version_pdf", args=[bid.public_id, 2])).status_code
        == 404
    )
