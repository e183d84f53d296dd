"""Bounded imports (#11 item 1, first part): a file over the record limit, or a workbook that would inflate past
its limit (a zip bomb), is refused whole with one error naming the limit, before the rest is read; a file with
thousands of bad rows lists the first ones and counts the rest."""

from __future__ import annotations

import codecs
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization
from marketplace.importers import import_records
from marketplace.models import Achievement
from tests.marketplace.test_importers import GOOD, jsonl

pytestmark = pytest.mark.django_db


def run(data: bytes, filename: str):  # type: ignore[no-untyped-def]
    return import_records(kind="achievements", data=data, filename=filename, create_orgs=True)


def rows(n: int) -> list[dict]:
    return [{**GOOD, "ref": f"A{i}"} for i in range(n)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_file_over_the_record_limit_is_refused_whole(settings, fmt):
    settings.IMPORT_MAX_ROWS = 5
    if fmt == "jsonl":
        data = jsonl(*rows(8))
    else:
        header = "ref,title,summary,province,city,institution"
        data = "\n".join([header, *(f"A{i},标题{i},摘要{i},江苏省,苏州市,苏州大学" for i in range(8))]).encode()
    result = run(data, f"records.{fmt}")
    assert [(e.row, e.field) for e in result.errors] == [(0, "file")]
    assert "more than 5 records" in result.errors[0].reason
    assert not Achievement.objects.exists() and not Organization.objects.exists()
    settings.IMPORT_MAX_ROWS = 8
    assert run(data, f"records.{fmt}").ok


def bomb(inflated_mb: int) -> bytes:
    """A workbook-shaped zip whose sheet inflates to ``inflated_mb`` MB of zeros (a few hundred KB stored)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"0" * 2**20
            for _ in range(inflated_mb):
                sheet.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating_it(settings):
    settings.IMPORT_MAX_XLSX_MB = 200
    data = bomb(300)
    assert len(data) < 2 * 2**20
    result = run(data, "records.xlsx")
    assert [(e.row, e.field) for e in result.errors] == [(0, "file")]
    assert "inflates to 300 MB, over the limit of 200 MB" in result.errors[0].reason  # read from the directory


def test_a_small_workbook_that_inflates_a_thousandfold_is_refused(settings):
    result = run(bomb(20), "records.xlsx")
    assert "inflates" in result.errors[0].reason and "not a spreadsheet" in result.errors[0].reason


def test_thousands_of_bad_rows_list_the_first_and_count_the_rest(settings, tmp_path):
    settings.IMPORT_MAX_ERRORS = 3
    data = jsonl(*({"ref": f"B{i}"} for i in range(50)))  # no title, summary, place...
    result = run(data, "records.jsonl")
    assert len(result.errors) == 3 and result.errors_total > 50 and result.errors_unlisted == result.errors_total - 3
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError, match=f"{result.errors_total} problems"):
        call_command("import_records", "achievements", str(path), "--create-orgs", stderr=err)
    assert len(err.getvalue().splitlines()) == 4 and "more problems not listed" in err.getvalue()


def test_a_utf8_byte_order_mark_before_gbk_text_reads_as_the_gbk_it_is():
    text = "ref,title,summary,province,city,institution\nA1,钙钛矿电池,效率28%,江苏省,苏州市,苏州大学\n"
    result = run(codecs.BOM_UTF8 + text.encode("gbk"), "records.csv")
    assert result.ok, result.errors
    assert Achievement.objects.get().title == "钙钛矿电池"
