"""Plain rows into a table, fast: COPY on PostgreSQL, one prepared INSERT run for many rows elsewhere. For rows
that need no model logic (index rows, many-to-many links): no model instance is made, which is most of the cost of
``bulk_create`` for millions of small rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples of values in the order of ``fields``, already in their database form: numbers and
    text) into ``model``'s table. Runs in the caller's transaction; a constraint broken fails the whole call."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY, each row written by psycopg (its C adapters escape and format): for millions of small rows far
            # cheaper than a call per row, and than formatting the rows' text here.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model's metadata
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def copy_text(value: str) -> str:
    """Text for COPY's text format (backslashes, tabs and line breaks escaped; most texts have none)."""
    return value.translate(_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
