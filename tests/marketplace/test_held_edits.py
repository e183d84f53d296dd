"""Trust (#11 item 4, the postings and events part): an edit of a published posting by an organisation not yet
verified, or one that puts contact details in the public text, waits for staff while the public keeps the earlier
text; a draft with contact details in its text is not published at once even for a verified organisation; only a
verified organiser's events are published by the organiser."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.contact_details import contact_details_in
from core.exceptions import ApplicationError, PermissionDenied
from events import services as event_services
from marketplace import services
from marketplace.importers import import_records
from marketplace.models import Achievement, AchievementSearchTerm, PostingTransition, Status
from tests.factories import MembershipFactory, OrganizationFactory, achievement

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("联系电话：13812345678", ["phone"]),
        ("手机 138 1234 5678 张工", ["phone"]),
        ("电话 021-64371234", ["phone"]),
        ("请拨打（0571）88881234", ["phone"]),
        ("请拨打 0571-88881234", ["phone"]),
        ("13812345678张工", ["phone"]),
        ("＋８６ １３９１２３４５６７８", ["phone"]),  # full-width
        ("邮箱 tech@zju.edu.cn", ["email"]),
        ("mail: tech (at) zju.edu.cn", ["email"]),
        ("加微信 tm_transfer2026 详谈", ["wechat"]),
        ("WeChat: techmatch88", ["wechat"]),
        ("QQ：123456789", ["qq"]),
        ("专利号 ZL201910123456.7，申请号 CN202010654321.X", []),
        ("效率28.6%，成本降低30%，TRL 6，价格50-100万元，2019年至2023年", []),
        ("采用0.5-1.2 mm 厚的钙钛矿层，温度 1350℃，样品编号 13800138000A", []),
        ("wx-series reactor", []),
    ],
)
def test_contact_details_are_found_and_patents_prices_and_measures_are_not(text, kinds):
    assert contact_details_in(text) == kinds


@pytest.fixture
def world(staff_user):  # type: ignore[no-untyped-def]
    unverified = MembershipFactory().user
    verified_org = OrganizationFactory(name="浙江大学", verified=True, verified_at=timezone.now())
    verified = MembershipFactory(organization=verified_org).user
    postings = {}
    for who, user in (("unverified", unverified), ("verified", verified)):
        posting = achievement(user.organizations.get(), by=user, title="钙钛矿叠层太阳电池", summary="效率28%。")
        posting = services.posting_submit(posting=posting, by=user)  # a verified organisation's: published at once
        if posting.status == Status.SUBMITTED:
            posting = services.posting_approve(posting=posting, by=staff_user)
        postings[who] = posting
    return {"unverified": unverified, "verified": verified, "staff": staff_user, "postings": postings}


def test_an_unverified_organisations_edit_waits_and_the_public_keeps_the_earlier_text(client, world):
    posting, owner = world["postings"]["unverified"], world["unverified"]
    assert posting.status == Status.PUBLISHED
    held = services.posting_update(posting=posting, by=owner, title="钙钛矿叠层电池（新版）", summary="效率30%。",
                                   domain_codes=["photovoltaic"])  # fmt: skip
    assert held.held_edit["fields"] == {"title": "钙钛矿叠层电池（新版）", "summary": "效率30%。"}
    assert held.held_reason == services.HOLD_UNVERIFIED
    live = Achievement.objects.get(pk=posting.pk)
    assert (live.title, live.summary, live.status) == ("钙钛矿叠层太阳电池", "效率28%。", Status.PUBLISHED)
    url = reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": posting.pk})
    assert "效率30%" not in client.get(url).content.decode()  # the public
    client.force_login(owner)
    page = client.get(url).content.decode()
    assert "效率28%" in page and "waits for review" in page
    assert PostingTransition.objects.filter(achievement=posting, reason="edit held: unverified").exists()

    approved = services.posting_edit_approve(posting=live, by=world["staff"])
    assert (approved.title, approved.summary, approved.held_edit) == ("钙钛矿叠层电池（新版）", "效率30%。", None)
    assert [d.code for d in approved.domains.all()] == ["photovoltaic"]
    assert approved.status == Status.PUBLISHED
    tokens = set(AchievementSearchTerm.objects.filter(posting=approved).values_list("token", flat=True))
    assert any("新版" in token for token in tokens)  # indexed again


def test_contact_details_in_a_verified_organisations_edit_wait_and_a_rejection_tells_the_organisation(world):
    posting, owner = world["postings"]["verified"], world["verified"]
    assert posting.status == Status.PUBLISHED  # verified: published at once
    plain = services.posting_update(posting=posting, by=owner, summary="效率29%，可许可。")
    assert plain.summary == "效率29%，可许可。" and plain.held_edit is None
    held = services.posting_update(posting=plain, by=owner, summary="效率29%，详询微信 zju_tech2026 或 13912345678。")
    assert held.held_reason == "contact:phone,wechat"
    assert Achievement.objects.get(pk=posting.pk).summary == "效率29%，可许可。"
    with pytest.raises(ApplicationError):
        services.posting_edit_reject(posting=held, by=world["staff"], reason="  ")
    with pytest.raises(PermissionDenied):
        services.posting_edit_reject(posting=held, by=owner, reason="联系方式不得写在正文中")
    services.posting_edit_reject(posting=held, by=world["staff"], reason="联系方式不得写在正文中")
    after = Achievement.objects.get(pk=posting.pk)
    assert (after.held_edit, after.summary) == (None, "效率29%，可许可。")
    assert owner.organizations.get().notifications.filter(body="联系方式不得写在正文中").exists()


def test_staff_edits_are_not_held(world):
    posting = world["postings"]["unverified"]
    edited = services.posting_update(posting=posting, by=world["staff"], summary="效率30%，电话 021-64371234。")
    assert edited.held_edit is None and edited.summary.startswith("效率30%")


def test_a_draft_with_contact_details_is_held_even_for_a_verified_organisation(world):
    owner = world["verified"]
    draft = achievement(owner.organizations.get(), by=owner, title="固态电池电解质", summary="详询 QQ 123456789。")
    submitted = services.posting_submit(posting=draft, by=owner)
    assert submitted.status == Status.SUBMITTED
    assert submitted.transitions.order_by("-pk").first().reason == "contact:qq"


def test_an_import_by_a_member_holds_its_edits_of_published_postings(world, django_capture_on_commit_callbacks):
    posting, owner = world["postings"]["unverified"], world["unverified"]
    Achievement.objects.filter(pk=posting.pk).update(external_ref="A1")
    record = (
        '{"ref": "A1", "title": "钙钛矿叠层太阳电池", "summary": "效率31%。", "province": "安徽省", "city": "合肥市"}\n'
        '{"ref": "A2", "title": "新成果", "summary": "新的。", "province": "安徽省"}\n'
    )
    result = import_records(kind="achievements", data=record.encode(), filename="a.jsonl",
                            organization=owner.organizations.get(), by=owner)  # fmt: skip
    assert (result.created, result.updated, result.held) == (1, 0, 1)
    live = Achievement.objects.get(pk=posting.pk)
    assert live.summary == "效率28%。" and live.held_edit["fields"]["summary"] == "效率31%。"


def test_staff_review_held_edits_from_the_admin(client, world):
    posting, owner = world["postings"]["unverified"], world["unverified"]
    services.posting_update(posting=posting, by=owner, summary="效率30%。")
    client.force_login(world["staff"])
    changelist = reverse("admin:marketplace_achievement_changelist")
    assert "钙钛矿叠层太阳电池" in client.get(changelist, {"held": "yes"}).content.decode()
    assert "效率30%" in client.get(reverse("admin:marketplace_achievement_change", args=[posting.pk])).content.decode()
    client.post(changelist, {"action": "approve_held_edits", "_selected_action": [posting.pk]})
    assert Achievement.objects.get(pk=posting.pk).summary == "效率30%。"


def test_only_a_verified_organisers_events_are_published_by_the_organiser(world, staff_user):
    organiser = MembershipFactory(organization=OrganizationFactory(kind="organiser", name="清华大学")).user
    start = timezone.now() + datetime.timedelta(days=10)
    event = event_services.event_create(
        organizer=organiser.organizations.get(), by=organiser, kind="roadshow", title="清华成果路演",
        starts_at=start, ends_at=start + datetime.timedelta(hours=3), capacity=50,
    )  # fmt: skip
    with pytest.raises(ApplicationError) as error:
        event_services.event_set_status(event=event, by=organiser, status="published")
    assert error.value.field == "status" and "verified" in error.value.message
    event.refresh_from_db()
    assert event.status == "draft"
    assert event_services.event_set_status(event=event, by=staff_user, status="published").status == "published"


def test_upload_page_counts_held_edits(client, world, django_capture_on_commit_callbacks):
    posting, owner = world["postings"]["unverified"], world["unverified"]
    Achievement.objects.filter(pk=posting.pk).update(external_ref="A1")
    client.force_login(owner)
    data = '{"ref": "A1", "title": "钙钛矿叠层太阳电池", "summary": "效率31%。", "province": "安徽省"}\n'.encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("marketplace:import"),
                               {"kind": "achievements", "file": SimpleUploadedFile("a.jsonl", data)})  # fmt: skip
    page = client.get(response["Location"]).content.decode()
    assert "1 edit of a published posting waits for review" in page


def test_the_edit_page_holds_an_unverified_organisations_edit_and_says_why(client, world):
    posting, owner = world["postings"]["unverified"], world["unverified"]
    client.force_login(owner)
    url = reverse("marketplace:edit", kwargs={"kind": "achievements", "pk": posting.pk})
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(title="钙钛矿叠层电池（改）", summary="效率30%。", location="江苏省苏州市", domains=["photovoltaic"],
                modes=["license"])  # fmt: skip
    response = client.post(url, data, follow=True)
    assert response.status_code == 200, response.content[:500]
    assert "wait for review" in response.content.decode()
    live = Achievement.objects.get(pk=posting.pk)
    assert live.title == "钙钛矿叠层太阳电池" and live.held_edit["fields"]["province_id"] == "320000"
    approved = services.posting_edit_approve(posting=live, by=world["staff"])
    assert (approved.title, approved.province_id, approved.city_id) == ("钙钛矿叠层电池（改）", "320000", "320500")
