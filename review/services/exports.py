"""Exports of a call for the administrators: files built on disk, stored with their SHA-256.

- ``jury-report.pdf``: the record of the evaluation (``review.services.jury_report``).
- ``scores.xlsx``: every counted score and comment, one row per review × criterion, with the
  reference run's calibrated value, the consensus and the panel's value; a sheet per
  criterion; a summary sheet per bid. Jurors by name, or as "Juror 1", "Juror 2"… when
  pseudonyms are asked for.
- ``bids.zip``: each submitted bid as its last submitted version: the whole-bid PDF
  (``applications.services.bid_pdf``), its attachments, and ``manifest.csv`` with the
  SHA-256 and size of every file (an attachment's equals the one on the receipt).
- ``results.csv``: the published results (``review.queries.results``), as the public page
  serves them.
- ``ranking.xlsx``: one finished ranking run, sheets "Ranking" and "Parameters"
  (``review.exports.write_xlsx``), asked for on the run's page.

:func:`write_export` writes one file into a directory, streaming (a ZIP of 200 bids with
their attachments is written entry by entry, never held in memory); the management command
``export_call`` calls it directly. :func:`request_export` records an administrator's
request; the Celery task calls :func:`build_export`, which writes the file to a temporary
directory, stores it and records its SHA-256 and size. Safe to run twice: the first build
to finish is kept, a later one drops its file. Status changes follow
``CallExport.TRANSITIONS`` as conditional ``UPDATE``s.

Error contract: ``ValidationError`` with a message the administrator can act on.
"""

import csv
import hashlib
import io
import logging
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook

from applications.models import Call
from applications.services.attachments import served_name
from applications.services.bid_pdf import whole_bid_pdf
from portal import transitions
from review.exports import spreadsheet_safe, write_xlsx
from review.models import CallExport, RankingRun, export_upload_to
from review.queries.exports import approved_decision, score_rows, submitted_versions
from review.queries.results import RESULTS_COLUMNS, published_results
from review.services.jury_report import write_jury_report

logger = logging.getLogger(__name__)

