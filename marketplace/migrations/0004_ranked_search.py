"""Ranked search: one row per token of each posting's weighted bilingual document (``marketplace.search``), with an
index by token; then the rows of the postings that exist (re-run with ``manage.py search_reindex``)."""

import django.db.models.deletion
from django.db import migrations, models


def build(apps, schema_editor):
    from marketplace.search import document_terms

    for name, body in (("Achievement", "summary"), ("Need", "description")):
        model = apps.get_model("marketplace", name)
        term = apps.get_model("marketplace", f"{name}SearchTerm")
        rows = []
        for posting in model.objects.only("pk", "title", "keywords", body).iterator(chunk_size=500):
            terms = document_terms(title=posting.title, keywords=posting.keywords or [], body=getattr(posting, body))
            rows.extend(term(posting_id=posting.pk, token=t, impact=i) for t, i in terms.items())
            if len(rows) >= 20000:
                term.objects.bulk_create(rows)
                rows = []
        term.objects.bulk_create(rows)


def widen_statistics(apps, schema_editor):
    """PostgreSQL: a larger sample of the token column, so that the planner's statistics list the document
    frequencies of the ~2,500 most common tokens (the search reads them instead of counting index rows)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("marketplace_achievementsearchterm", "marketplace_needsearchterm"):
        schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "token" SET STATISTICS 2500')


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_search_indexes")]

    operations = [
        migrations.CreateModel(
            name="AchievementSearchTerm",
            fields=[
                ("token", models.CharField(max_length=64)),
                ("impact", models.FloatField()),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "posting_id", "token", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "posting",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="marketplace.achievement",
                    ),
                ),
            ],
            options={"indexes": [models.Index(fields=["token", "-impact", "posting"], name="achievement_term_token")]},
        ),
        migrations.CreateModel(
            name="NeedSearchTerm",
            fields=[
                ("token", models.CharField(max_length=64)),
                ("impact", models.FloatField()),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "posting_id", "token", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "posting",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="marketplace.need",
                    ),
                ),
            ],
            options={"indexes": [models.Index(fields=["token", "-impact", "posting"], name="need_term_token")]},
        ),
        migrations.RunPython(widen_statistics, migrations.RunPython.noop),
        migrations.RunPython(build, migrations.RunPython.noop, elidable=True),
    ]
