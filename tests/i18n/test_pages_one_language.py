"""Every page in one language at a time (issue #13): each page reachable by GET, for each role, rendered in
Simplified Chinese shows no English word, and rendered in English no Chinese character, apart from what users wrote.

The pages are every name of the URL conf (a new page fails ``test_every_url_name_is_walked`` until it is added to
``PAGES`` below), every page of the admin for staff (index, each app, each model's list, add form, first record's
change, history and delete pages, and the admins' own pages), and the API's error answers (missing records, methods
not allowed, not logged in, invalid data). The world's own data (names, titles, messages) is Chinese and listed in
``USER_TEXT``: text found inside it is the users', not the interface's; on the reference data's admin pages the
records' names and codes (in both languages: that is what those pages edit) are data too.

What counts as foreign text:
- in Chinese: a word of two or more Latin letters (so a header "EVENTS" or a button "Save" fails, not only a
  sentence), apart from ``ALLOWED_LATIN`` (acronyms, formats, HTTP words), words with a digit (codes such as G60,
  TRL6, a check-in code), file names, e-mail addresses, URLs and what Django itself keeps in English
  (``DJANGO_DATA``);
- in English: a Chinese character (or full-width punctuation), apart from the language menu's "简体中文".

Visible text is an element's text (not inside <script>, <style> or <template>) and the attributes a reader sees or
hears: title, placeholder, aria-label, alt, and the value of buttons. JSON answers are checked when they are errors
(status 400 and above): their string values, not their keys.

The Chinese pass reads the compiled catalogue (``locale/``): a new msgid fails it until its translation is merged.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.functional import Promise

from accounts.models import User
from alerts import services as alert_services
from alerts import tokens as alert_tokens
from auctions import services as auction_services
from brokers import services as broker_services
from calls import services as call_services
from catalogues import services as collection_services
from conversations import services as conversation_services
from events import meetings as meeting_services
from events import outcomes
from events import programme as programme_services
from events import services as event_services
from events.scheduling import service as schedule_services
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, achievement, need

pytestmark = pytest.mark.django_db

# What the world's users wrote (and the names they were given): Chinese, so that in the Chinese pass it is no
# exception, and in the English pass any Chinese text inside one of these is theirs.
USER_TEXT = [
    "视觉检测系统成果", "一种小样本训练的表面缺陷检测方法，检出率高。", "草稿成果标题",
    "零部件缺陷检测需求", "冲压件表面划痕人工目检漏检率高，希望在线检测。",
    "华东理工测试大学", "江淮测试汽车公司", "长三角测试技术市场", "张三丰", "李四光", "王五常", "赵六合", "钱七",
    "长三角测试对接会", "长三角测试路演", "松江测试会场", "一号桌", "二号桌", "我们想进一步了解许可条件。",
    "请介绍一下成果的成熟度。", "签约备注", "路演内容介绍", "见面备注", "测试搜索", "检测",
    "长三角测试成果集", "测试导语", "长三角测试拍卖会", "长三角测试技术经纪中心", "孙八方", "测试经纪说明",
    "长三角测试需求征集", "长三角测试草稿征集", "测试征集主题", "测试解决方案",
]  # fmt: skip

# Latin words that are the same in both languages: acronyms, file formats, HTTP's words.
ALLOWED_LATIN = {
    "API", "CSV", "XLSX", "JSONL", "JSON", "ICS", "PDF", "Excel", "TechMatch", "TRL", "ID", "AI",
    "HTTP", "GET", "POST", "PUT", "PATCH", "DELETE",
    "Control", "Command", "Mac",  # keys named in Django's own Chinese help text
    "English",  # the language menu names each language in itself
    "Hefei",  # the place typed in English in the help texts' examples
}  # fmt: skip
# The header an API client sends, quoted as it is typed.
LITERALS = re.compile(r"Authorization: Token")
# Words with a digit are codes (G60, TRL6, A1, a check-in code), and file names are data: neither is a sentence.
FILE_NAME = re.compile(r"[\w.-]*\.(?:ics|csv|xlsx|jsonl|json)\b", re.IGNORECASE)
# Django's limits, not ours: permission names are stored in English ("app | model | Can add model"), and the
# tables of many-to-many fields are named from the models' class names ("Cluster-province relationship").
# A password is shown as its hash's first characters and stars.
DJANGO_DATA = re.compile(r"\| Can (?:add|change|delete|view) |^[\w-]+-[\w]+ relationships?\b|^\w{0,8}\*{10,}$")
ALLOWED_CJK = {"简体中文"}  # the language menu names each language in itself

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
URL = re.compile(r"(https?://|/)[\w./?=&%#:+-]*")
LATIN_WORD = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:['’][A-Za-z]+)?")
# A registration's check-in code (events.models.new_check_in_code): 8 hexadecimal digits, now and then all letters.
CHECK_IN_CODE = re.compile(r"[0-9A-F]{8}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")

SKIPPED_TAGS = {"script", "style", "template"}
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}


class VisibleText(HTMLParser):
    """The text of a page a reader sees or hears, as a list of pieces (one per text node or attribute)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
            return
        values = dict(attrs)
        for name in READ_ATTRIBUTES:
            if name == "alt" and "/admin/img/icon-" in (values.get("src") or ""):
                continue  # Django's yes/no icons say "True"/"False" in every language; the icon is what one reads
            if values.get(name):
                self.pieces.append(values[name] or "")
        is_button = tag == "button" or (tag == "input" and values.get("type") in ("submit", "button", "reset"))
        if is_button and values.get("value"):
            self.pieces.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.pieces.append(data)


