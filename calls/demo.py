"""The demo's open call (called by ``demo/management/commands/load_demo.py``): the G60 corridor alliance's call for
enterprises' technical needs, with 97 needs entered (``demo/data/call_needs.jsonl``, real needs, see
``demo/data/SOURCE.md``), and two proposals of demo universities: one shortlisted, one awarded (so an agreement and a
deal exist). Everything goes through the services (``accounts``, ``marketplace``, ``calls``), as every interface.

* The needs' enterprises: nine verified demo enterprises, one in each city of the G60 corridor (Shanghai Songjiang,
  Suzhou, Hangzhou, Jiaxing, Huzhou, Jinhua, Hefei, Wuhu, Xuancheng), each with an owner login (``<city>@demo...``).
* A need of the file already published by an enterprise with its reference (the demo's own needs inside the four
  provinces) is entered as it is; the others are posted by the enterprise the file names and published.
* The call names Shanghai, Jiangsu, Zhejiang and Anhui and any domain; its window opened 30 days ago and closes in 30.
* The proposals go to the engine's best suggestions of the call's needs among the demo universities' achievements
  (those the matching already scored), else to the universities' first published achievements.

Idempotent: a call of the organiser with the demo's title means it was loaded; nothing is done.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.services import organization_contact_update, organization_create, organization_set_verified
from marketplace.models import Achievement, Need
from marketplace.models import Status as PostingStatus
from marketplace.services import posting_create, posting_transition
from matching.models import Match
from reference.selectors import place_resolve_parts

from . import services
from .models import Call, CallNeed

DATA_FILE = Path(__file__).resolve().parents[1] / "demo" / "data" / "call_needs.jsonl"
ORGANISER_EMAIL = "g60@demo.techmatch.cn"
DEMO_TITLE = "G60科创走廊2026年度企业技术需求征集"
DEMO_THEME = (
    "长三角G60科创走廊九城市（上海松江、嘉兴、杭州、金华、苏州、湖州、宣城、芜湖、合肥）联合开展2026年度企业技术需求"
    "征集。企业在征集期内登记已在平台发布的技术需求；高校和科研院所针对需求提交解决方案（拟转化的科技成果、实施计划、"
    "预算与周期）；企业与联盟秘书处共同评审，择优入围并签约，签约项目纳入走廊年度产学研合作项目库。平台匹配引擎为每项"
    "需求推荐可邀请的成果。"
)
PROVINCES = ["310000", "320000", "330000", "340000"]  # Shanghai, Jiangsu, Zhejiang, Anhui
# The enterprises the file's needs belong to: name, province, city, owner's e-mail and name.
ENTERPRISES = [
    ("上海松江云廊智能装备有限公司", "上海市", "上海市", "songjiang@demo.techmatch.cn", "沈立新"),
    ("苏州纳微精密材料科技有限公司", "江苏省", "苏州市", "suzhou@demo.techmatch.cn", "顾晓东"),
    ("杭州钱塘生物医药科技有限公司", "浙江省", "杭州市", "hangzhou@demo.techmatch.cn", "钱佳怡"),
    ("嘉兴秀洲光伏新能源有限公司", "浙江省", "嘉兴市", "jiaxing@demo.techmatch.cn", "朱建平"),
    ("湖州南太湖绿色建材有限公司", "浙江省", "湖州市", "huzhou@demo.techmatch.cn", "姚明华"),
    ("金华婺城农业装备有限公司", "浙江省", "金华市", "jinhua@demo.techmatch.cn", "楼志强"),
    ("合肥高新量能电子科技有限公司", "安徽省", "合肥市", "hefei@demo.techmatch.cn", "汪海涛"),
    ("芜湖鸠江汽车零部件有限公司", "安徽省", "芜湖市", "wuhu@demo.techmatch.cn", "陶文彬"),
    ("宣城宛陵精细化工有限公司", "安徽省", "宣城市", "xuancheng@demo.techmatch.cn", "梅国庆"),
]
PLANS = [
    ("我校团队已完成该技术的中试验证，拟以技术许可加联合开发方式合作：前三个月完成需求对标与方案设计，第四至九个月"
     "在企业产线完成样机集成与现场验证，第十至十二个月形成批量应用方案并培训企业技术人员。企业提供试验场地与工况数据。",
     Decimal("80"), 12, "license"),
    ("依托学校重点实验室的平台与已授权专利，双方共建联合研发中心：半年内完成关键部件国产化验证，一年内达到企业提出的"
     "主要技术指标并申请联合专利；学校派驻两名博士常驻企业，企业配套研发经费与中试条件。",
     Decimal("120"), 18, "co_development"),
]  # fmt: skip


def _upcoming(deadline: str | None, after: datetime.date) -> datetime.date | None:
    """The data's deadline moved on by whole years until it lies after ``after`` (the call's close): the demo's
    needs stay on the market through the window."""
    if not deadline:
        return None
    day = datetime.date.fromisoformat(deadline)
    while day <= after:
        day = day.replace(year=day.year + 1, day=min(day.day, 28) if day.month == 2 else day.day)
    return day


def _owner(organization: Organization) -> User | None:
    membership = Membership.objects.filter(organization=organization).select_related("user").order_by("pk").first()
    return membership.user if membership else None


def _enterprises(password: str) -> dict[str, Organization]:
    """The nine enterprises (created once, verified, each with its owner as its contact), by name."""
    found = {}
    for name, province_text, city_text, email, full_name in ENTERPRISES:
        organization = Organization.objects.filter(name=name).first()
        if organization is None:
            province, city = place_resolve_parts(province=province_text, city=city_text)
            organization = organization_create(
                name=name, kind=Organization.Kind.ENTERPRISE, province_id=province.pk,
                city_id=city.pk if city else None,
            )  # fmt: skip
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=password, full_name=full_name
        )
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": Membership.Role.OWNER})
        if not organization.contact_name:
            organization_contact_update(organization=organization, by=user, contact_name=full_name, contact_phone="",
                                        contact_email=email)  # fmt: skip
        if not organization.verified:
            organization = organization_set_verified(organization=organization, verified=True, by=None)
        found[name] = organization
    return found


def _need(record: dict[str, Any], enterprises: dict[str, Organization], after: datetime.date) -> Need:
    """The published need with the record's reference (reused), or the record posted and published."""
    existing = Need.objects.filter(
        external_ref=record["ref"], organization__kind=Organization.Kind.ENTERPRISE, status=PostingStatus.PUBLISHED,
        province_id__in=PROVINCES,
    ).order_by("pk").first()  # fmt: skip
    if existing is not None:
        return existing
    organization = enterprises[record["enterprise"]]
    owner = _owner(organization)
    province, city = place_resolve_parts(province=record["province"], city=record.get("city") or None)
    need = posting_create(
        model=Need, organization=organization, by=None, domain_codes=record["domains"],
        external_ref=record["ref"], title=record["title"], description=record["description"],
        keywords=record["keywords"], modes=record["modes"], province=province, city=city, language=record["lang"],
        min_trl=record["min_trl"], budget_wan=record["budget_wan"], region_scope=record["region_scope"],
        deadline=_upcoming(record.get("deadline"), after),
        contact_name=owner.full_name if owner else "", contact_email=owner.email if owner else "",
    )  # fmt: skip
    return posting_transition(posting=need, to=PostingStatus.PUBLISHED, by=None, reason="demo data")


