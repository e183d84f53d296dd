"""E-mail is sent after commit, with a subject a mail header takes, and a message that cannot be sent is logged."""

import logging
import socket

import pytest
from django.core import mail

from accounts.services import organization_notify
from tests.factories import MembershipFactory, OrganizationFactory

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
