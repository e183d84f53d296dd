"""Service and API errors in the reader's language, one language at a time: the same broken rule read in Chinese
holds no English sentence, and read in English no Chinese; values interpolated into a message (a status, a unit)
are labels in that language, never codes."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from conversations.moderation import enquiry_hold_reason, hold_reason_text
from core.exceptions import ApplicationError, PermissionDenied
from events import services as event_services
from marketplace import services as posting_services
from marketplace.models import Status
from matching.services import agreement_terms_check
from tests.factories import MembershipFactory, OrganizationFactory, achievement

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]+(?:[\s,;:'’-]+[A-Za-z]+){2,}\b")  # three English words in a row
LANGUAGES = ("zh-hans", "en")


def assert_in_one_language(text: str, language: str) -> None:
    if language == "en":
        assert not CJK.search(text), f"Chinese in the English interface: {text!r}"
        assert ENGLISH_SENTENCE.search(text), text
    else:
        assert not ENGLISH_SENTENCE.search(text), f"English in the Chinese interface: {text!r}"
        assert CJK.search(text), text


def error_of(call, language: str) -> ApplicationError:
    with translation.override(language), pytest.raises(ApplicationError) as raised:
        call()
    return raised.value


@pytest.fixture
def published_achievement():
    owner = MembershipFactory().user
    posting = achievement(owner.organizations.get(), title="钠离子电池硬碳负极材料")
    posting = posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)
    return owner, posting


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_status_named_in_an_error_is_its_label_in_the_readers_language(published_achievement, language):
    owner, posting = published_achievement
    error = error_of(lambda: posting_services.posting_submit(posting=posting, by=owner), language)
    assert_in_one_language(error.message, language)
    with translation.override(language):
        assert str(Status.PUBLISHED.label) in error.message
    if language == "zh-hans":
        assert "published" not in error.message


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_event_status_change_refused_names_both_statuses_in_the_readers_language(make_event, organiser_member,
                                                                                   language):  # fmt: skip
    event = make_event()
    error = error_of(
        lambda: event_services.event_set_status(event=event, by=organiser_member, status="draft"), language
    )
    assert_in_one_language(error.message, language)
    assert "draft" not in error.message or language == "en"


@pytest.mark.parametrize("language", LANGUAGES)
def test_agreement_terms_refused_in_the_readers_language(language):
    error = error_of(
        lambda: agreement_terms_check(mode="license", amount_wan=Decimal("-1"), signed_on=datetime.date(2026, 1, 1)),
        language,
    )
    assert error.field == "amount_wan"
    assert_in_one_language(error.message, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_permission_refused_in_the_readers_language(language):
    with translation.override(language):
        error = PermissionDenied()
    if language == "en":
        assert error.message == "You may not do that."
    else:
        assert_in_one_language(error.message, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_api_answers_a_broken_rule_in_the_accept_language(published_achievement, language):
    owner, posting = published_achievement
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post(reverse("api:achievement-submit", kwargs={"pk": posting.pk}), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    (message,) = response.json()["status"]
    assert_in_one_language(message, language)
    assert response["Content-Language"] == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_api_answers_not_found_in_the_accept_language(language):
    client = APIClient()
    client.force_authenticate(MembershipFactory().user)
    response = client.get(reverse("api:achievement-detail", kwargs={"pk": 999_999}), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert (not CJK.search(detail)) if language == "en" else CJK.search(detail), detail


@pytest.mark.parametrize("language", LANGUAGES)
def test_why_an_enquiry_is_held_reads_in_the_readers_language(language):
    """Stored as codes; read in the reader's language (the contact-details reason waits for the catalogue)."""
    reason = enquiry_hold_reason(organization=OrganizationFactory(verified=False), text="资料见 https://example.com")
    assert "unverified" in reason and "link" in reason  # codes, not a text in one language
    with translation.override(language):
        text = hold_reason_text(reason)
    assert_in_one_language(text, language)


def test_a_hold_reason_stored_as_text_before_is_shown_as_stored():
    assert hold_reason_text("机构未认证 / the organisation is not verified") == (
        "机构未认证 / the organisation is not verified"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_command_refuses_in_the_active_language(language):
    """Waits for the catalogue with this change's translations."""
    with translation.override(language), pytest.raises(CommandError) as raised:
        call_command("search_reindex", "postings")
    assert_in_one_language(str(raised.value).replace("achievements", "").replace("needs", ""), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_apis_own_refusals_are_in_the_accept_language(published_achievement, language):
    """DRF's messages (an anonymous request refused) follow Accept-Language as the services' do."""
    _owner, posting = published_achievement
    response = APIClient().post(
        reverse("api:achievement-submit", kwargs={"pk": posting.pk}), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code in (401, 403)
    assert_in_one_language(response.json()["detail"], language)