def html_text(content: str) -> list[str]:
    parser = VisibleText()
    parser.feed(content)
    parser.close()
    return parser.pieces


def json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def foreign_latin(piece: str) -> list[str]:
    """The English words of a piece of text read in Chinese."""
    if DJANGO_DATA.search(piece) or piece.strip().startswith(("[", "{")):  # Django's, or JSON data shown as is
        return []
    text = URL.sub(" ", EMAIL.sub(" ", FILE_NAME.sub(" ", LITERALS.sub(" ", piece))))
    return [
        word for word in LATIN_WORD.findall(text)
        if len(word) > 1 and word not in ALLOWED_LATIN and not any(c.isdigit() for c in word)
        and not CHECK_IN_CODE.fullmatch(word)
    ]  # fmt: skip


def foreign_cjk(piece: str) -> list[str]:
    """The Chinese runs of a piece of text read in English that no user wrote."""
    return [
        run for run in CJK.findall(piece)
        if run not in ALLOWED_CJK and not any(run in text for text in USER_TEXT)
    ]  # fmt: skip


def offences(pieces: list[str], language: str, data: frozenset[str] = frozenset()) -> list[str]:
    """The pieces with text of the other language; a piece that is one of ``data`` (a record's name) is data."""
    found = []
    for piece in pieces:
        if piece.strip() in data:
            continue
        words = foreign_latin(piece) if language == "zh-hans" else foreign_cjk(piece)
        if words:
            found.append(" ".join(piece.split())[:160])
    return found


# --- The world -------------------------------------------------------------------------------------------------


def verified(**fields: Any):  # type: ignore[no-untyped-def]
    return OrganizationFactory(verified=True, verified_at=timezone.now(), **fields)


