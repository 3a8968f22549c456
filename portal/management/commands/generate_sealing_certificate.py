from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal import sealing


class Command(BaseCommand):
    help = (
        "Write a throwaway self-signed sealing certificate and key for the receipts' signature "
        "(demo and tests; production installs the organisation's own seal). Keeps an existing "
        "pair unless --force."
    )
    requires_system_checks = []  # the check this command answers would only warn about itself

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cert", type=Path, default=Path(settings.PORTAL_SEALING_CERT))
        parser.add_argument("--key", type=Path, default=Path(settings.PORTAL_SEALING_KEY))
        parser.add_argument("--days", type=int, default=3650, help="validity in days")
        parser.add_argument("--force", action="store_true", help="replace an existing pair")

    def handle(self, *args, cert: Path, key: Path, days: int, force: bool, **options) -> None:
        if cert.exists() and key.exists() and not force:
            self.stdout.write(f"Sealing certificate already at {cert}.")
            return
        sealing.write_self_signed(
            cert_path=cert,
            key_path=key,
            passphrase=settings.PORTAL_SEALING_KEY_PASSPHRASE,
            days=days,
        )
        self.stdout.write(self.style.SUCCESS(f"Self-signed sealing certificate written to {cert}."))
