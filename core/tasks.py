"""E-mail the product sends: after the transaction that caused it commits, by a Celery task that retries while the
mail server does not answer, and never silently: a message that cannot be sent in the end is logged with its
subject and recipients."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

logger = logging.getLogger(__name__)


def one_line(subject: str) -> str:
    """A subject as a mail header takes it: a newline (a title typed with one) makes Django refuse the message."""
    return " ".join(subject.split())


@shared_task(
    bind=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600, max_retries=8, acks_late=True
)  # smtplib's errors are OSErrors
def send_mail_task(self, subject: str, body: str, recipients: list[str]) -> int:  # type: ignore[no-untyped-def]
    send_mail(one_line(subject), body, None, recipients)
    return len(recipients)


_QUEUEING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="enqueue")


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Queue a fire-and-forget task, waiting at most ``CELERY_ENQUEUE_WAIT`` seconds for the broker: no publish
    retries, no result kept (the result store is not asked to listen). A broker that refuses or does not answer
    (down, or hung: its socket times out after ``CELERY_BROKER_TRANSPORT_OPTIONS``' ``socket_timeout``) costs the
    request that second at most; the queueing goes on in the background meanwhile. Returns whether it was queued in
    time; a failure is logged, and the caller's own record (an outbox row, a log line) stands in for the message.
    Where tasks run eagerly the task runs here, at once."""

    def send() -> None:
        task.apply_async(args, kwargs, retry=False, ignore_result=True)

    name = getattr(task, "name", task)
    try:
        if task.app.conf.task_always_eager:
            send()
        else:
            _QUEUEING.submit(_logged, send, name).result(timeout=settings.CELERY_ENQUEUE_WAIT)
    except FutureTimeout:
        logger.warning("task %s not queued within %s s: the broker does not answer", name, settings.CELERY_ENQUEUE_WAIT)
        return False
    except Exception:
        logger.warning("task %s could not be queued", name, exc_info=True)
        return False
    return True


def _logged(send: Any, name: str) -> None:
    """Queue in the background thread; an error is raised to a caller still waiting and logged for one that is not."""
    try:
        send()
    except Exception:
        logger.debug("queueing task %s failed", name, exc_info=True)
        raise


def mail_on_commit(*, subject: str, body: str, recipients: Iterable[str]) -> None:
    """Send this e-mail once the current transaction commits (at once outside one)."""
    to = [address for address in recipients if address]
    if not to:
        return

    def send() -> None:
        try:
            queued = enqueue(send_mail_task, subject, body, to)
        except Exception:  # failed for good where tasks run eagerly: said, not swallowed
            queued = False
        if not queued:
            logger.error("e-mail not sent: %r to %s", one_line(subject), ", ".join(to))

    transaction.on_commit(send)
