from django.core.management.base import BaseCommand

from portal import demo


class Command(BaseCommand):
    help = "Load the demo IA-cluster calls, institutions, bids, jury and ranking (idempotent)."

    def handle(self, *args, **options) -> None:
        if demo.is_loaded():
            self.stdout.write("Demo data already loaded.")
            return
        summary = demo.load()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {summary}"))