def build_world(language: str) -> dict[str, Any]:
    """Users of each role (all reading ``language``) and what each side has: postings, a match both accepted, a
    conversation with a proposal, a docking event with registrations and a meeting, a roadshow with a presentation,
    a saved search and a follow, and the notifications these sent."""
    staff = UserFactory(is_staff=True, is_superuser=True, full_name="钱七", language=language)
    university = verified(name="华东理工测试大学")
    enterprise = verified(kind="enterprise", name="江淮测试汽车公司")
    organiser = verified(kind="organiser", name="长三角测试技术市场", province_id="310000", city_id="310100")
    uni = MembershipFactory(organization=university, user__full_name="张三丰", user__language=language).user
    ent = MembershipFactory(organization=enterprise, user__full_name="李四光", user__language=language).user
    org = MembershipFactory(organization=organiser, user__full_name="王五常", user__language=language).user
    visitor_member = MembershipFactory(  # a member of an organisation with nothing yet: the first steps
        organization=verified(name="赵六合"), user__full_name="赵六合", user__language=language
    ).user
    offer = achievement(
        university, by=uni, title="视觉检测系统成果", summary="一种小样本训练的表面缺陷检测方法，检出率高。",
        contact_name="张三丰", contact_email="zhang@example.cn",
    )  # fmt: skip
    draft = achievement(
        university, by=uni, title="草稿成果标题", summary="一种小样本训练的表面缺陷检测方法，检出率高。",
        contact_name="张三丰", contact_email="zhang@example.cn",
    )  # fmt: skip
    wanted = need(
        enterprise, by=ent, title="零部件缺陷检测需求", description="冲压件表面划痕人工目检漏检率高，希望在线检测。",
        contact_name="李四光", contact_email="li@example.cn",
    )  # fmt: skip
    offer, wanted = (
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
        for posting in (offer, wanted)
    )
    match_run_full()
    match = Match.objects.get(achievement=offer, need=wanted)
    match = match_services.match_approve(match=match, by=staff)
    match_services.match_accept(match=match, by=ent)
    match = match_services.match_accept(match=match, by=uni)
    thread = conversation_services.match_thread_open(match=match, by=ent)
    conversation_services.message_post(thread=thread, by=ent, body="我们想进一步了解许可条件。")
    proposal = conversation_services.proposal_create(
        thread=thread, by=ent, mode="license", signed_on=timezone.localdate(), note="签约备注"
    )
    enquiry = conversation_services.enquiry_send(posting=wanted, by=visitor_member, body="请介绍一下成果的成熟度。")

    start = timezone.now() + datetime.timedelta(days=10)
    docking = event_services.event_create(
        organizer=organiser, by=org, kind="docking", title="长三角测试对接会", starts_at=start,
        ends_at=start + datetime.timedelta(hours=4), capacity=2, city_id="310100", venue="松江测试会场",
    )  # fmt: skip
    docking = event_services.event_set_status(event=docking, by=org, status="published")
    meeting_services.meeting_grid_define(
        event=docking, by=org, slots=[(start, start + datetime.timedelta(minutes=30))], tables=["一号桌", "二号桌"]
    )
    uni_place = event_services.registration_create(
        event=docking, organization=university, person_name="张三丰", person_email="zhang@example.cn", by=uni
    )
    ent_place = event_services.registration_create(
        event=docking, organization=enterprise, person_name="李四光", person_email="li@example.cn", by=ent
    )
    waiting = event_services.registration_create(
        event=docking, organization=organiser, person_name="王五常", person_email="wang@example.cn", by=org
    )
    meeting = meeting_services.meeting_request(requester=ent_place, invitee=uni_place, by=ent, note="见面备注")
    meeting = meeting_services.meeting_accept(meeting=meeting, by=uni)
    # The organiser schedules the docking event's meetings: a plan (solved), the preliminary agenda published.
    docking = event_services.event_update(event=docking, by=org, scheduling_mode="organiser")
    plan = schedule_services.schedule_plan_start(event=docking, by=org)
    plan = schedule_services.schedule_plan_solve(plan_id=plan.pk)
    docking = schedule_services.agenda_publish(event=docking, by=org, status="preliminary")
    outcomes.event_agreement_record(
        event=docking, by=org, achievement=offer, need=wanted, mode="transfer", signed_on=timezone.localdate()
    )
    roadshow = event_services.event_create(
        organizer=organiser, by=org, kind="roadshow", title="长三角测试路演", starts_at=start,
        ends_at=start + datetime.timedelta(hours=3), capacity=10, city_id="310100", venue="松江测试会场",
    )  # fmt: skip
    roadshow = event_services.event_set_status(event=roadshow, by=org, status="published")
    application = programme_services.presentation_apply(
        event=roadshow, organization=university, by=uni, listing=offer, pitch="路演内容介绍"
    )
    collection = collection_services.collection_create(
        organizer=organiser, by=org, title="长三角测试成果集", kind="achievements", description="测试导语"
    )
    item = collection_services.collection_add(collection=collection, by=org, posting_ids=[offer.pk])[0]
    collection = collection_services.collection_set_published(collection=collection, by=org, published=True)
    auction = auction_services.auction_create(organizer=organiser, by=org, title="长三角测试拍卖会")
    lot = auction_services.lot_add(
        auction=auction, by=org, achievement=offer, starting_price_wan=Decimal("50"), increment_wan=Decimal("5"),
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=timezone.now() + datetime.timedelta(days=3),
    )  # fmt: skip
    auction = auction_services.auction_set_status(auction=auction, by=org, status="published")
    bidder = auction_services.bidder_register(auction=auction, organization=enterprise, by=ent)
    search = alert_services.saved_search_create(user=ent, kind="achievements", data={"q": "检测"}, name="测试搜索")
    follow = alert_services.follow_create(user=uni, target="province", value="310000")
    agent = MembershipFactory(
        organization=verified(kind="service_agency", name="长三角测试技术经纪中心"), user__full_name="孙八方",
        user__language=language,
    ).user  # fmt: skip
    appointment = broker_services.broker_appoint(
        organization=university, by=uni, broker_email=agent.email, achievement_ids=[offer.pk], note="测试经纪说明"
    )
    call = call_services.call_create(
        organizer=organiser, by=org, title="长三角测试需求征集", theme="测试征集主题",
        opens_at=timezone.now() - datetime.timedelta(days=1), closes_at=timezone.now() + datetime.timedelta(days=10),
        province_codes=["340000"],
    )  # fmt: skip
    call = call_services.call_set_status(call=call, by=org, status="published")
    call_entry = call_services.call_need_enter(call=call, need=wanted, by=ent)
    call_proposal = call_services.proposal_submit(
        call_need=call_entry, achievement=offer, by=uni, plan="测试解决方案", months=6, mode="license"
    )
    draft_call = call_services.call_create(
        organizer=organiser, by=org, title="长三角测试草稿征集", theme="测试征集主题",
        opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=10),
    )  # fmt: skip
    return {
        "users": {"visitor": None, "university": uni, "enterprise": ent, "organiser": org, "staff": staff,
                  "newcomer": visitor_member},
        "achievement": offer, "draft": draft, "need": wanted, "match": match, "thread": thread, "proposal": proposal,
        "enquiry": enquiry, "docking": docking, "roadshow": roadshow, "registration": uni_place, "waiting": waiting,
        "meeting": meeting, "plan": plan, "application": application, "search": search, "follow": follow,
        "collection": collection, "collection_item": item, "auction": auction, "lot": lot, "bidder": bidder,
        "appointment": appointment, "call": call, "draft_call": draft_call, "call_proposal": call_proposal,
    }  # fmt: skip


