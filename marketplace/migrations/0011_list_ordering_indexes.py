"""Newest first read from an index on PostgreSQL, rather than every posting sorted on each request.

The order is ``search_index.NEWEST_ORDER``: published_at DESC NULLS LAST, created_at DESC, id DESC (the API's, the
list pages' and the home page's). One index per kind serves the public (published postings), members (published or
their organisation's) and staff (everything) alike: the rows are read in order and filtered, 20 at a time. Without
it, /api/v1/achievements/ sorted 100,000 rows a request (267 ms of PostgreSQL CPU; 6.4 ms with it, issue #14).

SQLite (development) cannot index NULLS LAST; its databases are small, so it sorts.
"""

from django.db import migrations

TABLES = ["marketplace_achievement", "marketplace_need"]
INDEX = "{table}_newest"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        name = INDEX.format(table=table)
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'("published_at" DESC NULLS LAST, "created_at" DESC, "id" DESC)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX.format(table=table)}"')


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0010_verbose_names")]

    operations = [migrations.RunPython(create, drop)]
