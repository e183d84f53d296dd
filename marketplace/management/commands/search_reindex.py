"""python manage.py search_reindex [achievements|needs]: rebuild the ranked-search index of every posting."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from marketplace.models import Achievement, Need
from marketplace.search_index import index_rebuild

MODELS = {"achievements": Achievement, "needs": Need}


class Command(BaseCommand):
    help = (
        "Rebuild the search index (weighted bilingual tokens) of every posting: after the glossary or the tokenizer "
        "changed. Saving a posting through the services keeps its own rows up to date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*", help="achievements, needs, or both (the default).")

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = set(options["kinds"]) - set(MODELS)
        if unknown:
            raise CommandError(
                _("Unknown kind(s): %(kinds)s; say achievements or needs.") % {"kinds": ", ".join(sorted(unknown))}
            )
        for kind in options["kinds"] or list(MODELS):
            done = index_rebuild(MODELS[kind])
            self.stdout.write(f"{kind}: {done} postings indexed")
