"""Each role's journey through the match loop, in a real browser (issue 12): a university imports from the XLSX
template written with the interface's Chinese labels; an enterprise posts a need and sees its released matches at
once; both sides accept, write to each other and record an agreement in their thread; a user saves a search and
receives the digest, and unsubscribes from its link without logging in. On a phone-sized window."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification, Organization
from alerts.models import SavedSearch
from matching.models import Agreement, Match, MatchingConfig
from matching.services import matching_config_save
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, achievement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def verified(kind: str, name: str, **fields) -> Organization:  # type: ignore[no-untyped-def]
    return OrganizationFactory(kind=kind, name=name, verified=True, verified_at=timezone.now(), **fields)


def browser_page(browser, live_server, locale: str = "zh-CN"):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale=locale, base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20000)
    return page


def log_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/(home|accounts/welcome)/"))  # an incomplete organisation's owner: its first step


def no_horizontal_overflow(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def test_a_university_imports_the_xlsx_template_filled_in_with_chinese_labels(browser, live_server):
    university = verified("university", "浙江大学")
    owner = MembershipFactory(organization=university).user
    page = browser_page(browser, live_server)
    log_in(page, owner.email)

    page.goto("/my/import/")
    no_horizontal_overflow(page)
    with page.expect_download() as download:
        page.click("a[href$='/my/import/template/achievements.xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=False))
    assert row["domains"] == "电池材料" and "许可" in row["modes"], row  # the example speaks the page's labels
    ours = {
        **row,
        "ref": "ZJU-2026-001",
        "title": "高镍三元正极材料单晶化制备技术",
        "summary": "单晶高镍正极，循环1000次容量保持率92%，已完成吨级中试。",
        "domains": "电池材料",
        "ip": "授权专利",
        "modes": "许可、合作开发",
        "lang": "中文",
        "province": "浙江省",
        "city": "杭州市",
    }
    for column, value in enumerate(header, start=1):
        sheet.cell(row=3, column=column, value=ours.get(value))
    buffer = io.BytesIO()
    book.save(buffer)
    upload = {
        "name": "成果.xlsx",
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": buffer.getvalue(),
    }

    # First only check it: the preview lists what would be created, and nothing is.
    page.select_option("#id_kind", "achievements")
    page.set_input_files("#id_file", upload)
    page.check("#id_dry_run")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("[data-import-preview] >> text=高镍三元正极材料单晶化制备技术")
    assert not university_achievements(university).exists()
    no_horizontal_overflow(page)

    # Then import the same file with one click.
    checked = page.url
    page.click("form.import-commit button[type=submit]")
    page.wait_for_url(lambda url: url != checked)
    page.wait_for_selector("[data-import-state=done]", timeout=30000)
    created = university_achievements(university)
    assert created.count() == 2
    imported = created.get(external_ref="ZJU-2026-001")
    assert [d.code for d in imported.domains.all()] == ["battery_materials"]
    assert imported.ip_status == "granted_patent"
    assert sorted(imported.modes) == ["co_development", "license"]
    assert imported.language == "zh" and imported.province_id == "330000"


def university_achievements(university):  # type: ignore[no-untyped-def]
    from marketplace.models import Achievement

    return Achievement.objects.filter(organization=university)


def test_an_enterprise_sees_released_matches_at_once_and_the_two_sides_agree_in_their_thread(
    browser, live_server, settings
):
    settings.MATCHING_ON_PUBLISH = True
    config = MatchingConfig.get_solo()
    config.release_rule, config.release_threshold = "threshold", 0.5
    matching_config_save(config=config, by=None, changed=["release_rule", "release_threshold"])

    university = verified("university", "合肥工业大学", contact_email="ttc@hfut.edu.cn")
    professor = MembershipFactory(organization=university).user
    from marketplace import services as marketplace_services

    offer = achievement(
        university,
        title="钠离子电池硬碳负极材料制备技术",
        summary="以生物质为原料制备硬碳负极，首效90%，成本低，适用于钠离子电池规模化生产。",
        domains=("battery_materials",),
        keywords=["钠离子电池", "硬碳负极"],
        modes=["license", "co_development"],
        contact_name="",
        contact_phone="",
        contact_email="",
    )
    marketplace_services.posting_submit(posting=offer, by=professor)
    enterprise = verified("enterprise", "安徽永新储能科技有限公司")
    buyer = MembershipFactory(organization=enterprise).user

    page = browser_page(browser, live_server)
    log_in(page, buyer.email)
    page.goto("/needs/new/")
    page.fill("#id_title", "钠离子电池低成本硬碳负极材料")
    page.fill("#id_description", "我司建设钠离子电池产线，寻求首效高、成本低的硬碳负极材料技术，可许可或合作开发。")
    page.fill("#id_keywords", "钠离子电池; 硬碳负极")
    page.check("input[name=modes][value=license]")
    page.check("input[name=modes][value=co_development]")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r".*/needs/\d+/$"))
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector(".messages .success")

    # Released at once: the need's own page and the matches page show the match to its owner.
    match = Match.objects.get(achievement=offer)
    assert match.status == Match.Status.APPROVED
    page.reload()
    assert "钠离子电池硬碳负极材料制备技术" in page.inner_text("main")
    no_horizontal_overflow(page)  # the owner's view: facts, contact, actions, its matches
    page.goto("/matches/")
    page.click(f"a[href='/matches/{match.pk}/']")
    page.click(f"form[action='/matches/{match.pk}/accept/'] button")
    page.wait_for_selector(".messages .success")
    no_horizontal_overflow(page)

    other = browser_page(browser, live_server)
    log_in(other, professor.email)
    other.goto(f"/matches/{match.pk}/")
    other.click(f"form[action='/matches/{match.pk}/accept/'] button")
    other.wait_for_selector(".messages .success")
    # The achievement names no contact: the reveal falls back to its organisation's.
    assert "ttc@hfut.edu.cn" not in other.content()  # the university sees the enterprise's side, not its own
    other.click(f"a[href='/messages/match/{match.pk}/']")  # "Write to them", on the reveal
    other.fill("textarea[name=body]", "您好，我们的硬碳材料可提供样品，见 https://example.cn/spec <b>附件</b>")
    other.click("form.form button:has-text('发送')")
    other.wait_for_selector("text=可提供样品")
    assert other.locator("a[href='https://example.cn/spec']").count() == 0  # links stay text
    thread_url = other.url

    page.goto("/home/")
    assert page.locator("header .nav-messages .badge").inner_text().strip() == "1"
    page.goto(f"/matches/{match.pk}/")
    assert "ttc@hfut.edu.cn" in page.content()  # the fallback contact, once both accepted
    page.goto(thread_url)
    assert "<b>附件</b>" in page.inner_text("main")
    no_horizontal_overflow(page)
    page.click("details > summary")  # "Propose an agreement"
    page.fill("#id_amount_wan", "80")
    page.fill("#id_signed_on", timezone.localdate().isoformat())
    page.select_option("#id_mode", "license")
    page.click("form[action$='/propose/'] button")
    page.wait_for_selector("text=80")

    other.goto(thread_url)
    other.click("form[action$='/accept/'] button")
    other.wait_for_selector(".messages .success")
    match.refresh_from_db()
    assert match.status == Match.Status.DEAL
    agreement = Agreement.objects.get(match=match)
    assert agreement.amount_wan == 80 and agreement.mode == "license"


def test_a_user_saves_a_search_receives_the_digest_and_unsubscribes_from_it(browser, live_server):
    university = verified("university", "中国科学技术大学")
    enterprise = verified("enterprise", "合肥视觉智能装备有限公司")
    reader = MembershipFactory(organization=enterprise).user
    page = browser_page(browser, live_server)
    log_in(page, reader.email)

    page.goto("/achievements/?q=缺陷检测")
    page.click("details.save-search-panel > summary")  # folded on a phone, so that the results come first
    page.fill("#save-search-name", "视觉检测")
    page.click("form.save-search button[type=submit]")
    page.wait_for_selector(".messages .success")
    saved = SavedSearch.objects.get(user=reader)
    assert saved.name == "视觉检测" and saved.params.get("q") == "缺陷检测" and saved.kind == "achievements"

    from alerts import tasks
    from marketplace import services as marketplace_services

    fresh = achievement(university, title="基于深度学习的工业视觉缺陷检测系统")
    marketplace_services.posting_transition(posting=fresh, to="published", by=None)
    other = achievement(university, title="高温合金涡轮叶片精密铸造", summary="单晶叶片铸造工艺。")
    marketplace_services.posting_transition(posting=other, to="published", by=None)
    mail.outbox.clear()
    tasks.digests_send_task()

    [digest] = [message for message in mail.outbox if message.to == [reader.email]]
    assert "基于深度学习的工业视觉缺陷检测系统" in digest.body
    assert "高温合金涡轮叶片精密铸造" not in digest.body
    unsubscribe = re.search(r"https?://[^/\s]+(/alerts/unsubscribe/\S+/)", digest.body) or re.search(
        r"(/alerts/unsubscribe/\S+/)", digest.body
    )
    assert unsubscribe

    stranger = browser_page(browser, live_server)  # not logged in: the link alone is enough
    stranger.goto(unsubscribe.group(1))
    stranger.click("form button[type=submit]")
    stranger.wait_for_selector("main")
    saved.refresh_from_db()
    assert saved.frequency == "paused"

    # The same items among the reader's notifications in the product (and only the reader's).
    [note] = Notification.objects.filter(user=reader)
    page.goto("/matches/")
    notifications = page.inner_text(".notifications")
    assert note.subject in notifications and "基于深度学习的工业视觉缺陷检测系统" in notifications
    no_horizontal_overflow(page)
