"""python manage.py import_records {achievements|needs} FILE [--org NAME | --create-orgs] [--publish] [--dry-run]
[--language CODE]

Its errors and summary are said in ``--language``, English by default (not ``LANGUAGE_CODE``): the command's output
goes to operators' logs and to scripts that read it (``bench/import_scale.py`` reads "committed after N s"), which
should not change with a setting; ``--language zh-hans`` says it in Chinese. Rows are counted as a spreadsheet shows
them (the header is row 1; JSONL: the line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
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
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default="en",
            help="The language of the errors and the summary (default: en).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self.run(options)

    def run(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        organization = None
        if options["org"]:
            organization = Organization.objects.filter(name__iexact=options["org"].strip()).first()
            if organization is None:
                raise CommandError(_('No organisation named "%(name)s".') % {"name": options["org"]})
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
                unlisted = ngettext("and %(count)d more problem not listed", "and %(count)d more problems not listed",
                                    result.errors_unlisted)  # fmt: skip
                self.stderr.write(f"{path.name}: {unlisted % {'count': result.errors_unlisted}}")
            refused = ngettext("%(count)d problem; nothing was imported.", "%(count)d problems; nothing was imported.",
                               result.errors_total)  # fmt: skip
            raise CommandError(refused % {"count": result.errors_total})
        counts = {"created": result.created, "updated": result.updated, "published": result.published,
                  "organizations": len(result.organizations_created), "seconds": result.written_seconds}  # fmt: skip
        if result.dry_run:
            summary = _("Nothing written. %(created)d would be created, %(updated)d updated, %(published)d "
                        "published; %(organizations)d organisations would be created.")  # fmt: skip
        else:
            summary = _("%(created)d created, %(updated)d updated, %(published)d published; %(organizations)d "
                        "organisations created; rows committed after %(seconds).1f s, then indexed for "
                        "search.")  # fmt: skip
        self.stdout.write(self.style.SUCCESS(summary % counts))
