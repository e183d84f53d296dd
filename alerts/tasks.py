"""Celery tasks of alerts: the daily digest run (beat, ``CELERY_BEAT_SCHEDULE``) and the sending of one digest
e-mail. Thin: the run calls ``services.digests_send_due``, which is safe to run twice (one digest per user and day)."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from core.tasks import one_line


@shared_task(acks_late=True)
def digests_send_task() -> int:
    from . import services

    return services.digests_send_due()


@shared_task(
    bind=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600, max_retries=8, acks_late=True
)  # smtplib's errors are OSErrors
def digest_mail_task(  # type: ignore[no-untyped-def]
    self, subject: str, text: str, html: str, to: str, headers: dict[str, str]
) -> int:
    message = EmailMultiAlternatives(one_line(subject), text, None, [to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message.send()
