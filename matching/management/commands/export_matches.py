"""python manage.py export_matches [--format jsonl] [--output FILE]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.audit import audit_command_export
from matching.explaining import explain_pending
from matching.models import Match
from matching.serializers import localized_reasons


class Command(BaseCommand):
    help = (
        "Export the kept pairs, one JSON line each: need_ref, achievement_ref, score, components, reasons. Reasons "
        "carry both languages (zh, en) unless --language picks one (then each reason has one text)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["jsonl"], default="jsonl")
        parser.add_argument("--output", type=Path)
        parser.add_argument("--language", choices=["zh", "en"], help="the reasons in this language only")

    def handle(self, *args: Any, **options: Any) -> None:
        language = options.get("language")
        explain_pending()  # the matches a full rebuild left to be explained later, all of them now
        matches = Match.objects.select_related("need", "achievement").order_by("need_id", "-score", "achievement_id")
        lines = []
        for match in matches.iterator(chunk_size=2000):
            lines.append(
                json.dumps(
                    {
                        "need_ref": match.need.external_ref or str(match.need_id),
                        "achievement_ref": match.achievement.external_ref or str(match.achievement_id),
                        "score": match.score,
                        "components": match.components,
                        "broken": match.broken,
                        "reasons": localized_reasons(match, language) if language else match.reasons,
                        "status": match.status,
                    },
                    ensure_ascii=False,
                )
            )
        text = "\n".join(lines) + ("\n" if lines else "")
        audit_command_export(
            "export_matches",
            detail={"format": options["format"], "records": len(lines), "output": str(options["output"] or "stdout")},
        )
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stderr.write(f"{len(lines)} pairs written to {options['output']}")
        else:
            self.stdout.write(text, ending="")