# --- The pages: every URL name, with the arguments to reach it -------------------------------------------------

Args = Callable[[dict[str, Any]], list[dict[str, Any]]]


def one(**kwargs: Any) -> Args:
    return lambda world: [kwargs]


def each(*names: str, **fixed: Any) -> Args:
    """kwargs from the world: ``each("pk:achievement")`` → pk=world["achievement"].pk."""

    def build(world: dict[str, Any]) -> list[dict[str, Any]]:
        kwargs = dict(fixed)
        for spec in names:
            argument, _, key = spec.partition(":")
            kwargs[argument] = world[key].pk
        return [kwargs]

    return build


def postings(suffix: dict[str, Any] | None = None) -> Args:
    return lambda world: [
        {"kind": "achievements", "pk": world["achievement"].pk, **(suffix or {})},
        {"kind": "achievements", "pk": world["draft"].pk, **(suffix or {})},
        {"kind": "needs", "pk": world["need"].pk, **(suffix or {})},
    ]


KINDS = [{"kind": "achievements"}, {"kind": "needs"}]
NO_ARGS = one()

PAGES: dict[str, Args] = {
    "home": NO_ARGS,
    "marketplace:my-organization": NO_ARGS,
    "marketplace:import": NO_ARGS,
    "marketplace:import-job": one(pk=999999),
    "marketplace:import-job-commit": one(pk=999999),
    "marketplace:import-template": lambda w: [{"kind": "achievements", "fmt": "csv"}],
    "marketplace:export": lambda w: [{"kind": "needs", "fmt": "csv"}],
    "marketplace:submit-drafts": lambda w: KINDS,
    "marketplace:list": lambda w: KINDS,
    "marketplace:create": lambda w: KINDS,
    "marketplace:detail": postings(),
    "marketplace:edit": postings(),
    "marketplace:action": postings({"action": "submit"}),
    "marketplace:need-extend": each("pk:need"),
    "matching:list": NO_ARGS,
    "matching:detail": each("pk:match"),
    "matching:accept": each("pk:match"),
    "matching:decline": each("pk:match"),
    "matching:agreement": each("pk:match"),
    "events:list": NO_ARGS,
    "events:create": NO_ARGS,
    "events:edit": each("pk:docking"),
    "events:month": lambda w: [{"year": w["docking"].starts_at.year, "month": w["docking"].starts_at.month}],
    "events:participants": each("pk:docking"),
    "events:table-schedule": each("pk:docking"),
    "events:my-agenda": NO_ARGS,
    "events:detail": lambda w: [{"pk": w["docking"].pk}, {"pk": w["roadshow"].pk}],
    "events:not-me": lambda w: [{"token": event_services.registration_not_me_token(w["registration"])}],
    "events:register": each("pk:docking"),
    "events:status": each("pk:docking"),
    "events:registrations": each("pk:docking"),
    "events:cancel-registration": each("pk:docking", "registration_pk:waiting"),
    "events:attendance": lambda w: [{"pk": w["docking"].pk, "fmt": "csv"}],
    "events:ics": each("pk:docking"),
    "events:programme": each("pk:roadshow"),
    "events:apply": each("pk:roadshow"),
    "events:applications": each("pk:roadshow"),
    "events:schedule-application": each("pk:roadshow", "application_pk:application"),
    "events:decline-application": each("pk:roadshow", "application_pk:application"),
    "events:grid": each("pk:docking"),
    "events:move-meeting": each("pk:docking"),
    "events:meet": each("pk:docking"),
    "events:request-meeting": each("pk:docking"),
    "events:accept-meeting": each("pk:docking", "meeting_pk:meeting"),
    "events:decline-meeting": each("pk:docking", "meeting_pk:meeting"),
    "events:cancel-meeting": each("pk:docking", "meeting_pk:meeting"),
    "events:pin-meeting": each("pk:docking", "meeting_pk:meeting"),
    "events:breaks": each("pk:docking"),
    "events:agenda-print": each("pk:docking", "registration_pk:registration"),
    "events:scheduling-settings": each("pk:docking"),
    "events:participant-limits": each("pk:docking"),
    "events:publish-agenda": each("pk:docking"),
    "events:schedule": each("pk:docking"),
    "events:schedule-plan": each("pk:docking", "plan_pk:plan"),
    "events:apply-plan": each("pk:docking", "plan_pk:plan"),
    "events:discard-plan": each("pk:docking", "plan_pk:plan"),
    "events:report": each("pk:docking"),
    "events:report-export": lambda w: [{"pk": w["docking"].pk, "fmt": "csv"}],
    "catalogues:list": NO_ARGS,
    "catalogues:create": NO_ARGS,
    "catalogues:detail": each("pk:collection"),
    "catalogues:catalogue": each("pk:collection"),
    "catalogues:export": each("pk:collection"),
    "catalogues:edit": each("pk:collection"),
    "catalogues:publish": each("pk:collection"),
    "catalogues:item": each("pk:collection", "item_id:collection_item"),
    "auctions:list": NO_ARGS,
    "auctions:create": NO_ARGS,
    "auctions:detail": each("pk:auction"),
    "auctions:status": each("pk:auction"),
    "auctions:add-lot": each("pk:auction"),
    "auctions:register": each("pk:auction"),
    "auctions:bidders": each("pk:auction"),
    "auctions:decide-bidder": each("pk:auction", "registration_pk:bidder"),
    "auctions:lot": each("pk:lot"),
    "auctions:bid": each("pk:lot"),
    "auctions:withdraw-lot": each("pk:lot"),
    "auctions:lot-state": each("pk:lot"),
    "calls:list": NO_ARGS,
    "calls:create": NO_ARGS,
    "calls:proposals": NO_ARGS,
    "calls:decide": each("pk:call_proposal"),
    "calls:withdraw": each("pk:call_proposal"),
    "calls:detail": lambda w: [{"pk": w["call"].pk}, {"pk": w["draft_call"].pk}],
    "calls:edit": lambda w: [{"pk": w["call"].pk}, {"pk": w["draft_call"].pk}],
    "calls:status": each("pk:call"),
    "calls:enter": each("pk:call"),
    "calls:need": each("pk:call", "need_id:need"),
    "calls:propose": each("pk:call", "need_id:need"),
    "calls:invite": each("pk:call", "need_id:need"),
    "calls:remove-need": each("pk:call", "need_id:need"),
    "brokers:index": NO_ARGS,
    "brokers:appoint": NO_ARGS,
    "brokers:detail": each("pk:appointment"),
    "brokers:revoke": each("pk:appointment"),
    "conversations:inbox": NO_ARGS,
    "conversations:thread": lambda w: [{"pk": w["thread"].pk}, {"pk": w["enquiry"].pk}],
    "conversations:propose": each("pk:thread"),
    "conversations:answer": each("pk:thread", "message_pk:proposal", answer="accept"),
    "conversations:match": each("match_pk:match"),
    "conversations:enquire": lambda w: [{"kind": "achievements", "pk": w["achievement"].pk}],
    "dashboard:home": NO_ARGS,
    "dashboard:statistics": NO_ARGS,
    "alerts:index": NO_ARGS,
    "alerts:search-save": NO_ARGS,
    "alerts:search-update": each("pk:search"),
    "alerts:search-delete": each("pk:search"),
    "alerts:follow-create": NO_ARGS,
    "alerts:follow-update": each("pk:follow"),
    "alerts:follow-delete": each("pk:follow"),
    "alerts:unsubscribe": lambda w: [
        {"token": alert_tokens.make(user_id=w["users"]["enterprise"].pk, what="all")}, {"token": "not-a-token"}
    ],
    "accounts:signup": NO_ARGS,
    "accounts:signup-sent": NO_ARGS,
    "accounts:verify-resend": NO_ARGS,
    "accounts:verify-resent": NO_ARGS,
    "accounts:verify": one(uidb64="MQ", token="not-a-token"),
    "accounts:login": NO_ARGS,
    "accounts:logout": NO_ARGS,
    "accounts:profile": NO_ARGS,
    "accounts:token-regenerate": NO_ARGS,
    "accounts:organization-contact": lambda w: [{"pk": w["achievement"].organization_id}],
    "accounts:password_reset": NO_ARGS,
    "accounts:password_reset_done": NO_ARGS,
    "accounts:password_reset_confirm": one(uidb64="MQ", token="not-a-token"),
    "accounts:password_reset_complete": NO_ARGS,
    "accounts:password_change": NO_ARGS,
    "accounts:welcome": NO_ARGS,
    "set_language": NO_ARGS,
    "set_language_visitor": NO_ARGS,
    "api-docs": NO_ARGS,  # walked; its text is not checked (ENGLISH_BY_DESIGN)
    "api-schema": NO_ARGS,  # a YAML document for programs: walked, and not text for readers
}

