import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from accounts.models import Organization
from marketplace.importers import export_records, import_records, template_file
from marketplace.models import Achievement, Need, Status
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data" / "bench-dev"

GOOD = {
    "ref": "A1",
    "title": "钙钛矿叠层太阳电池",
    "summary": "效率28%，可许可。",
    "domains": ["photovoltaic"],
    "keywords": ["钙钛矿", "叠层"],
    "trl": 5,
    "ip": "granted_patent",
    "modes": ["license"],
    "price_wan": [100, 300],
    "province": "江苏省",
    "city": "苏州市",
    "institution": "苏州大学",
    "lang": "zh",
}


def jsonl(*records: dict) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()


def run(data: bytes, filename: str = "records.jsonl", kind: str = "achievements", **options):
    return import_records(kind=kind, data=data, filename=filename, create_orgs=True, **options)


def test_the_whole_benchmark_imports_with_domains_and_places_resolved():
    for kind in ("achievements", "needs"):
        path = BENCH / f"{kind}.jsonl"
        result = run(path.read_bytes(), filename=path.name, kind=kind, publish=True)
        assert result.ok, result.errors[:5]
    records = [json.loads(line) for line in (BENCH / "achievements.jsonl").read_text().splitlines()]
    assert Achievement.objects.filter(status=Status.PUBLISHED).count() == len(records)
    assert Need.objects.filter(status=Status.PUBLISHED).count() == 50
    by_ref = {a.external_ref: a for a in Achievement.objects.prefetch_related("domains")}
    for record in records:
        posting = by_ref[record["ref"]]
        assert sorted(d.code for d in posting.domains.all()) == sorted(record["domains"])
        assert posting.province_id
        assert posting.organization.name == record["institution"]
    kunshan = Need.objects.filter(city_id="320500")  # "Kunshan" resolves to Suzhou
    assert kunshan.exists()


def test_reimporting_updates_by_reference_instead_of_duplicating():
    assert run(jsonl(GOOD)).created == 1
    again = run(jsonl({**GOOD, "title": "钙钛矿/晶硅叠层太阳电池", "domains": ["photovoltaic", "new_energy"]}))
    assert (again.created, again.updated) == (0, 1)
    posting = Achievement.objects.get()
    assert posting.title == "钙钛矿/晶硅叠层太阳电池"
    assert set(posting.domains.values_list("code", flat=True)) == {"photovoltaic", "new_energy"}


@pytest.mark.parametrize(
    ("broken", "row", "field", "reason"),
    [
        ({"title": ""}, 2, "title", "is required"),
        ({"domains": ["warp_drive"]}, 2, "domains", "warp_drive"),
        ({"province": "Atlantis", "city": None}, 2, "province", "Atlantis"),
        ({"trl": 12}, 2, "trl", "1-9"),
        ({"price_wan": [300, 100]}, 2, "price_wan", "above the highest"),
        ({"modes": ["barter"]}, 2, "modes", "barter"),
        ({"lang": "fr"}, 2, "lang", "fr"),
    ],
)
def test_one_bad_row_imports_nothing_and_names_row_field_and_reason(broken, row, field, reason):
    data = jsonl({**GOOD, "ref": "A0"}, {**GOOD, **broken}, {**GOOD, "ref": "A2"})
    result = run(data)
    assert not result.ok
    (error,) = result.errors
    assert (error.row, error.field) == (row, field)
    assert reason in error.reason
    assert f"row {row}, {field}:" in str(error)
    assert not Achievement.objects.exists()
    assert not Organization.objects.exists()


def test_malformed_json_line_and_duplicate_reference_are_reported_together():
    data = jsonl(GOOD) + b'\n{"ref": "A2", "title": \n' + jsonl(GOOD)
    result = run(data)
    assert [(e.row, e.field) for e in result.errors] == [(2, "json"), (3, "ref")]
    assert "already appears on row 1" in result.errors[1].reason
    assert not Achievement.objects.exists()


