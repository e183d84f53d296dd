"""The signed token of the link that verifies a new account's e-mail address (``/accounts/verify/<uid>/<token>/``).

Django's password-reset token, with its own salt and its own life (``ACCOUNTS_VERIFY_DAYS``), hashed over what
verifying changes: the link stops working once the account is verified (``email_verified_at`` set) or activated or
deactivated by staff (``is_active``), or once its address changed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from .models import User


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:  # type: ignore[override]
        verified = "" if user.email_verified_at is None else user.email_verified_at.replace(microsecond=0, tzinfo=None)
        return f"{user.pk}{user.email}{verified}{user.is_active}{timestamp}"

    def check_token(self, user: User | None, token: str | None) -> bool:  # type: ignore[override]
        """Django's check, with this token's life instead of ``PASSWORD_RESET_TIMEOUT``."""
        if not (user and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return 0 <= self._num_seconds(self._now()) - timestamp <= settings.ACCOUNTS_VERIFY_DAYS * 24 * 3600


email_verification_token = EmailVerificationTokenGenerator()


def verification_path(user: User) -> str:
    """The path of a fresh verification link for the user."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:verify", kwargs={"uidb64": uid, "token": email_verification_token.make_token(user)})
