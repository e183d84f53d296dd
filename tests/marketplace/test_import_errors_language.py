"""Import errors in the reader's words (#12 item 5): each names the row as a spreadsheet shows it (header = row 1) and
the column by its header, and its reason is said in the language of whoever reads the job (the uploader, staff in
admin), whatever language the Celery task ran in; Django's own validators' messages too."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from marketplace import import_jobs
from marketplace.models import Achievement, ImportJob
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

HEADER = "ref,title,summary,trl,modes,province,city,contact_email,contact_phone"
BAD_CSV = "\n".join([
    HEADER,
    "A1,,没有标题的成果,5,许可,江苏省,苏州市,,",  # row 2: the title is missing
    "A2,钙钛矿电池,效率28%,12,许可,江苏省,苏州市,,",  # row 3: TRL off the scale
    "A3,钙钛矿电池,效率28%,5,以物易物,江苏省,苏州市,,",  # row 4: a mode nobody uses
    "A4,钙钛矿电池,效率28%,5,许可,江苏省,苏州市,not-an-address,",  # row 5: Django's EmailValidator
    "A5,钙钛矿电池,效率28%,5,许可,江苏省,苏州市,,0551-" + "1" * 45,  # row 6: the model's max_length (40)
]).encode()  # fmt: skip


@pytest.fixture
def member():  # type: ignore[no-untyped-def]
    return MembershipFactory().user


def refused_job(client, member, django_capture_on_commit_callbacks, language: str) -> ImportJob:  # type: ignore[no-untyped-def]
    """Upload the bad file in ``language``; the task (eager, on commit) runs in no request's language."""
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("marketplace:import"),
            {"kind": "achievements", "file": SimpleUploadedFile("bad.csv", BAD_CSV)},
            HTTP_ACCEPT_LANGUAGE=language,
        )
    job = ImportJob.objects.get()
    assert job.state == "refused" and not Achievement.objects.exists()
    return job


def table(page: str) -> list[tuple[str, str, str]]:
    cells = re.findall(r"<tr data-import-error><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", page)
    return [(row, column, reason.replace("&quot;", '"').replace("&#x27;", "'")) for row, column, reason in cells]


def expected(message: str, language: str, **params: object) -> str:
    with translation.override(language):
        return gettext(message) % params if params else gettext(message)


def test_errors_read_in_chinese_name_the_row_and_column_in_chinese(client, member, django_capture_on_commit_callbacks):
    job = refused_job(client, member, django_capture_on_commit_callbacks, "zh-hans")
    page = client.get(reverse("marketplace:import-job", kwargs={"pk": job.pk}), HTTP_ACCEPT_LANGUAGE="zh-hans")
    lines = table(page.content.decode())
    assert [(row, column) for row, column, _reason in lines] == [
        ("2", "title"), ("3", "trl"), ("4", "modes"), ("5", "contact_email"), ("6", "contact_phone")
    ]  # fmt: skip
    reasons = {(row, column): reason for row, column, reason in lines}
    # Django's own words, in Django's Chinese: ours for a missing value, its validators' for the model's checks.
    assert reasons["2", "title"] == "该字段是必填项。"
    assert reasons["5", "contact_email"] == "请输入合法的邮件地址。"
    assert reasons["6", "contact_phone"] == "确保该变量包含不超过 40 字符 (目前字符数 50)。"
    assert reasons["3", "trl"] == expected("%(value)s is outside the readiness scale 1-9", "zh-hans", value=12)
    # The allowed modes are said in the reader's labels.
    assert (
        "以物易物" in reasons["4", "modes"]
        and "许可" in reasons["4", "modes"]
        and "licence" not in reasons["4", "modes"]
    )


def test_the_same_errors_read_in_english(client, member, django_capture_on_commit_callbacks):
    job = refused_job(client, member, django_capture_on_commit_callbacks, "zh-hans")  # uploaded in Chinese
    page = client.get(reverse("marketplace:import-job", kwargs={"pk": job.pk}), HTTP_ACCEPT_LANGUAGE="en")
    reasons = {(row, column): reason for row, column, reason in table(page.content.decode())}
    assert reasons["2", "title"] == "This field is required."
    assert reasons["3", "trl"] == "12 is outside the readiness scale 1-9"
    assert reasons["4", "modes"].startswith("unknown value 以物易物; use transfer, licence,")
    assert reasons["5", "contact_email"] == "Enter a valid email address."
    assert reasons["6", "contact_phone"] == "Ensure this value has at most 40 characters (it has 50)."
    assert "the header is row 1" in page.content.decode()


def test_staff_read_the_uploaders_errors_in_their_own_language_in_admin(
    client, member, staff_user, django_capture_on_commit_callbacks
):
    job = refused_job(client, member, django_capture_on_commit_callbacks, "en")
    client.force_login(staff_user)
    url = reverse("admin:marketplace_importjob_change", kwargs={"object_id": job.pk})
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "该字段是必填项。" in chinese and "请输入合法的邮件地址。" in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This field is required." in english and "<td>contact_email</td>" in english


def test_a_file_level_error_names_the_whole_file_in_the_readers_language(client, member):
    job = import_jobs.import_job_create(
        kind="achievements", filename="empty.csv", data=HEADER.encode() + b"\n",
        organization=member.organizations.get(), by=member,
    )  # fmt: skip
    with translation.override("en"):  # the task's language does not matter: reasons are kept in every language
        import_jobs.import_job_run(job_id=job.pk)
    client.force_login(member)
    url = reverse("marketplace:import-job", kwargs={"pk": job.pk})
    chinese = table(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert chinese == [("—", expected("the whole file", "zh-hans"), "文件中没有记录")]
    english = table(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert english == [("—", "the whole file", "the file holds no records")]


def test_the_command_says_its_errors_in_english_or_the_language_asked(tmp_path):
    organization = MembershipFactory().organization
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_CSV.replace(b"A1,,", b"A1,t,"))  # rows 3 to 6 stay wrong
    err = io.StringIO()
    with pytest.raises(CommandError, match="4 problems; nothing was imported"):
        call_command("import_records", "achievements", str(path), "--org", organization.name, stderr=err)
    assert "bad.csv: row 5, contact_email: Enter a valid email address." in err.getvalue()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_records", "achievements", str(path), "--org", organization.name, "--language", "zh-hans",
                     stderr=err)  # fmt: skip
    assert "bad.csv: 第 5 行，contact_email：请输入合法的邮件地址。" in err.getvalue()  # and Chinese punctuation