# Pages for developers in English whatever the language: the API's documentation (Swagger UI, itself English only).
ENGLISH_BY_DESIGN = {"api-docs"}

# The API (namespace "api"): every endpoint, its errors read. Detail routes of a missing record are 404s.
MISSING = 999999


def api_args(name: str, world: dict[str, Any]) -> list[dict[str, Any]]:
    base = name.removeprefix("api:")
    if base == "thread-answer":
        return [{"pk": world["thread"].pk, "message_id": world["proposal"].pk}, {"pk": MISSING, "message_id": 1}]
    pattern = api_patterns()[name]
    if "pk" in pattern.pattern.regex.groupindex:
        return [{"pk": MISSING}]
    return [{}]


def named_patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                pattern.namespace or namespace
            )  # fmt: skip
            yield from named_patterns(pattern, inner)
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def api_patterns() -> dict[str, URLPattern]:
    return {name: p for name, p in named_patterns(get_resolver()) if name.startswith("api:")}


def site_names() -> set[str]:
    return {name for name, _ in named_patterns(get_resolver()) if not name.startswith(("admin:", "api:"))}


def test_the_reading_finds_the_other_language_and_only_there():
    page = (
        "<html><head><title>活动</title><style>p {color: red}</style><script>var a = 'Save changes';</script></head>"
        "<body><th>UPDATED AT</th><p>视觉检测系统成果 · zhang@example.cn</p><input type=submit value='Save'>"
        "<input type=hidden value='hidden words'><a href='/events/new/' title='Reviewed by'>活动</a>"
        "<p>预算 100 万元</p><span>G60 TRL6 agenda.ics</span></body></html>"
    )
    pieces = html_text(page)
    assert offences(pieces, "zh-hans") == ["UPDATED AT", "Save", "Reviewed by"]
    assert offences(pieces, "en") == ["活动", "活动", "预算 100 万元"]  # the user's title is theirs
    assert offences(["Hefei (Anhui)"], "zh-hans", frozenset({"Hefei (Anhui)"})) == []  # a record's name: data


