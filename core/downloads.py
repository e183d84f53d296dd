"""File downloads (exports, templates, calendars): one response builder for every page that offers a file."""

from __future__ import annotations

from django.http import HttpResponse

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar; charset=utf-8",
}


def file_response(data: bytes, filename: str) -> HttpResponse:
    """``data`` as an attachment named ``filename``, typed by its extension."""
    response = HttpResponse(data, content_type=CONTENT_TYPES[filename.rsplit(".", 1)[1]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
