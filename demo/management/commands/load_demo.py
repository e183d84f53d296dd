"""Load a small demo: organisations of every kind, each with an owner login, a staff account, and a dozen
published achievements and needs (taken from the development benchmark, so that they match each other).

Idempotent: run it again and nothing is duplicated; the staff password is reset and printed each time.
Refuses to run on a production instance (DEBUG off) unless forced.
"""

from __future__ import annotations

import datetime
import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.services import organization_set_verified
from accounts.validators import credit_code_check_character
from events.meetings import meeting_grid_define
from events.models import Event
from events.services import event_create, event_set_status
from marketplace.models import Achievement, Need, Status
from marketplace.services import posting_create, posting_transition
from reference.selectors import place_resolve, place_resolve_parts

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
STAFF_EMAIL = "admin@demo.techmatch.cn"


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
            postings = self._load_postings(staff)
            self._load_event(staff)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({postings} new postings)."))
        self.stdout.write("")
        self.stdout.write(self.style.WARNING("Staff (admin) account:"))
        self.stdout.write(f"  e-mail:   {STAFF_EMAIL}")
        self.stdout.write(f"  password: {staff_password}")
        self.stdout.write("")
        self.stdout.write(f"Demo organisation users (password: {options['password']}):")
        for email, name, kind in rows:
            self.stdout.write(f"  {email:<32} {kind:<20} {name}")

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

    def _load_postings(self, staff: User) -> int:
        """Publish the demo achievements (spread over the universities and institutes) and needs (enterprises)."""
        created = 0
        offerers = list(Organization.objects.filter(kind__in=["university", "research_institute"]).order_by("pk"))
        seekers = list(Organization.objects.filter(kind="enterprise").order_by("pk"))
        for model, filename, owners, body in (
            (Achievement, "achievements.jsonl", offerers, "summary"),
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
