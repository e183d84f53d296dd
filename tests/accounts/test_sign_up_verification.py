"""E-mail verification at sign-up (#11 item 4): a new account is inactive until its owner opens the e-mailed link;
the link is signed, works once and expires; it can be sent again; staff's deactivation is final."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services
from accounts.models import Organization, User
from accounts.tokens import EmailVerificationTokenGenerator, email_verification_token, verification_path
from core.audit import Kind
from core.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Hefei-2026-strong"
FORM = {
    "email": "chen@hfut.edu.cn",
    "full_name": "陈静",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "organization_name": "合肥工业大学",
    "organization_kind": "university",
    "location": "安徽合肥",
}
LINK = re.compile(r"http://testserver(/accounts/verify/[^/\s]+/[^/\s]+/)")


def sign_up(client, committed, **changes):
    return committed(client.post, reverse("accounts:signup"), {**FORM, **changes})


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def test_sign_up_mails_a_link_and_the_account_cannot_sign_in_before_it_is_opened(client, committed, api_client):
    response = sign_up(client, committed)
    assert response.status_code == 302 and response.url == reverse("accounts:signup-sent")
    assert "_auth_user_id" not in client.session
    user = User.objects.get(email="chen@hfut.edu.cn")
    assert (user.is_active, user.email_verified_at) == (False, None)
    assert Organization.objects.get(name="合肥工业大学").members.get() == user
    [message] = mail.outbox
    assert message.to == ["chen@hfut.edu.cn"] and "Activate" in message.subject
    assert "3 days" in message.body and link_in(message)

    page = client.get(response.url).content.decode()
    assert "We sent an e-mail to chen@hfut.edu.cn" in page

    # The right password: told to open the link, with the way to get it again; still not signed in.
    refused = client.post(reverse("accounts:login"), {"username": "chen@hfut.edu.cn", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    text = refused.content.decode()
    assert "not activated yet" in text
    assert reverse("accounts:verify-resend") + "?email=chen%40hfut.edu.cn" in text
    # A wrong one: the ordinary refusal, nothing said about the account.
    wrong = client.post(reverse("accounts:login"), {"username": "chen@hfut.edu.cn", "password": "Wrong-2026-pass"})
    assert "not activated" not in wrong.content.decode() and wrong.context["form"].errors
    # Nor by the API, nor in admin.
    token = api_client.post(reverse("api:token-obtain"), {"email": "chen@hfut.edu.cn", "password": PASSWORD})
    assert token.status_code == 400
    assert not client.login(username="chen@hfut.edu.cn", password=PASSWORD)


def test_the_link_verifies_activates_and_signs_in_once(client, committed):
    sign_up(client, committed)
    link = link_in(mail.outbox[0])
    response = client.get(link, follow=True)
    organization = Organization.objects.get(name="合肥工业大学")
    assert response.redirect_chain == [(f"{reverse('accounts:welcome')}?org={organization.pk}", 302)]  # first step
    assert response.context["user"].email == "chen@hfut.edu.cn"
    assert "confirmed" in response.content.decode()
    user = User.objects.get(email="chen@hfut.edu.cn")
    assert user.is_active and user.email_verified_at is not None
    assert AuditEvent.objects.filter(kind=Kind.LOGIN, actor=user).exists()  # a sign-in like any other

    client.logout()
    again = client.get(link)
    assert again.status_code == 200 and "no longer works" in again.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(("days", "age", "works"), [(3, 0, True), (3, 3 * 86400, True), (3, 3 * 86400 + 1, False),
                                                    (1, 86400 + 1, False), (7, 6 * 86400, True)])  # fmt: skip
def test_the_link_expires_after_accounts_verify_days(client, settings, monkeypatch, days, age, works):
    settings.ACCOUNTS_VERIFY_DAYS = days
    user = UserFactory(is_active=False, email_verified_at=None)
    issued = datetime.datetime(2026, 3, 1, 9, 0)  # noqa: DTZ001 - the token generator's clock is naive
    monkeypatch.setattr(EmailVerificationTokenGenerator, "_now", lambda self: issued)
    path = verification_path(user)
    monkeypatch.setattr(EmailVerificationTokenGenerator, "_now", lambda self: issued + datetime.timedelta(seconds=age))
    response = client.get(path)
    assert (response.status_code == 302) is works
    user.refresh_from_db()
    assert user.is_active is works


def test_a_forged_or_borrowed_token_is_refused(client):
    user, other = UserFactory(is_active=False, email_verified_at=None), UserFactory(is_active=False,
                                                                                  email_verified_at=None)  # fmt: skip
    token = email_verification_token.make_token(user)
    other_uid = urlsafe_base64_encode(force_bytes(other.pk))
    for uid, tok in [(other_uid, token), ("bm90LWEtbnVtYmVy", token), ("!!", token), (other_uid, "abc-123"),
                     (urlsafe_base64_encode(force_bytes(10**30)), token)]:  # fmt: skip
        response = client.get(reverse("accounts:verify", kwargs={"uidb64": uid, "token": tok}))
        assert response.status_code == 200 and "no longer works" in response.content.decode()
    assert not User.objects.filter(is_active=True).exists()
    # A password-reset token is not a verification token either.
    from django.contrib.auth.tokens import default_token_generator

    assert not email_verification_token.check_token(user, default_token_generator.make_token(user))


def test_a_user_deactivated_by_staff_cannot_reactivate_with_an_old_link(client, committed):
    sign_up(client, committed)
    link = link_in(mail.outbox[0])
    user = User.objects.get(email="chen@hfut.edu.cn")
    token_user = User.objects.get(pk=user.pk)
    assert client.get(link).status_code == 302
    client.logout()
    User.objects.filter(pk=user.pk).update(is_active=False)  # staff deactivate the account
    assert client.get(link).status_code == 200
    # Even a token that still checked (made before) is refused by the service: the address is verified already.
    assert services.user_verify_email(user=token_user) is False
    user.refresh_from_db()
    assert user.is_active is False
    assert "_auth_user_id" not in client.session


def test_verifying_is_idempotent():
    user = UserFactory(is_active=False, email_verified_at=None)
    assert services.user_verify_email(user=user) is True
    verified_at = User.objects.get(pk=user.pk).email_verified_at
    assert services.user_verify_email(user=user) is False
    assert User.objects.get(pk=user.pk).email_verified_at == verified_at


def test_the_link_is_sent_again_to_an_account_waiting_for_it_and_the_old_one_still_works(client, committed, settings):
    settings.ACCOUNTS_MAIL_INTERVAL_SECONDS = 0
    sign_up(client, committed)
    first = link_in(mail.outbox[0])
    form = client.get(reverse("accounts:verify-resend") + "?email=chen%40hfut.edu.cn")
    assert 'value="chen@hfut.edu.cn"' in form.content.decode()
    response = committed(client.post, reverse("accounts:verify-resend"), {"email": "CHEN@hfut.edu.cn"})
    assert response.status_code == 302 and response.url == reverse("accounts:verify-resent")
    assert "chen@hfut.edu.cn" in client.get(response.url).content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["chen@hfut.edu.cn"]
    second = link_in(mail.outbox[1])
    assert client.get(second).status_code == 302  # either link works, once: the first one is spent with it
    client.logout()
    assert client.get(first).status_code == 200
    # Verified now: asking again sends nothing (and answers the same).
    again = committed(client.post, reverse("accounts:verify-resend"), {"email": "chen@hfut.edu.cn"})
    assert again.url == response.url and len(mail.outbox) == 2


def test_an_address_gets_one_sign_up_mail_a_minute_however_often_it_is_asked(client, committed):
    sign_up(client, committed)
    for _ in range(3):
        committed(client.post, reverse("accounts:verify-resend"), {"email": "chen@hfut.edu.cn"})
        sign_up(client, committed, organization_name="安徽大学")  # registered now: "someone tried", once
    assert [m.subject for m in mail.outbox] == [
        "Activate your Tech Match account",
        "Someone tried to sign up at Tech Match with your e-mail address",
    ]


def test_the_mails_are_written_in_the_recipients_language(client, committed, monkeypatch):
    """The account's language, not the language of whoever made the request."""
    UserFactory(email="wang@zju.edu.cn", language="zh-hans")
    languages = []
    real = services.render_to_string
    monkeypatch.setattr(services, "render_to_string", lambda *a, **k: languages.append(translation.get_language())
                        or real(*a, **k))  # fmt: skip
    data = {**FORM, "email": "wang@zju.edu.cn"}
    page = committed(client.post, reverse("accounts:signup"), data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "We sent an e-mail" in page.content.decode()  # the page in the request's language
    assert languages == ["zh-hans", "zh-hans"] and len(mail.outbox) == 1
    # The password reset's too (its subject is translated already).
    reset_user = UserFactory(language="zh-hans")
    committed(client.post, reverse("accounts:password_reset"), {"email": reset_user.email}, HTTP_ACCEPT_LANGUAGE="en")
    assert mail.outbox[-1].subject == "重置您的技术对接平台密码"


def test_create_user_and_the_factories_make_verified_users_who_sign_in(client):
    user = User.objects.create_user(email="cmd@example.cn", password=DEFAULT_PASSWORD)
    superuser = User.objects.create_superuser(email="root@example.cn", password=DEFAULT_PASSWORD)
    assert user.email_verified_at and superuser.email_verified_at and user.is_active
    assert client.login(username="cmd@example.cn", password=DEFAULT_PASSWORD)
