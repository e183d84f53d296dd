"""A user's preferred language (``User.language``): the language they are written to in, and the one their pages come
back in once they sign in.

* E-mails: ``mail_in_language_on_commit`` groups the recipients by their preferred language and renders the message
  once per language, under ``translation.override``; a Celery task or a command has no request language, so the
  recipient's decides. An address without an account is written to in the active language.
* Sign-in: ``on_logged_in`` (``user_logged_in``, wherever a sign-in happens: the sign-in page, the link that
  activates an account, admin's) switches the request to the user's language, and ``PreferredLanguageMiddleware``
  sets the language cookie on the response, as ``django.views.i18n.set_language`` does, so that the pages after it
  come back in that language whatever the browser's cookie or Accept-Language said.
* The language switcher (``set_language``): Django's view, and for a signed-in user the choice saved as their
  preferred language (``accounts.services.user_language_set``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from core.tasks import mail_on_commit

from .models import User, normalize_email

_ON_LOGIN = "_preferred_language_on_login"


def language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def language_of(user: User | None) -> str:
    """The language a user is written to in: their preferred one, else the site's default."""
    language = getattr(user, "language", "") or ""
    return language if language in language_codes() else settings.LANGUAGE_CODE


def mail_in_language_on_commit(*, recipients: Iterable[User | str], rendered: Callable[[], tuple[str, str]]) -> None:
    """E-mail each recipient (a user, or an address) in their preferred language once the transaction commits:
    ``rendered`` returns the subject and body in the active language, and is called once per language, under
    ``translation.override``. An address is a user's when an account has it; otherwise the active language (or the
    default) is its."""
    recipients = list(recipients)
    by_language: dict[str, list[str]] = {}
    addresses = [normalize_email(r) for r in recipients if isinstance(r, str)]
    known = dict(User.objects.filter(email__in=addresses).values_list("email", "language")) if addresses else {}
    fallback = translation.get_language() or settings.LANGUAGE_CODE
    for recipient in recipients:
        if isinstance(recipient, User):
            email, language = recipient.email, language_of(recipient)
        else:
            email = normalize_email(recipient)
            language = known.get(email) or fallback
            language = language if language in language_codes() else settings.LANGUAGE_CODE
        if email and email not in by_language.setdefault(language, []):
            by_language[language].append(email)
    for language, emails in sorted(by_language.items()):
        if not emails:
            continue
        with translation.override(language):
            subject, body = rendered()
        mail_on_commit(subject=subject, body=body, recipients=emails)


# --- Sign-in and the language switcher ---------------------------------------------------------------------------


def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """A user signed in: the pages after it are in their preferred language (the response sets the cookie)."""
    if request is None or not isinstance(user, User):
        return
    language = language_of(user)
    request.LANGUAGE_CODE = language
    setattr(request, _ON_LOGIN, language)


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """The language cookie as ``django.views.i18n.set_language`` sets it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class PreferredLanguageMiddleware:
    """Sets the language cookie to the user's preferred language on the response to a sign-in (``on_logged_in``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        language = getattr(request, _ON_LOGIN, None)
        if language:
            set_language_cookie(response, language)
        return response


def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: Django's ``set_language``, and a signed-in user's choice kept as their preferred
    language (the language they are e-mailed in and that their pages take at the next sign-in)."""
    from .services import user_language_set

    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    user = getattr(request, "user", None)
    if language in language_codes() and user is not None and user.is_authenticated:
        user_language_set(user=user, language=language)
    return response


@csrf_exempt
@require_POST
def set_language_visitor(request: HttpRequest) -> HttpResponse:
    """The language switcher of pages kept whole for visitors (``core.page_cache``), which carry no form token: it
    only sets the language cookie, so a forged request could change nothing but the language the next page is read
    in. A signed-in user's switcher posts to ``set_language`` (token checked, the choice saved)."""
    return django_set_language(request)
