"""python manage.py export_records {achievements|needs} [--format jsonl|csv|xlsx] [--output FILE]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Organization
from core.audit import audit_command_export
from marketplace.importers import KINDS, SPECS, export_records
from marketplace.models import Status
from marketplace.records import FORMATS


class Command(BaseCommand):
    help = "Export achievements or needs in the import format, so that export then import is a round trip."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--format", choices=FORMATS, default="jsonl")
        parser.add_argument("--output", type=Path, help="File to write (default: standard output).")
        parser.add_argument("--org", help="Only this organisation's records.")
        parser.add_argument(
            "--status", choices=[*Status.values, "all"], default="published", help="Which records (default published)."
        )
        parser.add_argument(
            "--with-contacts", action="store_true", help="Include the confidential contact columns (operators only)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queryset = SPECS[options["kind"]].model.objects.order_by("pk")
        if options["status"] != "all":
            queryset = queryset.filter(status=options["status"])
        if options["org"]:
            queryset = queryset.filter(organization__name__iexact=options["org"])
        if options["format"] == "xlsx" and not options["output"]:
            raise CommandError(_("XLSX is binary: give --output FILE."))
        data = export_records(
            queryset, kind=options["kind"], fmt=options["format"], include_contacts=options["with_contacts"]
        )
        audit_command_export(
            "export_records",
            organization=Organization.objects.filter(name__iexact=options["org"]).first() if options["org"] else None,
            detail={
                "kind": options["kind"], "format": options["format"], "status": options["status"],
                "confidential_columns": options["with_contacts"], "records": queryset.count(),
                "output": str(options["output"] or "stdout"),
            },
        )  # fmt: skip
        if options["output"]:
            options["output"].write_bytes(data)
            self.stderr.write(f"{queryset.count()} records written to {options['output']}")
        else:
            self.stdout.write(data.decode("utf-8-sig"), ending="")
