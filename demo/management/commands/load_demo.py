"""Load a small demo: organisations of every kind, each with an owner login, a staff account, and a dozen
published achievements and needs (taken from the development benchmark, so that they match each other).

Idempotent: run it again and nothing is duplicated; the staff password is reset and printed each time.
Refuses to run on a production instance (DEBUG off) unless forced.

The demo releases matches by a threshold (``DEMO_RELEASE_THRESHOLD``), so that its users see their matches at once
rather than after staff approve each pair; the product's default is staff review of every pair. The demo's scores
fall in two groups: each need's one counterpart scores 0.71-0.96, every other pair 0.42 or less (mostly 0.1-0.3).
0.6 sits in that gap: the twelve good pairs reach both sides, the rest wait in the review queue (those under the
queue's floor, 0.3, hidden there unless asked for).
"""

from __future__ import annotations

import datetime
import json
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.services import organization_set_verified
from accounts.validators import credit_code_check_character
from auctions.demo import load_demo_auction
from brokers.demo import load_demo_broker
from calls.demo import load_demo_call
from catalogues.models import Collection
from catalogues.services import collection_add, collection_create, collection_set_published
from core.tasks import background_join
from events.demo import load_demo_scheduled_event
from events.meetings import meeting_accept, meeting_grid_define, meeting_request, whom_to_meet
from events.models import Event
from events.services import event_create, event_set_status, registration_create
from marketplace.models import Achievement, Need, Status
from marketplace.services import posting_create, posting_transition
from matching.models import Match, MatchingConfig, ReleaseRule
from matching.services import (
    agreement_record,
    match_accept,
    match_decline,
    matches_release,
    matching_config_save,
)
from reference.selectors import place_resolve, place_resolve_parts

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
STAFF_EMAIL = "admin@demo.techmatch.cn"
DEMO_RELEASE_THRESHOLD = 0.6
CATALOGUE_FILE = "catalogue_achievements.jsonl"  # real patents (data/SOURCE.md), the demo collection's 100 postings
ORGANISER_EMAIL = "g60@demo.techmatch.cn"
UNIVERSITY_EMAIL = "zju@demo.techmatch.cn"  # appoints the service agency's broker
BROKER_EMAIL = "broker@demo.techmatch.cn"
AUCTION_REFS = ["CAT-003", "CAT-008", "CAT-015", "CAT-021"]  # four of the catalogue's patents go to auction
CATALOGUE_TITLE = "2026长三角及周边六省市先进技术成果100项"


