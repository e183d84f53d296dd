"""Load a small demo: organisations of every kind, each with an owner login, and a staff account.

Idempotent: run it again and nothing is duplicated; the staff password is reset and printed each time.
Refuses to run on a production instance (DEBUG off) unless forced.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Membership, Organization, User
from accounts.validators import credit_code_check_character
from reference.selectors import place_resolve

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
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
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
            rows.append((spec["email"], spec["name"], organization.get_kind_display()))
        return rows
