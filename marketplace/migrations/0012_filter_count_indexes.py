"""A list filtered by province and domain counted from indexes alone on PostgreSQL.

A list page counts what its filters keep (``selectors.cached_count``): the postings on the market in a province whose
domains are among those asked for. Without these indexes PostgreSQL read each of the province's postings from the
table (wide rows: their text) to test its status, and the domains' link rows to find their postings: 45-85 ms for a
large province at 100,000 achievements (issue #14), 10 ms with them (index-only scans: the province's live postings,
and each domain's postings). They serve the page's rows too (the province's live postings, newest first, 20 kept).

SQLite (development) has small databases: it goes without.
"""

from django.db import migrations

INDEXES = {
    "achievement_live_province": (
        'CREATE INDEX IF NOT EXISTS "{name}" ON "marketplace_achievement" ("province_id", "id") '
        "WHERE \"status\" = 'published'"
    ),
    # a need is live while its deadline has not passed: the deadline rides along for an index-only count
    "need_live_province": (
        'CREATE INDEX IF NOT EXISTS "{name}" ON "marketplace_need" ("province_id", "id") INCLUDE ("deadline") '
        "WHERE \"status\" = 'published'"
    ),
    "achievement_domains_by_domain": (
        'CREATE INDEX IF NOT EXISTS "{name}" ON "marketplace_achievement_domains" ("domain_id", "achievement_id")'
    ),
    "need_domains_by_domain": (
        'CREATE INDEX IF NOT EXISTS "{name}" ON "marketplace_need_domains" ("domain_id", "need_id")'
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, sql in INDEXES.items():
        schema_editor.execute(sql.format(name=name))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0011_list_ordering_indexes")]

    operations = [migrations.RunPython(create, drop)]