def test_every_url_name_is_walked():
    """A new page is walked by this module: add it to PAGES (with the arguments it takes) when adding it."""
    assert site_names() - set(PAGES) == set(), "pages not walked"
    assert set(PAGES) - site_names() == set(), "walked names that no longer exist"


def test_every_label_of_a_model_is_translated():
    """Component, model, field and choice names (what the admin and the forms show) go through gettext_lazy."""
    from django.apps import apps

    ours = {"core", "reference", "accounts", "marketplace", "matching", "events", "conversations", "dashboard",
            "alerts", "demo", "catalogues", "auctions", "brokers", "calls"}  # fmt: skip
    untranslated = []
    for config in apps.get_app_configs():
        if config.label not in ours:
            continue
        if not isinstance(config.verbose_name, Promise):
            untranslated.append(f"app {config.label}")
        for model in config.get_models():
            for option in ("verbose_name", "verbose_name_plural"):
                if not isinstance(model._meta.original_attrs.get(option), Promise):
                    untranslated.append(f"{model.__name__}.Meta.{option}")
            for field in model._meta.get_fields():
                if field.auto_created or field.name == "pk":
                    continue
                if not isinstance(field.verbose_name, Promise):
                    untranslated.append(f"{model.__name__}.{field.name}")
                for value, label in getattr(field, "choices", None) or []:
                    if not isinstance(label, Promise) and field.name != "language":  # languages name themselves
                        untranslated.append(f"{model.__name__}.{field.name} choice {value}")
    assert untranslated == []


