"""python manage.py import_records {achievements|needs} FILE [--org NAME | --create-orgs] [--publish] [--dry-run]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import Organization
from marketplace.importers import KINDS, import_records


class Command(BaseCommand):
    help = (
        "Import achievements or needs from JSONL (the benchmark format), CSV or XLSX with the same columns. "
        "Every row is checked first; one bad row and nothing is written. Re-importing updates by reference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        owner = parser.add_mutually_exclusive_group()
        owner.add_argument("--org", help="Name of the organisation that owns every row.")
        owner.add_argument(
            "--create-orgs", action="store_true", help="Create the organisations named in the rows' owner column."
        )
        parser.add_argument("--publish", action="store_true", help="Publish the records (no moderation).")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        organization = None
        if options["org"]:
            organization = Organization.objects.filter(name__iexact=options["org"].strip()).first()
            if organization is None:
                raise CommandError(f'No organisation named "{options["org"]}".')
        show_progress = options["verbosity"] >= 1 and path.stat().st_size > 256 * 1024

        bars: dict[str, tqdm] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if not show_progress:
                return
            bar = bars.get(phase)
            if bar is None:
                bar = bars[phase] = tqdm(desc=f"{phase} {options['kind']}", unit="row", total=total or None)
            bar.total = total or bar.total
            bar.update(done - bar.n)
            if total and done >= total:
                bar.close()

        result = import_records(
            kind=options["kind"],
            data=path.read_bytes(),
            filename=path.name,
            organization=organization,
            create_orgs=options["create_orgs"],
            publish=options["publish"],
            dry_run=options["dry_run"],
            progress=progress,
        )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"{path.name}: {error}")
            if result.errors_unlisted:
                self.stderr.write(f"{path.name}: ... and {result.errors_unlisted} more error(s) not listed")
            raise CommandError(f"{result.errors_total} error(s); nothing was imported.")
        verb = "would be" if result.dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} created, {result.updated} updated, {result.published} published "
                f"({verb} written); {len(result.organizations_created)} organisations created; rows committed "
                f"after {result.written_seconds:.1f} s, then indexed for search."
            )
        )