def _proposal_pairs(call: Call) -> list[tuple[CallNeed, Achievement]]:
    """Two (need of the call, university achievement) pairs, on two needs: the engine's best suggestions not taken
    further, else the universities' first published achievements on the first needs."""
    entries = {entry.need_id: entry for entry in call.entries.select_related("need__organization")}
    universities = Achievement.objects.filter(
        status=PostingStatus.PUBLISHED, organization__kind=Organization.Kind.UNIVERSITY
    )
    pairs: list[tuple[CallNeed, Achievement]] = []
    suggestions = (
        Match.objects.filter(need_id__in=list(entries), achievement__in=universities,
                             status__in=[Match.Status.SUGGESTED, Match.Status.APPROVED])
        .select_related("achievement__organization")
        .order_by("-score", "pk")
    )  # fmt: skip
    for match in suggestions[:50]:
        if not any(entry.need_id == match.need_id or item.pk == match.achievement_id for entry, item in pairs):
            pairs.append((entries[match.need_id], match.achievement))
        if len(pairs) == 2:
            return pairs
    used_needs = {entry.pk for entry, _achievement in pairs}
    used = {achievement.pk for _entry, achievement in pairs}
    spare = [item for item in universities.select_related("organization").order_by("organization__pk", "pk")[:10]
             if item.pk not in used]  # fmt: skip
    for entry in sorted(entries.values(), key=lambda item: item.pk):
        if len(pairs) == 2 or not spare:
            break
        if entry.pk not in used_needs:
            pairs.append((entry, spare.pop(0)))
    return pairs


@transaction.atomic
def load_demo_call(*, password: str, path: Path = DATA_FILE) -> Call | None:
    """The published call with its needs entered and two proposals (once); ``password`` is the new enterprise
    owners'. Nothing without the demo organiser."""
    organiser = Organization.objects.filter(
        kind=Organization.Kind.ORGANISER, memberships__user__email=ORGANISER_EMAIL
    ).first()
    if organiser is None:
        return None
    existing = Call.objects.filter(organizer=organiser, title=DEMO_TITLE).first()
    if existing is not None:
        return existing
    by = User.objects.get(email=ORGANISER_EMAIL)
    enterprises = _enterprises(password)
    now = timezone.now().replace(second=0, microsecond=0)
    call = services.call_create(
        organizer=organiser, by=by, title=DEMO_TITLE, theme=DEMO_THEME, opens_at=now - datetime.timedelta(days=30),
        closes_at=now + datetime.timedelta(days=30), province_codes=PROVINCES,
    )  # fmt: skip
    call = services.call_set_status(call=call, by=by, status=Call.Status.PUBLISHED)
    after = timezone.localdate(call.closes_at)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        need = _need(json.loads(line), enterprises, after)
        owner = _owner(need.organization)
        assert owner is not None  # noqa: S101 (every demo enterprise has its owner)
        services.call_need_enter(call=call, need=need, by=owner)
    _load_proposals(call, by)
    return call


def _load_proposals(call: Call, organiser_member: User) -> None:
    """Two proposals: the first shortlisted by the organiser, the second awarded by the need's enterprise."""
    for index, ((entry, achievement), (plan, budget, months, mode)) in enumerate(
        zip(_proposal_pairs(call), PLANS, strict=False)
    ):
        proposer = _owner(achievement.organization)
        if proposer is None:
            continue
        proposal = services.proposal_submit(
            call_need=entry, achievement=achievement, by=proposer, plan=plan, budget_wan=budget, months=months,
            mode=mode,
        )  # fmt: skip
        if index == 0:
            services.proposal_shortlist(proposal=proposal, by=organiser_member, note="方案完整，进入现场答辩环节。")
        else:
            owner = _owner(entry.need.organization)
            assert owner is not None  # noqa: S101
            services.proposal_award(proposal=proposal, by=owner, note="评审通过，签订技术开发合同。")