Kind = CallExport.Kind
FILE_NAMES: dict[str, str] = {
    Kind.JURY_REPORT: "jury-report.pdf",
    Kind.SCORES: "scores.xlsx",
    Kind.BIDS: "bids.zip",
    Kind.RESULTS: "results.csv",
    Kind.RANKING: "ranking.xlsx",
}
CONTENT_TYPES: dict[str, str] = {
    Kind.JURY_REPORT: "application/pdf",
    Kind.SCORES: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Kind.BIDS: "application/zip",
    Kind.RESULTS: "text/csv; charset=utf-8",
    Kind.RANKING: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 1024 * 1024

Progress = Callable[[int], None]


def _no_progress(percent: int) -> None:
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_name(export: CallExport) -> str:
    """``<call slug>-<language>-jury-report.pdf`` and so on; the ranking workbook names its
    run: ``<call slug>-<language>-ranking-run<number>.xlsx``."""
    if export.kind == Kind.RANKING:
        return f"{export.call.slug}-{export.language}-ranking-run{export.run_id}.xlsx"
    return f"{export.call.slug}-{export.language}-{FILE_NAMES[export.kind]}"


# --------------------------------------------------------------------------- requests


def check_export_request(*, call: Call, kind: str, run: RankingRun | None = None) -> None:
    """Refuse a file that cannot be built yet, saying what to do first. The ranking workbook
    needs a finished run of the call; the other files take no run."""
    if kind not in FILE_NAMES:
        raise ValidationError({"kind": _("Choose one of the files listed.")})
    if kind == Kind.RANKING:
        if run is None or run.call_id != call.pk:
            raise ValidationError(
                {"kind": _("Ask for the ranking workbook on the page of one of the call's runs.")}
            )
        if run.status != RankingRun.Status.DONE:
            raise ValidationError(_("Only a finished run can be exported."))
    elif run is not None:
        raise ValidationError({"kind": _("Choose one of the files listed.")})
    if kind == Kind.RESULTS and approved_decision(call=call) is None:
        raise ValidationError(
            {"kind": _("The call has no approved funding decision: approve one first.")}
        )


def request_export(
    *,
    call: Call,
    kind: str,
    language: str,
    pseudonymise: bool,
    by: User,
    run: RankingRun | None = None,
) -> CallExport:
    """Record a pending export (``run``: the ranking workbook's); the caller enqueues
    ``task_build_export`` on commit."""
    check_export_request(call=call, kind=kind, run=run)
    export = CallExport(
        call=call, kind=kind, run=run, language=language, pseudonymise=pseudonymise, created_by=by
    )
    export.full_clean()
    export.save()
    logger.info("User %s requested export %s (%s) of call %s", by.pk, export.pk, kind, call.pk)
    return export


# --------------------------------------------------------------------------- building


def build_export(*, export: CallExport) -> CallExport:
    """Build, store and fingerprint the file of a pending (or interrupted) export."""
    running, done = CallExport.Status.RUNNING, CallExport.Status.DONE
    started = CallExport.objects.filter(
        pk=export.pk, status__in=transitions.sources(CallExport, running)
    ).update(status=running, progress=0)
    if not started:
        export.refresh_from_db()
        return export

    def progress(percent: int) -> None:
        CallExport.objects.filter(pk=export.pk, status=running).update(progress=percent)

    try:
        with tempfile.TemporaryDirectory(prefix="export-") as directory:
            path = write_export(
                call=export.call,
                kind=export.kind,
                language=export.language,
                pseudonymise=export.pseudonymise,
                directory=Path(directory),
                progress=progress,
                run=export.run,
            )
            sha256, size = file_sha256(path), path.stat().st_size
            with path.open("rb") as handle:
                stored = default_storage.save(export_upload_to(export, path.name), File(handle))
    except ValidationError as error:
        _fail(export, " ".join(error.messages))
    except Exception as error:  # noqa: BLE001 - a worker must record why, not crash silently
        logger.exception("Export %s failed", export.pk)
        _fail(
            export,
            _("The export failed unexpectedly (%(kind)s: %(error)s). Ask for it again.")
            % {"kind": type(error).__name__, "error": error},
        )
    else:
        finished = CallExport.objects.filter(
            pk=export.pk, status__in=transitions.sources(CallExport, done)
        ).update(
            status=done,
            progress=100,
            file=stored,
            sha256=sha256,
            size=size,
            error="",
            finished_at=timezone.now(),
        )
        if not finished:  # another delivery of the task finished first: keep its file
            default_storage.delete(stored)
    export.refresh_from_db()
    return export


def _fail(export: CallExport, message: str) -> None:
    failed = CallExport.Status.FAILED
    CallExport.objects.filter(
        pk=export.pk, status__in=transitions.sources(CallExport, failed)
    ).update(status=failed, error=message, finished_at=timezone.now())


def write_export(
    *,
    call: Call,
    kind: str,
    language: str,
    pseudonymise: bool,
    directory: Path,
    progress: Progress = _no_progress,
    run: RankingRun | None = None,
) -> Path:
    """Write the file of ``kind`` into ``directory`` in ``language``; return its path.
    ``run``: the ranking workbook's run."""
    path = directory / FILE_NAMES[kind]
    with translation.override(language):
        if kind == Kind.RANKING:
            check_export_request(call=call, kind=kind, run=run)
            assert run is not None  # checked above
            with path.open("wb") as handle:
                write_xlsx(run, handle)
            progress(100)
            return path
        if kind == Kind.JURY_REPORT:
            write_jury_report(call=call, pseudonymise=pseudonymise, path=path)
        elif kind == Kind.SCORES:
            write_scores(call=call, pseudonymise=pseudonymise, path=path)
        elif kind == Kind.BIDS:
            write_bids_zip(call=call, path=path, progress=progress)
        elif kind == Kind.RESULTS:
            write_results_csv(call=call, path=path)
        else:
            raise ValidationError(_("Choose one of the files listed."))
    progress(100)
    return path


# --------------------------------------------------------------------------- results.csv


def write_results_csv(*, call: Call, path: Path) -> None:
    # A BOM so that spreadsheet programs read the UTF-8 accents right (docs/open-data.md).
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULTS_COLUMNS)
        for row in published_results(call):
            writer.writerow(
                [
                    "" if row[column] is None else spreadsheet_safe(row[column])
                    for column in RESULTS_COLUMNS
                ]
            )


# --------------------------------------------------------------------------- scores.xlsx


def _sheet_title(code: str, taken: set[str]) -> str:
    title = "".join(ch for ch in code if ch not in "[]:*?/\\")[:28] or "criterion"
    while title in taken:
        title = title[:26] + "_"
    taken.add(title)
    return title


