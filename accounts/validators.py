"""Validation of China's unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a code whose first 17 are given (GB 32100-2015, modulus 31)."""
    total = sum(CREDIT_CODE_ALPHABET.index(char) * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; %(value)s has %(count)d."),
            code="credit_code_length",
            params={"value": value, "count": len(code)},
        )
    bad = sorted({char for char in code if char not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("%(value)s contains characters a unified social credit code never uses: %(chars)s."),
            code="credit_code_characters",
            params={"value": value, "chars": " ".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3-8 of %(value)s must be an administrative division code (digits)."),
            code="credit_code_division",
            params={"value": value},
        )
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("%(value)s fails the check digit of a unified social credit code; please check it for typos."),
            code="credit_code_checksum",
            params={"value": value},
        )
