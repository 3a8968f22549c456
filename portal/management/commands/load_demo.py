import time

from django.core.management.base import BaseCommand, CommandParser

from portal import demo, demo_scale


class Command(BaseCommand):
    help = (
        "Load the demo IA-cluster calls, institutions, bids, jury and ranking (idempotent). "
        "With --size N, load instead a call of N bids with its jury and scores (scale-N)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--size",
            type=int,
            help="Seed a call of this many bids (5 reviews each by a connected jury of N/5).",
        )
        parser.add_argument(
            "--with-run",
            action="store_true",
            help="With --size: also compute a ranking run (no bootstrap).",
        )

    def handle(self, *args, size: int | None = None, with_run: bool = False, **options) -> None:
        if size is not None:
            self._load_scale(size, with_run=with_run)
            return
        if demo.is_loaded():
            self.stdout.write("Demo data already loaded.")
            return
        summary = demo.load()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {summary}"))

    def _load_scale(self, size: int, *, with_run: bool) -> None:
        if size < 1:
            self.stderr.write("--size takes a number of bids, 1 or more.")
            return
        if demo_scale.is_loaded(size):
            self.stdout.write(f"The call {demo_scale.slug_of(size)} is already loaded.")
            return
        start = time.perf_counter()
        loaded = demo_scale.load(size=size)
        self.stdout.write(
            self.style.SUCCESS(
                f"Call {loaded.call.slug} loaded in {time.perf_counter() - start:.1f} s: "
                f"{loaded.bids} bids, {loaded.jurors} jurors, {loaded.reviews} reviews, "
                f"{loaded.scores} scores."
            )
        )
        if with_run:
            start = time.perf_counter()
            run = demo_scale.rank(call=loaded.call)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Ranking run #{run.pk} ({run.status}) in {time.perf_counter() - start:.1f} s."
                )
            )
