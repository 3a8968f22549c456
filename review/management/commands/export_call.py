"""``python manage.py export_call <slug> --to DIR``: the four files of a call's exports,
written synchronously by the same functions as the Celery task (``write_export``)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from applications.models import Call
from review.models import CallExport
from review.services.exports import check_export_request, file_sha256, write_export


class Command(BaseCommand):
    help = "Write jury-report.pdf, scores.xlsx, bids.zip and results.csv of a call into DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the call's slug")
        parser.add_argument("--to", required=True, type=Path, help="directory to write into")
        parser.add_argument("--language", choices=["fr", "en"], default="en")
        parser.add_argument(
            "--pseudonyms", action="store_true", help="show jurors as Juror 1, Juror 2…"
        )

    def handle(self, *args, slug: str, to: Path, language: str, pseudonyms: bool, **options):
        call = Call.objects.filter(slug=slug).first()
        if call is None:
            raise CommandError(f"No call with the slug {slug!r}.")
        to.mkdir(parents=True, exist_ok=True)
        for kind in CallExport.Kind.values:
            if kind == CallExport.Kind.RANKING:  # one per run: see the ranking exports
                continue
            try:
                check_export_request(call=call, kind=kind)
            except ValidationError as error:
                self.stderr.write(f"{kind}: skipped: {' '.join(error.messages)}")
                continue
            path = write_export(
                call=call,
                kind=kind,
                language=language,
                pseudonymise=pseudonyms,
                directory=to,
            )
            self.stdout.write(f"{file_sha256(path)}  {path}")
