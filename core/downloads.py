"""File downloads (exports, templates, calendars): one response builder for every page that offers a file.

Every download a signed-in user receives is recorded in the audit log as an export (``core.audit.AuditMiddleware``);
the page names what it exported (``target``) and whose it is (``organization``) for the log."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpResponse

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar; charset=utf-8",
}


def file_response(
    data: bytes, filename: str, *, target: models.Model | None = None, organization: Any = None
) -> HttpResponse:
    """``data`` as an attachment named ``filename``, typed by its extension; ``target`` and ``organization`` are
    what the audit log's export row names."""
    response = HttpResponse(data, content_type=CONTENT_TYPES[filename.rsplit(".", 1)[1]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.audit_export = {"target": target, "organization": organization}  # type: ignore[attr-defined]
    return response
