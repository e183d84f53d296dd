"""No account enumeration (#11 item 4): sign-up, sign-in, the activation link's resend form, password reset, the API's
token endpoint and the lockout answer a registered address exactly as they answer an unknown one (the same status,
headers that matter and page, the address typed aside); only the mailbox learns the difference."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Organization, User
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTERED, UNKNOWN = "li.ming@hfut.edu.cn", "nobody@hfut.edu.cn"
TOKEN_URL = "/api/v1/auth/token/"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')
SIGN_UP = {
    "full_name": "李明",
    "password1": "Hefei-2026-strong",
    "password2": "Hefei-2026-strong",
    "organization_name": "合肥学院",
    "organization_kind": "university",
    "location": "安徽合肥",
}


@pytest.fixture
def registered():
    return MembershipFactory(user=UserFactory(email=REGISTERED), organization__name="合肥工业大学").user


def page(response, email: str) -> str:
    """The body as compared: the address typed and the per-response CSRF token set aside."""
    return CSRF.sub(r'\1"', response.content.decode()).replace(email, "<email>")


def assert_same(first, second, first_email: str = REGISTERED, second_email: str = UNKNOWN) -> None:
    assert first.status_code == second.status_code
    for header in ("Location", "Retry-After", "Content-Type"):
        assert first.get(header) == second.get(header), header
    assert page(first, first_email) == page(second, second_email)


def recipient_text(message: str, language: str = "zh-hans") -> str:
    """A message as a recipient reading ``language`` gets it."""
    with translation.override(language):
        return translation.gettext(message)


def test_sign_up_with_a_registered_address_answers_as_a_new_one_creates_nothing_and_tells_the_address(
    registered, committed
):
    answers = {}
    for email in (REGISTERED, UNKNOWN):
        client = Client()
        response = committed(client.post, reverse("accounts:signup"), {**SIGN_UP, "email": email})
        answers[email] = (response, client.get(response.url))
    assert answers[REGISTERED][0].status_code == 302
    assert_same(answers[REGISTERED][0], answers[UNKNOWN][0])
    assert_same(answers[REGISTERED][1], answers[UNKNOWN][1])
    assert "We sent an e-mail to " + REGISTERED in answers[REGISTERED][1].content.decode()

    # Nothing made for the registered address: its account and organisation as they were; the new one's made.
    assert list(User.objects.filter(email__in=[REGISTERED, UNKNOWN]).values_list("email", "is_active")) == [
        (REGISTERED, True), (UNKNOWN, False)]  # fmt: skip
    assert list(Organization.objects.get(name="合肥学院").members.all()) == [User.objects.get(email=UNKNOWN)]
    assert list(registered.organizations.values_list("name", flat=True)) == ["合肥工业大学"]
    registered.refresh_from_db()
    assert registered.check_password(DEFAULT_PASSWORD) and registered.full_name != "李明"

    tried, activate = mail.outbox
    # Mails are written in the recipient's language (the factory's users read Chinese).
    assert tried.to == [REGISTERED]
    assert recipient_text("Someone tried to sign up at Tech Match with your e-mail address") in tried.subject
    assert "http://testserver/accounts/login/" in tried.body
    assert "http://testserver/accounts/password-reset/" in tried.body
    assert "/accounts/verify/" not in tried.body
    assert activate.to == [UNKNOWN] and "/accounts/verify/" in activate.body


def test_sign_up_with_an_address_waiting_for_activation_says_how_to_get_the_link(client, committed):
    UserFactory(email=REGISTERED, is_active=False, email_verified_at=None)
    committed(client.post, reverse("accounts:signup"), {**SIGN_UP, "email": REGISTERED})
    [tried] = mail.outbox
    said = recipient_text(
        "That account was registered on %(joined)s and is not activated yet. If you registered it, open the link "
        "we sent you then, or get a new one here:"
    )
    assert all(part in tried.body for part in said.split("%(joined)s"))
    assert "http://testserver/accounts/verify/resend/" in tried.body
    assert "/accounts/login/" not in tried.body
    assert not Organization.objects.exists()


def test_a_sign_up_racing_another_for_the_same_address_answers_as_a_new_one(registered, committed, monkeypatch):
    """The address is registered between the check and the insert: the unique constraint refuses the row, and the
    page is still the plain "we sent a link" (the address gets the "someone tried" e-mail)."""
    real = services._registered
    calls = []

    def registered_later(email: str) -> User | None:
        calls.append(email)
        return real(email) if len(calls) > 1 else None  # the first look finds nothing

    monkeypatch.setattr(services, "_registered", registered_later)
    raced = committed(Client().post, reverse("accounts:signup"), {**SIGN_UP, "email": REGISTERED})
    monkeypatch.undo()
    new = committed(Client().post, reverse("accounts:signup"), {**SIGN_UP, "email": UNKNOWN})
    assert len(calls) == 2
    assert_same(raced, new)
    assert [m.to for m in mail.outbox] == [[REGISTERED], [UNKNOWN]]
    assert User.objects.filter(email=REGISTERED).count() == 1


WRONG = "Wrong-pass-2026"  # a password nobody has


def sign_in(email: str, password: str = WRONG, client: Client | None = None):
    return (client or Client()).post(reverse("accounts:login"), {"username": email, "password": password})


def test_the_sign_in_page_answers_a_wrong_password_as_an_unknown_address(registered):
    assert_same(sign_in(REGISTERED), sign_in(UNKNOWN))
    assert sign_in(REGISTERED).status_code == 200
    # A deactivated account with its right password, and an account waiting for its link with a wrong one: the same.
    deactivated = UserFactory(is_active=False)
    assert_same(sign_in(deactivated.email, DEFAULT_PASSWORD), sign_in(UNKNOWN, DEFAULT_PASSWORD),
                deactivated.email, UNKNOWN)  # fmt: skip
    waiting = UserFactory(is_active=False, email_verified_at=None)
    assert_same(sign_in(waiting.email), sign_in(UNKNOWN), waiting.email, UNKNOWN)
    # The one difference (and the comparison sees it): that account, given its right password, is told to activate.
    told = sign_in(waiting.email, DEFAULT_PASSWORD)
    assert page(told, waiting.email) != page(sign_in(UNKNOWN, DEFAULT_PASSWORD), UNKNOWN)
    assert "not activated yet" in told.content.decode()


def test_the_resend_form_answers_every_address_alike(registered, committed):
    waiting = UserFactory(is_active=False, email_verified_at=None)
    answers = []
    for email in (waiting.email, REGISTERED, UNKNOWN):
        client = Client()
        response = committed(client.post, reverse("accounts:verify-resend"), {"email": email})
        answers.append((email, response, client.get(response.url)))
    for email, response, shown in answers[1:]:
        assert_same(answers[0][1], response, answers[0][0], email)
        assert_same(answers[0][2], shown, answers[0][0], email)
    assert [m.to for m in mail.outbox] == [[waiting.email]]


def test_password_reset_answers_every_address_alike(registered, committed):
    waiting = UserFactory(is_active=False, email_verified_at=None)
    answers = []
    for email in (REGISTERED, waiting.email, UNKNOWN):
        client = Client()
        response = committed(client.post, reverse("accounts:password_reset"), {"email": email})
        answers.append((email, response, client.get(response.url)))
    for email, response, shown in answers[1:]:
        assert_same(answers[0][1], response, REGISTERED, email)
        assert_same(answers[0][2], shown, REGISTERED, email)
    assert [m.to for m in mail.outbox] == [[REGISTERED]]


def test_the_token_endpoint_answers_a_wrong_password_as_an_unknown_address(registered):
    waiting = UserFactory(is_active=False, email_verified_at=None)

    def token(email: str, password: str = WRONG):
        return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json")

    wrong, unknown = token(REGISTERED), token(UNKNOWN)
    assert wrong.status_code == 400
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
    inactive = token(waiting.email, DEFAULT_PASSWORD)  # its right password: still the same refusal
    assert (inactive.status_code, inactive.json()) == (unknown.status_code, unknown.json())


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=2)
def test_the_lockout_answers_a_registered_address_as_an_unknown_one(registered):
    site, api = {}, {}
    for email in (REGISTERED, UNKNOWN):
        client = Client()
        answers = [sign_in(email, client=client) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 429, 429]
        site[email] = answers[-1]
        api[email] = APIClient().post(TOKEN_URL, {"email": email, "password": "x"}, format="json")
    assert_same(site[REGISTERED], site[UNKNOWN])
    assert "Retry-After" in site[REGISTERED]
    assert api[REGISTERED].status_code == 429
    for answer in (api[REGISTERED], api[UNKNOWN]):
        assert (answer.json(), answer["Retry-After"]) == (api[UNKNOWN].json(), site[UNKNOWN]["Retry-After"])
