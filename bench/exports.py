"""The exports of a call of 200 bids: time and peak memory of each file.

A throwaway SQLite database and media folder, production settings (``DJANGO_DEBUG=0``, set
before start-up); the call of ``bench/ranking_full_run.py`` (bids × jurors × criteria, scores
with leniency), each bid frozen in a submitted version with its sections (about 20 kB of
text), a budget table and two attachments of ``--attachment-kb`` each; a ranking run without
bootstrap and an approved decision. Each file is written ``--repeat`` times through
``review.services.exports.write_export`` (the task's and the command's function): the median
time is reported, then the peak of Python allocations (tracemalloc) in one further pass,
with the file's size and the load average.

    .venv/bin/python bench/exports.py [--bids 200] [--attachment-kb 500] [--repeat 3]
"""

import argparse
import hashlib
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _ranking_bench():
    spec = importlib.util.spec_from_file_location(
        "ranking_full_run", ROOT / "bench" / "ranking_full_run.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--jurors-per-bid", type=int, default=5)
    parser.add_argument("--criteria", type=int, default=5)
    parser.add_argument("--pool", type=int, default=40)
    parser.add_argument("--attachment-kb", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="exports-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["PORTAL_VAR_DIR"] = str(workdir)
    os.environ["PORTAL_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        _bench(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _versions(call, args) -> None:
    """Sections, a budget, two attachments and a submitted version for every bid."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from applications.models import Attachment, Bid, BidSection, BidVersion, BudgetLine
    from applications.services.submission import bid_content, snapshot_sha256

    submitter = get_user_model().objects.create(username="lead@example.org")
    paragraph = "Le consortium forme, recherche et transfère. " * 60
    for bid in Bid.objects.filter(call=call).select_related("call", "lead_institution"):
        BidSection.objects.bulk_create(
            BidSection(bid=bid, key=key, content=(paragraph + "\n\n") * 1)
            for key in BidSection.Key.values
        )
        BudgetLine.objects.bulk_create(
            BudgetLine(
                bid=bid, year=year, category=category, requested=1_000_000, cofunding=500_000
            )
            for year in range(1, 6)
            for category in BudgetLine.Category.values
        )
        for index in range(2):
            content = b"%PDF-1.4\n" + os.urandom(args.attachment_kb * 1024)
            Attachment.objects.create(
                bid=bid,
                file=ContentFile(content, name="document.pdf"),
                original_name=f"document-{index}.pdf",
                size=len(content),
                pages=10,
                sha256=hashlib.sha256(content).hexdigest(),
            )
        snapshot = bid_content(bid=bid) | {
            "version": 1,
            "submitted_at": timezone.now().isoformat(),
            "submitted_by": submitter.username,
        }
        BidVersion.objects.create(
            bid=bid,
            number=1,
            snapshot=snapshot,
            sha256=snapshot_sha256(snapshot),
            submitted_at=timezone.now(),
            submitted_by=submitter,
        )


def _bench(args, workdir: Path) -> None:
    ranking = _ranking_bench()
    call = ranking._populate(args)
    _versions(call, args)

    from django.contrib.auth import get_user_model

    from review.models import CallExport
    from review.services import decisions
    from review.services.exports import write_export
    from review.services.ranking_runs import RunSettings, create_and_run_ranking

    users = get_user_model()
    preparer = users.objects.create(username="preparer@example.org", is_staff=True)
    approver = users.objects.create(username="approver@example.org", is_staff=True)
    run = create_and_run_ranking(
        call=call, by=preparer, settings=RunSettings(calibration="additive")
    )
    decision = decisions.prepare_decision(call=call, run=run, by=preparer)
    decisions.approve_decision(decision=decision, by=approver)

    out = workdir / "out"
    out.mkdir()
    load = os.getloadavg()
    print(
        f"exports of a call: {args.bids} bids, {run.parameters['scores']} scores, "
        f"2 attachments of {args.attachment_kb} kB per bid; DJANGO_DEBUG=0; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    for kind in CallExport.Kind.values:
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            path = write_export(
                call=call, kind=kind, language="fr", pseudonymise=True, directory=out
            )
            timings.append(time.perf_counter() - started)
        tracemalloc.start()
        write_export(call=call, kind=kind, language="fr", pseudonymise=True, directory=out)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"  {path.name:16} median {statistics.median(timings):6.2f} s over {args.repeat} "
            f"(min {min(timings):.2f}, max {max(timings):.2f}); peak Python allocations "
            f"{peak / 2**20:6.1f} MiB; file {path.stat().st_size / 2**20:8.2f} MiB"
        )


if __name__ == "__main__":
    main()
