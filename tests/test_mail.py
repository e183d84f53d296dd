"""E-mail is sent after commit, with a subject a mail header takes, in each recipient's language, and a message that
cannot be sent is logged."""

import logging
import socket

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from accounts.language import mail_in_language_on_commit
from accounts.services import organization_notify
from events import services as event_services
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_subject_with_a_newline_is_sent_on_one_line(django_capture_on_commit_callbacks):
    organization = OrganizationFactory()
    member = MembershipFactory(organization=organization).user
    with django_capture_on_commit_callbacks(execute=True):
        organization_notify(organization=organization, subject="新匹配：钠离子电池\n硬碳负极", body="正文")
    (sent,) = mail.outbox
    assert sent.subject == "新匹配：钠离子电池 硬碳负极" and sent.to == [member.email]


def test_a_mail_server_that_does_not_answer_is_logged_not_swallowed(
    settings, caplog, django_capture_on_commit_callbacks
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    organization = OrganizationFactory()
    MembershipFactory(organization=organization)
    with caplog.at_level(logging.ERROR, logger="core.tasks"), django_capture_on_commit_callbacks(execute=True):
        organization_notify(organization=organization, subject="报名成功", body="正文")  # the caller is not failed
    assert "e-mail not sent: '报名成功'" in caplog.text


# --- One language at a time: each recipient in their preferred language (accounts.language) -----------------------


def _rendered() -> tuple[str, str]:
    return gettext("Not found."), gettext("You may not do that.")


def test_recipients_are_mailed_once_per_language_in_their_own(django_capture_on_commit_callbacks):
    chinese, english = UserFactory(language="zh-hans"), UserFactory(language="en")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        mail_in_language_on_commit(recipients=[chinese, english.email.upper(), "nobody@example.cn"], rendered=_rendered)
    by_language = {tuple(sorted(sent.to)): (sent.subject, sent.body) for sent in mail.outbox}
    assert len(mail.outbox) == 2  # one message a language, never both in one
    with translation.override("zh-hans"):
        assert by_language[(chinese.email,)] == _rendered()
    with translation.override("en"):  # an address without an account: the active language
        assert by_language[tuple(sorted([english.email, "nobody@example.cn"]))] == _rendered()


@pytest.mark.parametrize(("language", "subject"), [("en", "Registration confirmed: "), ("zh-hans", "报名成功：")])
def test_a_registration_email_is_in_the_registered_persons_language(
    make_event, language, subject, django_capture_on_commit_callbacks
):
    """The Chinese case waits for the catalogue with this change's translations."""
    event = make_event()
    registrar = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    person = UserFactory(language=language)
    other = "zh-hans" if language == "en" else "en"
    with translation.override(other), django_capture_on_commit_callbacks(execute=True):
        event_services.registration_create(event=event, organization=registrar.organizations.get(),
                                           person_name="王工", person_email=person.email, by=registrar)  # fmt: skip
    (sent,) = mail.outbox
    assert sent.to == [person.email] and sent.subject == subject + event.title
    assert "/" not in sent.subject
