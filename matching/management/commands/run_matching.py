"""python manage.py run_matching [--full] [--explain]"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from matching.explaining import explain_pending
from matching.runs import match_run_full, match_run_incremental


class Command(BaseCommand):
    help = "Match published achievements and needs: incremental (records published since the last run) or --full."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Re-score everything (a full rebuild).")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="Only explain now the matches a full rebuild left to be explained later (no run).",
        )
        parser.add_argument(
            "--blocks", type=int, help="With --explain: at most this many blocks of 20,000 (to time a sample)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["explain"]:
            started = time.perf_counter()
            written, _ = explain_pending(blocks=options["blocks"])
            self.stdout.write(
                self.style.SUCCESS(f"{written} matches explained in {time.perf_counter() - started:.1f} s")
            )
            return
        run = match_run_full() if options["full"] else match_run_incremental()
        counts = run.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.get_kind_display()} run #{run.pk}: {counts.get('achievements', 0)} achievements x "
                f"{counts.get('needs', 0)} needs, {counts.get('pairs', 0)} pairs kept "
                f"({counts.get('created', 0)} new, {counts.get('updated', 0)} updated, "
                f"{counts.get('removed', 0)} removed) in {run.duration_seconds:.1f} s"
            )
        )
        if counts.get("explained later"):
            self.stdout.write(
                f"{counts['explained later']} pairs are explained after the run: by the workers, when first shown, "
                "or by run_matching --explain"
            )
