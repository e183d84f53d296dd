"""GIN indexes for full-text search on PostgreSQL (the expression the search selector filters on).

SQLite has no such index; its search path scans, which is fine at the size of a development database.
"""

from django.db import migrations

TABLES = ["marketplace_achievement", "marketplace_need"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_search_gin" ON "{table}" '
            f"USING gin (to_tsvector('simple'::regconfig, COALESCE(\"search_document\", '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_search_gin"')


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