def write_scores(*, call: Call, pseudonymise: bool, path: Path) -> None:
    """One row per review × criterion; a sheet per criterion; a summary sheet per bid."""
    data = score_rows(call=call, pseudonymise=pseudonymise)
    workbook = Workbook(write_only=True)
    header = [
        _("Review"),
        _("Acronym"),
        _("Title"),
        _("Lead institution"),
        _("Juror"),
        _("Criterion"),
        _("Raw score"),
        _("Calibrated score"),
        _("Consensus score"),
        _("Panel score"),
        _("Comment"),
    ]

    def values(row) -> list[object]:
        return [
            spreadsheet_safe(value)
            for value in (
                row.review_id,
                row.acronym,
                row.title,
                row.lead,
                row.juror,
                row.criterion,
                float(row.raw),
                row.calibrated,
                None if row.consensus is None else float(row.consensus),
                None if row.panel is None else float(row.panel),
                row.comment,
            )
        ]

    summary = workbook.create_sheet(_("Summary"))
    codes = [criterion.code for criterion in data.criteria]
    summary.append(
        [_("Acronym"), _("Title"), _("Lead institution"), _("Jurors"), _("Rank in the run")]
        + [_("Consensus %(code)s") % {"code": code} for code in codes]
        + [_("Panel %(code)s") % {"code": code} for code in codes]
        + [_("Consensus total")]
    )
    for bid in sorted(data.meeting.bids, key=lambda b: b.acronym):
        summary.append(
            [spreadsheet_safe(v) for v in (bid.acronym, bid.title, bid.lead)]
            + [len(bid.jurors), bid.run_row["rank"] if bid.run_row else None]
            + [None if c.consensus is None else float(c.consensus) for c in bid.criteria]
            + [None if c.panel is None else float(c.panel) for c in bid.criteria]
            + [None if bid.consensus_total is None else float(bid.consensus_total)]
        )
    everything = workbook.create_sheet(_("Scores"))
    everything.append(header)
    for row in data.rows:
        everything.append(values(row))
    taken = {_("Summary"), _("Scores")}
    for code in codes:
        sheet = workbook.create_sheet(_sheet_title(code, taken))
        sheet.append(header)
        for row in data.rows:
            if row.criterion == code:
                sheet.append(values(row))
    workbook.save(path)


# --------------------------------------------------------------------------- bids.zip


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    candidate, index = name, 1
    while candidate in taken:
        index += 1
        candidate = f"{stem}-{index}.{suffix}" if dot else f"{name}-{index}"
    taken.add(candidate)
    return candidate


def write_bids_zip(*, call: Call, path: Path, progress: Progress = _no_progress) -> None:
    """Each bid in its folder: ``bid.pdf`` and ``attachments/…``; ``manifest.csv`` at the top.

    Attachments are copied from storage in blocks, hashed on the way: the manifest states
    the SHA-256 of the bytes in the archive.
    """
    versions = list(submitted_versions(call=call))
    manifest: list[list[object]] = []
    folders: set[str] = set()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for index, version in enumerate(versions, start=1):
            bid = version.bid
            folder = _unique(slugify(bid.acronym) or f"bid-{bid.pk}", folders)
            pdf = whole_bid_pdf(version)
            name = f"{folder}/bid-v{version.number}.pdf"
            archive.writestr(name, pdf)
            manifest.append(
                [
                    name,
                    hashlib.sha256(pdf).hexdigest(),
                    len(pdf),
                    bid.acronym,
                    version.number,
                    "bid",
                ]
            )
            names: set[str] = set()
            for item in version.snapshot.get("attachments", []):
                entry = f"{folder}/attachments/{_unique(served_name(item['name'], fallback='file'), names)}"
                digest, size = hashlib.sha256(), 0
                with (
                    default_storage.open(item["file"], "rb") as source,
                    archive.open(entry, "w", force_zip64=True) as target,
                ):
                    for block in iter(lambda: source.read(CHUNK), b""):  # noqa: B023 - used at once
                        digest.update(block)
                        size += len(block)
                        target.write(block)
                manifest.append(
                    [entry, digest.hexdigest(), size, bid.acronym, version.number, "attachment"]
                )
            progress(min(99, 100 * index // max(len(versions), 1)))
        # The manifest is a few lines per bid: built in memory, written last.
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["path", "sha256", "size", "acronym", "version", "kind"])
        writer.writerows(manifest)
        archive.writestr("manifest.csv", text.getvalue().encode("utf-8"))