# --- The walk ----------------------------------------------------------------------------------------------------


def client_for(user: User | None, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def read(response: Any) -> list[str]:
    """The text of an answer a reader sees: an HTML page's, a JSON error's; nothing of a redirect or a download."""
    if response.status_code in (301, 302, 303, 307, 308) or getattr(response, "streaming", False):
        return []
    kind = response.get("Content-Type", "")
    if kind.startswith("text/html"):
        return html_text(response.content.decode())
    if "json" in kind and response.status_code >= 400:
        try:
            return list(json_strings(json.loads(response.content)))
        except ValueError:
            return [response.content.decode()]
    return []


@functools.cache
def reference_names() -> frozenset[str]:
    """The reference data's names in both languages: the records the reference admin edits, in both languages."""
    from reference.models import City, Cluster, Domain, PartnerLink, Province

    names: set[str] = set()
    for model in (Domain, Province, City, Cluster):
        for row in model.objects.values_list("name_zh", "name_en"):
            names.update(row)
    names.update(Province.objects.values_list("short_zh", flat=True))
    names.update(City.objects.values_list("short_zh", flat=True))
    names.update(PartnerLink.objects.values_list("title", flat=True))
    for model in (Domain, Cluster):  # codes are data too (a slug as the key)
        names.update(model.objects.values_list("code", flat=True))
    return frozenset(names)


def fetch(
    client: Client, method: str, address: str, language: str, failures: list[str], where: str, check_text: bool = True
) -> None:
    try:
        headers = {"HTTP_ACCEPT": "application/json"} if "/api/v1/" in address else {}
        response = getattr(client, method)(address, **headers)
    except Exception as error:  # a page that fails to render is reported with the others
        failures.append(f"{where} {method.upper()} {address}: raised {type(error).__name__}: {error}")
        return
    if response.status_code >= 500:
        failures.append(f"{where} {method.upper()} {address}: status {response.status_code}")
    if not check_text:
        return
    data = reference_names() if address.startswith("/admin/reference/") else frozenset()
    for text in offences(read(response), language, data):
        failures.append(f"{where} {method.upper()} {address}: {text}")


def site_pages(world: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, args in PAGES.items():
        for kwargs in args(world):
            yield name, reverse(name, kwargs=kwargs)


def admin_pages(world: dict[str, Any]) -> Iterator[str]:
    """The admin's index, each app's index, and every model's list, add form, first record's change, history and
    delete pages, and the admin's own extra pages that take no argument or a record's."""
    yield reverse("admin:index")
    labels = set()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        labels.add(meta.app_label)
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        yield reverse(f"{prefix}_changelist")
        yield reverse(f"{prefix}_add")
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            for page in ("change", "history", "delete"):
                yield reverse(f"{prefix}_{page}", args=[first.pk])
        standard = {f"{meta.app_label}_{meta.model_name}_{page}" for page in STANDARD_ADMIN_PAGES}
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or not pattern.name or pattern.name in standard:
                continue
            groups = set(pattern.pattern.regex.groupindex)
            if not groups:
                yield reverse(f"admin:{pattern.name}")
            elif groups <= {"object_id", "pk"} and first is not None:
                yield reverse(f"admin:{pattern.name}", args=[first.pk])
    for label in sorted(labels):
        yield reverse("admin:app_list", args=[label])


STANDARD_ADMIN_PAGES = ("changelist", "add", "change", "history", "delete", "autocomplete")
ROLES = ["visitor", "university", "enterprise", "organiser", "newcomer", "staff"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_reads_in_one_language(language):
    """Every page for every role, the admin for staff and the API's errors: no text of the other language."""
    world = build_world(language)
    failures: list[str] = []
    for role in ROLES:
        user = world["users"][role]
        client = client_for(user, language)
        for name, address in site_pages(world):
            # a page in English by design is still walked: it must not fail
            fetch(client, "get", address, language, failures, role, check_text=name not in ENGLISH_BY_DESIGN)
        if role not in ("visitor", "university"):
            continue  # the API's errors, read anonymously and by a member
        for name in api_patterns():
            for kwargs in api_args(name, world):
                fetch(client, "get", reverse(name, kwargs=kwargs), language, failures, role)
        for name in ("api:achievement-list", "api:need-list", "api:event-list", "api:thread-enquiries"):
            fetch(client, "post", reverse(name), language, failures, role)  # validation errors
    staff = client_for(world["users"]["staff"], language)
    for address in admin_pages(world):
        fetch(staff, "get", address, language, failures, "staff")
    unique = list(dict.fromkeys(failures))
    assert unique == [], f"{len(unique)} pieces of text in the other language:\n" + "\n".join(unique)