class Command(BaseCommand):
    help = "Load demo organisations, users and a staff account for a development instance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo-pass-2026", help="Password of every demo organisation user.")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("load_demo is for development instances; pass --force to run it with DEBUG off.")
        staff_password = secrets.token_urlsafe(12)
        with transaction.atomic():
            rows = self._load_organizations(options["password"])
            staff, _ = User.objects.get_or_create(
                email=STAFF_EMAIL, defaults={"full_name": "Platform staff", "is_staff": True, "is_superuser": True}
            )
            staff.is_staff = staff.is_superuser = staff.is_active = True
            staff.set_password(staff_password)
            staff.save()
            self._release_by_threshold(staff)
            postings = self._load_postings(staff)
            self._load_event(staff)
            self._load_collection()
            self._load_auction()
            self._load_alerts()
        background_join()  # the matching of the new postings, when eager tasks run in the background
        with transaction.atomic():
            self._load_outcomes()
            self._load_broker()
            self._load_conversations()
            # After the outcomes (its award is a deal, which they would take for theirs), before the meetings (its
            # enterprises register for the docking event with the others).
            load_demo_call(password=options["password"])
            self._load_meetings()
        background_join()  # the matching of the call's new needs
        with transaction.atomic():
            self._load_scheduled_event()  # after that matching: whom to meet reads the call's enterprises' matches
        background_join()  # the scheduler's plan
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({postings} new postings)."))
        self.stdout.write("")
        self.stdout.write(self.style.WARNING("Staff (admin) account:"))
        self.stdout.write(f"  e-mail:   {STAFF_EMAIL}")
        self.stdout.write(f"  password: {staff_password}")
        self.stdout.write("")
        self.stdout.write(f"Demo organisation users (password: {options['password']}):")
        for email, name, kind in rows:
            self.stdout.write(f"  {email:<32} {kind:<20} {name}")

    def _release_by_threshold(self, staff: User) -> None:
        """Threshold release (see the module's docstring), and the suggestions of an earlier load released by it."""
        config = MatchingConfig.get_solo()
        wanted = {"release_rule": ReleaseRule.THRESHOLD.value, "release_threshold": DEMO_RELEASE_THRESHOLD}
        changed = [name for name, value in wanted.items() if getattr(config, name) != value]
        if changed:
            for name, value in wanted.items():
                setattr(config, name, value)
            matching_config_save(config=config, by=staff, changed=changed)
        matches_release(by=staff)

    def _load_organizations(self, password: str) -> list[tuple[str, str, str]]:
        rows = []
        for spec in json.loads((DATA_DIR / "organizations.json").read_text(encoding="utf-8")):
            province, city = place_resolve(text=spec["location"])
            credit_code = spec.get("credit_code", "")
            if credit_code:  # demo codes are made up: give them a correct check character
                credit_code = credit_code[:17] + credit_code_check_character(credit_code[:17])
            organization, _ = Organization.objects.update_or_create(
                name=spec["name"],
                defaults={
                    "kind": spec["kind"],
                    "province": province,
                    "city": city,
                    "credit_code": credit_code,
                    "website": spec.get("website", ""),
                    "description": spec.get("description", ""),
                    # The demo's owners are their organisations' contacts: the first step is done, login lands home.
                    "contact_name": spec["full_name"],
                    "contact_email": spec["email"],
                },
            )
            user = User.objects.filter(email=spec["email"]).first()
            if user is None:
                user = User.objects.create_user(email=spec["email"], password=password, full_name=spec["full_name"])
            Membership.objects.get_or_create(
                user=user, organization=organization, defaults={"role": Membership.Role.OWNER}
            )
            if spec.get("verified") and not organization.verified:
                organization_set_verified(organization=organization, verified=True, by=None)
            rows.append((spec["email"], spec["name"], organization.get_kind_display()))
        return rows

    def _load_alerts(self) -> None:
        """An enterprise user's saved search (new-energy achievements in the Yangtze River Delta) and follow (the G60
        corridor), so that /alerts/ has something to show; through the alerts services, once."""
        from alerts import services as alert_services
        from alerts.models import Follow, SavedSearch

        user = User.objects.filter(email="yongxin@demo.techmatch.cn").first()
        if user is None:
            return
        if not SavedSearch.objects.filter(user=user).exists():
            alert_services.saved_search_create(
                user=user, kind="achievements", data={"domain": "new_energy", "cluster": "yrd"},
                name="长三角新能源成果", frequency="daily",
            )  # fmt: skip
        if not Follow.objects.filter(user=user).exists():
            alert_services.follow_create(user=user, target="cluster", value="g60", frequency="weekly")

    def _load_outcomes(self) -> None:
        """Once: the three best released matches taken further through the services (two accepted by both sides,
        one of them with an agreement; the third declined), so that the homes and the statistics (funnel, flows
        between clusters, reasons) show something."""
        if Match.objects.filter(status__in=["in_contact", "deal", "declined"]).exists():
            return
        released = list(Match.objects.filter(status="approved").order_by("-score", "pk")[:3])

        def owner(organization: Organization) -> User:
            return organization.memberships.order_by("pk").first().user

        for match in released[:2]:
            match_accept(match=match, by=owner(match.achievement.organization))
            match_accept(match=match, by=owner(match.need.organization))
        if released:
            deal = Match.objects.get(pk=released[0].pk)
            agreement_record(match=deal, by=owner(deal.need.organization), mode="license",
                             signed_on=timezone.localdate(), amount_wan=Decimal("80"))  # fmt: skip
        if len(released) == 3:
            match_decline(match=released[2], by=owner(released[2].need.organization), reason="预算不足，暂缓合作")

    def _load_conversations(self) -> None:
        """Once: the conversations of the matches in contact (messages, and an agreement proposal awaiting its
        answer where there is no deal yet), and an enquiry to a posting's owner, through the services."""
        from conversations import services as conversation_services
        from conversations.models import Thread

        if Thread.objects.exists():
            return

        def owner(organization: Organization) -> User:
            return organization.memberships.order_by("pk").first().user

        for match in Match.objects.filter(status__in=["in_contact", "deal"]).order_by("-score", "pk")[:2]:
            university, enterprise = owner(match.achievement.organization), owner(match.need.organization)
            thread = conversation_services.match_thread_open(match=match, by=enterprise)
            conversation_services.message_post(
                thread=thread, by=enterprise, body="您好，我们对该成果很感兴趣，能否安排一次技术交流？"
            )
            conversation_services.message_post(
                thread=thread, by=university, body="可以，下周二下午我们在实验室演示样机，欢迎来访。"
            )
            if match.status == "in_contact":
                conversation_services.proposal_create(
                    thread=thread, by=enterprise, mode="license", signed_on=timezone.localdate(),
                    amount_wan=Decimal("60"), note="普通许可，三年。",
                )  # fmt: skip
        posting = Achievement.objects.filter(status="published").order_by("pk").first()
        asker = Organization.objects.filter(kind="enterprise").exclude(pk=getattr(posting, "organization_id", None))
        asker = asker.order_by("pk").first()
        if posting is not None and asker is not None:
            conversation_services.enquiry_send(posting=posting, by=owner(asker), body="请问该成果是否支持小批量试用？")

    def _load_event(self, staff: User) -> None:
        """A published docking event of the demo organiser, two weeks ahead, with a meeting grid."""
        organiser = Organization.objects.filter(kind="organiser").order_by("pk").first()
        if organiser is None or Event.objects.filter(organizer=organiser).exists():
            return
        start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(days=14)
        event = event_create(
            organizer=organiser, by=staff, kind="docking", title="长三角G60科创走廊新材料与新能源成果对接会",
            description="高校院所成果发布、企业技术需求发布与一对一洽谈。", starts_at=start,
            ends_at=start + datetime.timedelta(hours=8), capacity=60, venue="松江G60科创云廊", city_id="310100",
            domain_codes=["new_materials", "new_energy"], cluster_codes=["g60", "yrd"],
        )  # fmt: skip
        event_set_status(event=event, by=staff, status="published")
        afternoon = start + datetime.timedelta(hours=5)
        step = datetime.timedelta(minutes=20)
        slots = [(afternoon + step * i, afternoon + step * (i + 1)) for i in range(6)]
        meeting_grid_define(event=event, by=staff, slots=slots, tables=["A1", "A2", "A3", "A4"])

    def _load_meetings(self) -> None:
        """Every demo organisation but the organiser registers its owner for the docking event (once), and each
        university or institute meets its best-matched enterprise there, requested, accepted and placed on the grid
        (once there are matches to go by), so that the organiser's registrations, directory and printed table
        schedule have people on them."""
        event = Event.objects.filter(organizer__kind="organiser").order_by("pk").first()
        if event is None:
            return
        if not event.registrations.exists():
            for organization in Organization.objects.exclude(kind="organiser").order_by("pk"):
                membership = organization.memberships.select_related("user").order_by("pk").first()
                if membership is not None:
                    user = membership.user
                    registration_create(event=event, organization=organization, person_name=user.full_name,
                                        person_email=user.email, by=user)  # fmt: skip
        if event.meetings.exists():
            return
        owners = {
            m.organization_id: m.user
            for m in Membership.objects.filter(role=Membership.Role.OWNER).select_related("user").order_by("-pk")
        }
        met: set[int] = set()
        offerers = event.registrations.filter(
            status="confirmed", organization__kind__in=["university", "research_institute"]
        ).select_related("organization").order_by("pk")
        for registration in offerers:
            for suggestion in whom_to_meet(registration=registration, limit=5):
                other = suggestion.registration
                if suggestion.score <= 0 or other.organization_id in met:
                    continue
                requester = owners[registration.organization_id]
                meeting = meeting_request(requester=registration, invitee=other, by=requester)
                meeting_accept(meeting=meeting, by=owners[other.organization_id])
                met.add(other.organization_id)
                break

    def _load_scheduled_event(self) -> None:
        """The organiser's scheduled docking event: the universities and institutes and the enterprises (once)."""
        organiser = Organization.objects.get(kind="organiser", memberships__user__email=ORGANISER_EMAIL)
        participants = list(
            Organization.objects.filter(kind__in=["university", "research_institute", "enterprise"]).order_by("pk")
        )
        load_demo_scheduled_event(organiser=organiser, by=User.objects.get(email=ORGANISER_EMAIL),
                                  participants=participants)  # fmt: skip

    def _load_collection(self) -> None:
        """The organiser's published catalogue of the 100 patents from six provinces (once)."""
        organiser = Organization.objects.get(kind="organiser", memberships__user__email=ORGANISER_EMAIL)
        if Collection.objects.filter(organizer=organiser, title=CATALOGUE_TITLE).exists():
            return
        curator = organiser.memberships.first().user
        collection = collection_create(
            organizer=organiser, by=curator, title=CATALOGUE_TITLE, kind=Collection.Kind.ACHIEVEMENTS,
            description=(
                "长三角G60科创走廊技术交易服务中心为年度成果对接大会遴选的先进技术成果：上海、江苏、浙江、安徽、"
                "山东、湖北六省市高校和科研院所的100项专利技术，可转让、许可或合作开发。"
            ),
        )  # fmt: skip
        lines = (DATA_DIR / CATALOGUE_FILE).read_text(encoding="utf-8").splitlines()
        refs = [json.loads(line)["ref"] for line in lines]
        by_ref = dict(Achievement.objects.filter(external_ref__in=refs).values_list("external_ref", "pk"))
        collection_add(collection=collection, by=curator, posting_ids=[by_ref[ref] for ref in refs if ref in by_ref])
        collection_set_published(collection=collection, by=curator, published=True)

    def _load_broker(self) -> None:
        """The demo university's broker from the service agency (once)."""
        university = Organization.objects.get(memberships__user__email=UNIVERSITY_EMAIL)
        broker = User.objects.get(email=BROKER_EMAIL)
        load_demo_broker(organization=university, by=User.objects.get(email=UNIVERSITY_EMAIL), broker=broker)

    def _load_auction(self) -> None:
        """The organiser's auction of four of the catalogue's patents, two enterprises approved to bid (once)."""
        organiser = Organization.objects.get(kind="organiser", memberships__user__email=ORGANISER_EMAIL)
        lots = Achievement.objects.filter(external_ref__in=AUCTION_REFS).order_by("external_ref")
        bidders = list(Organization.objects.filter(kind="enterprise", verified=True).order_by("pk"))
        load_demo_auction(
            organiser=organiser, by=organiser.memberships.first().user, achievements=list(lots), bidders=bidders
        )

    def _load_postings(self, staff: User) -> int:
        """Publish the demo achievements (spread over the universities and institutes) and needs (enterprises)."""
        created = 0
        # The demo file's organisations only: the same owners however many others (the call's enterprises) exist.
        demo = [spec["name"] for spec in json.loads((DATA_DIR / "organizations.json").read_text(encoding="utf-8"))]
        offerers = list(
            Organization.objects.filter(kind__in=["university", "research_institute"], name__in=demo).order_by("pk")
        )
        seekers = list(Organization.objects.filter(kind="enterprise", name__in=demo).order_by("pk"))
        for model, filename, owners, body in (
            (Achievement, "achievements.jsonl", offerers, "summary"),
            (Achievement, CATALOGUE_FILE, offerers, "summary"),
            (Need, "needs.jsonl", seekers, "description"),
        ):
            lines = (DATA_DIR / filename).read_text(encoding="utf-8").splitlines()
            for index, line in enumerate(lines):
                record = json.loads(line)
                organization = owners[index % len(owners)]
                if model.objects.filter(organization=organization, external_ref=record["ref"]).exists():
                    continue
                province, city = place_resolve_parts(province=record["province"], city=record.get("city"))
                fields = {
                    "external_ref": record["ref"],
                    "title": record["title"],
                    body: record[body],
                    "keywords": record["keywords"],
                    "modes": record["modes"],
                    "province": province,
                    "city": city,
                    "language": record["lang"],
                    "contact_name": organization.memberships.first().user.full_name,
                    "contact_email": organization.memberships.first().user.email,
                }
                if model is Achievement:
                    price = record.get("price_wan") or [None, None]
                    fields.update(
                        trl=record["trl"], ip_status=record["ip"], price_min_wan=price[0], price_max_wan=price[1]
                    )
                else:
                    fields.update(
                        min_trl=record["min_trl"],
                        budget_wan=record["budget_wan"],
                        region_scope=record["region_scope"],
                        deadline=_upcoming(record.get("deadline")),
                    )
                posting = posting_create(
                    model=model, organization=organization, by=None, domain_codes=record["domains"], **fields
                )
                posting_transition(posting=posting, to=Status.PUBLISHED, by=staff, reason="demo data")
                created += 1
        return created


def _upcoming(deadline: str | None) -> datetime.date | None:
    """The data's deadline moved on by whole years until it lies ahead, so that the demo needs are open (a need
    past its deadline is off the market)."""
    if not deadline:
        return None
    day, today = datetime.date.fromisoformat(deadline), timezone.localdate()
    while day <= today:
        day = day.replace(year=day.year + 1, day=min(day.day, 28) if day.month == 2 else day.day)
    return day