def test_empty_file_is_an_error():
    result = run(b"\n\n")
    assert [str(e) for e in result.errors] == ["file, file: the file holds no records"]


CSV_HEADER = "ref,title,summary,domains,keywords,trl,ip,modes,price_wan,province,city,institution,lang\n"
CSV_ROW = (
    "A1,钙钛矿叠层太阳电池,效率28%,photovoltaic,钙钛矿；叠层,5,granted_patent,"
    "license; transfer,100-300,江苏,苏州,苏州大学,zh\n"
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
def test_csv_in_utf8_with_bom_and_in_gbk(encoding):
    result = run((CSV_HEADER + CSV_ROW).encode(encoding), filename="records.csv")
    assert result.ok, result.errors
    posting = Achievement.objects.get()
    assert (posting.title, posting.keywords, posting.modes) == (
        "钙钛矿叠层太阳电池",
        ["钙钛矿", "叠层"],
        ["license", "transfer"],
    )
    assert (posting.price_min_wan, posting.price_max_wan, posting.city_id) == (100, 300, "320500")


def test_csv_errors_count_spreadsheet_rows():
    result = run((CSV_HEADER + CSV_ROW + CSV_ROW.replace("A1,", "A2,").replace(",5,", ",12,")).encode(), "x.csv")
    assert [(e.row, e.field) for e in result.errors] == [(3, "trl")]


def test_xlsx_import():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(GOOD))
    sheet.append([json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for v in GOOD.values()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(buffer.getvalue(), filename="records.xlsx")
    assert result.ok, result.errors
    assert Achievement.objects.get().domains.get().code == "photovoltaic"


def test_unreadable_xlsx_and_unknown_extension():
    assert "XLSX" in str(run(b"not a zip", filename="x.xlsx").errors[0])
    assert ".jsonl, .csv or .xlsx" in str(run(b"", filename="x.pdf").errors[0])


def test_dry_run_writes_nothing_but_reports_what_it_would_do():
    result = run(jsonl(GOOD), dry_run=True)
    assert (result.ok, result.created, result.organizations_created) == (True, 1, ["苏州大学"])
    assert not Achievement.objects.exists()
    assert not Organization.objects.exists()


def test_unknown_owner_without_create_orgs_and_import_into_one_org():
    result = import_records(kind="achievements", data=jsonl(GOOD), filename="a.jsonl")
    assert "--create-orgs" in result.errors[0].reason
    organization = OrganizationFactory(name="江南大学")
    result = import_records(kind="achievements", data=jsonl(GOOD), filename="a.jsonl", organization=organization)
    assert result.ok
    assert Achievement.objects.get().organization == organization


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_export_then_import_is_a_round_trip(fmt):
    path = BENCH / "needs.jsonl"
    assert run(path.read_bytes(), filename=path.name, kind="needs", publish=True).ok
    before = {n.external_ref: (n.title, n.min_trl, n.budget_wan, n.modes, n.city_id) for n in Need.objects.all()}
    data = export_records(Need.objects.all(), kind="needs", fmt=fmt)
    Need.objects.all().delete()
    result = run(data, filename=f"export.{fmt}", kind="needs")
    assert result.ok, result.errors[:3]
    after = {n.external_ref: (n.title, n.min_trl, n.budget_wan, n.modes, n.city_id) for n in Need.objects.all()}
    assert after == before


def test_export_leaves_contacts_out_unless_asked():
    run(jsonl({**GOOD, "contact_email": "secret@suda.edu.cn"}))
    assert b"secret@suda.edu.cn" not in export_records(Achievement.objects.all(), kind="achievements", fmt="jsonl")
    with_contacts = export_records(Achievement.objects.all(), kind="achievements", fmt="jsonl", include_contacts=True)
    assert b"secret@suda.edu.cn" in with_contacts


def test_template_files_have_the_columns():
    assert template_file(kind="needs", fmt="csv").decode("utf-8-sig").startswith("ref,title,description,")


def test_command_line_import_fails_loudly_and_exports(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl(GOOD, {**GOOD, "ref": "A2", "trl": 12}))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem; nothing was imported"):
        call_command("import_records", "achievements", str(bad), "--create-orgs", stderr=err)
    assert "bad.jsonl: row 2, trl:" in err.getvalue()
    assert not Achievement.objects.exists()
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(GOOD))
    out = io.StringIO()
    call_command("import_records", "achievements", str(good), "--create-orgs", "--publish", stdout=out)
    assert "1 created" in out.getvalue()
    exported = io.StringIO()
    call_command("export_records", "achievements", stdout=exported)
    assert json.loads(exported.getvalue())["ref"] == "A1"


def test_admin_import_for_staff_only(client, staff_user, user, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("admin:marketplace_achievement_import")
    client.force_login(user)
    assert client.get(url).status_code == 302
    client.force_login(staff_user)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post(url, {"file": SimpleUploadedFile("a.jsonl", jsonl({**GOOD, "trl": 12})), "create_orgs": "on"})
    job = client.get(bad["Location"]).context["job"]
    assert [(row, field) for row, field, _reason in job.errors] == [(1, "trl")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"file": SimpleUploadedFile("a.jsonl", jsonl(GOOD)), "create_orgs": "on", "publish": "on"}
        )
    assert response.status_code == 302
    assert Achievement.objects.get().status == Status.PUBLISHED


HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1", "=1+2"]


def _hostile_records() -> bytes:
    return jsonl(*[
        {**GOOD, "ref": f"H{i}", "title": text, "summary": text, "keywords": [text], "institution": text}
        for i, text in enumerate(HOSTILE)
    ])  # fmt: skip


def _csv_cells(data: bytes) -> list[str]:
    import csv

    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def _assert_inert(data: bytes, fmt: str, texts: list[str] = HOSTILE) -> None:
    """No cell of the file would run as a formula in a spreadsheet, and the texts read back as typed."""
    from openpyxl import load_workbook

    if fmt == "csv":
        cells = _csv_cells(data)
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert {"'" + text for text in texts} <= set(cells)
    else:
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert not [c for c in cells if c.data_type == "f"]
        assert set(texts) <= {c.value for c in cells}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_posting_export_is_inert_and_reimports_the_texts_as_typed(fmt, client, tmp_path):
    from django.urls import reverse

    from accounts.models import Membership
    from tests.factories import UserFactory

    assert run(_hostile_records(), publish=True).ok
    titles = sorted(Achievement.objects.values_list("title", flat=True))
    assert titles == sorted(HOSTILE)
    # the library export, the command and the organisation's own export page
    _assert_inert(export_records(Achievement.objects.all(), kind="achievements", fmt=fmt), fmt)
    path = tmp_path / f"out.{fmt}"
    call_command("export_records", "achievements", "--format", fmt, "--output", str(path))
    _assert_inert(path.read_bytes(), fmt)
    posting = Achievement.objects.first()
    user = UserFactory()
    Membership.objects.create(user=user, organization=posting.organization, role=Membership.Role.OWNER)
    client.force_login(user)
    page = client.get(reverse("marketplace:export", kwargs={"kind": "achievements", "fmt": fmt}))
    assert page.status_code == 200
    _assert_inert(page.content, fmt, [posting.title])
    # what was exported imports back as it was typed
    data = export_records(Achievement.objects.all(), kind="achievements", fmt=fmt)
    Achievement.objects.all().delete()
    assert run(data, filename=f"again.{fmt}").ok
    assert sorted(Achievement.objects.values_list("title", flat=True)) == titles
    assert sorted(Achievement.objects.values_list("summary", flat=True)) == titles


def test_an_import_row_with_a_two_megabyte_field_is_refused_naming_row_and_field():
    result = run(jsonl({**GOOD, "ref": "A0"}, {**GOOD, "summary": "x" * 2_000_000}))
    assert not result.ok
    assert [(e.row, e.field) for e in result.errors] == [(2, "summary")]
    assert not Achievement.objects.exists()


def test_a_keyword_longer_than_a_keyword_is_refused():
    result = run(jsonl({**GOOD, "keywords": ["钙钛矿", "x" * 61]}))
    assert [(e.row, e.field) for e in result.errors] == [(1, "keywords")]


@pytest.mark.parametrize(
    ("domains", "ip", "modes", "lang"),
    [
        ("电池材料", "授权专利", "许可、合作开发", "中文"),  # as the Chinese interface shows them
        ("Battery materials", "Granted patent", "licence/co-development", "Chinese"),  # as the English one does
        ("battery_materials", "granted_patent", "license;co_development", "zh"),  # the codes
        ("ＢＡＴＴＥＲＹ ＭＡＴＥＲＩＡＬＳ", "授权专利", "许可／合作开发", "ZH"),  # full-width, other case
    ],
)
def test_coded_columns_take_the_code_or_the_label_in_either_language(domains, ip, modes, lang):
    header = "ref,title,summary,domains,ip,modes,province,city,institution,lang"
    row = f'A1,固态电池电解质,硫化物固态电解质,{domains},{ip},"{modes}",安徽省,合肥市,中国科学技术大学,{lang}'
    result = run(f"{header}\n{row}\n".encode(), filename="a.csv")
    assert result.ok, result.errors
    posting = Achievement.objects.get()
    assert [d.code for d in posting.domains.all()] == ["battery_materials"]
    assert (posting.ip_status, posting.language) == ("granted_patent", "zh")
    assert posting.modes == ["license", "co_development"]


def test_a_label_nobody_uses_is_refused_naming_what_is_accepted():
    header = "ref,title,description,modes,region_scope,province,enterprise"
    result = run(f"{header}\nN1,需求,描述,以物易物,同省,上海,上海某公司\n".encode(), filename="n.csv", kind="needs")
    assert [(e.row, e.field) for e in result.errors] == [(2, "modes")]
    assert "以物易物" in result.errors[0].reason and "licence" in result.errors[0].reason  # the labels
    ok = run(f"{header}\nN1,需求,描述,技术服务,同省,上海,上海某公司\n".encode(), filename="n.csv", kind="needs")
    assert ok.ok, ok.errors
    assert (Need.objects.get().modes, Need.objects.get().region_scope) == (["service"], "province")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
@pytest.mark.parametrize("kind", ["achievements", "needs"])
def test_a_template_as_downloaded_imports_its_example_row(kind, fmt, language):
    from django.utils import translation

    with translation.override(language):
        data = template_file(kind=kind, fmt=fmt)
    result = run(data, filename=f"template.{fmt}", kind=kind)
    assert result.ok, result.errors
    assert result.created == 1
    posting = (Achievement if kind == "achievements" else Need).objects.get()
    assert posting.modes == ["license", "co_development"]
    assert [d.code for d in posting.domains.all()] == ["battery_materials"]
    assert posting.language == ("zh" if language == "zh-hans" else "en")
    assert posting.contact_name  # the confidential columns are in the template too


def test_the_xlsx_template_lists_the_allowed_values_and_offers_them_in_drop_downs():
    from django.utils import translation
    from openpyxl import load_workbook

    with translation.override("zh-hans"):
        workbook = load_workbook(io.BytesIO(template_file(kind="achievements", fmt="xlsx")))
    records, allowed = workbook.worksheets
    header = [cell.value for cell in records[1]]
    ip_column = chr(ord("A") + header.index("ip"))
    validated = {str(rng) for dv in records.data_validations.dataValidation for rng in dv.sqref.ranges}
    assert f"{ip_column}2:{ip_column}1000" in validated
    listed = [cell.value for column in allowed.iter_cols() for cell in column]
    assert "授权专利" in listed and "granted_patent" in listed and "电池材料" in listed
