"""E-mail the product sends: after the transaction that caused it commits, by a Celery task that retries while the
mail server does not answer, and never silently: a message that cannot be sent in the end is logged with its
subject and recipients. And ``enqueue``, the one way tasks are queued fire-and-forget.

Without a broker (the embedded default, ``make run``) tasks run eagerly, in-process. So that a request never waits
for them (approving a need used to run its matching inside the request: seconds), ``enqueue`` hands an eager task
to one background thread when ``CELERY_EAGER_IN_BACKGROUND`` is on (the default whenever tasks run eagerly, off in
the test settings so that the suite stays deterministic): the request commits, returns its response, and the task
runs meanwhile, one at a time in the order queued (SQLite takes one writer at a time anyway). A process exiting
(a management command) waits for the thread to finish what it was given. ``background_join`` waits for everything
queued so far (tests, commands that want the results before they print). With a broker a task is a real Celery
message and none of this applies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connections, transaction

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
# Eager tasks run after the request, one at a time (``CELERY_EAGER_IN_BACKGROUND``).
_BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eager-task")


def run_in_background(function: Any, name: str = "") -> Any:
    """Run ``function`` in the background thread of eager tasks, after what was queued before it; its errors are
    logged (there is no caller left to raise them to). Returns its future."""

    def run() -> None:
        try:
            function()
        except Exception:
            logger.exception("background task %s failed", name or getattr(function, "__name__", function))
        finally:
            connections.close_all()  # this thread's own connections

    return _BACKGROUND.submit(run)


def background_join(timeout: float | None = None) -> None:
    """Wait until every eager task queued in the background so far has run."""
    _BACKGROUND.submit(lambda: None).result(timeout=timeout)


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Queue a fire-and-forget task, waiting at most ``CELERY_ENQUEUE_WAIT`` seconds for the broker: no publish
    retries, no result kept (the result store is not asked to listen). A broker that refuses or does not answer
    (down, or hung: its socket times out after ``CELERY_BROKER_TRANSPORT_OPTIONS``' ``socket_timeout``) costs the
    request that second at most; the queueing goes on in the background meanwhile. Returns whether it was queued in
    time; a failure is logged, and the caller's own record (an outbox row, a log line) stands in for the message.
    Where tasks run eagerly the task runs here, at once, or in the background thread after the request with
    ``CELERY_EAGER_IN_BACKGROUND`` (see the module's docstring)."""

    def send() -> None:
        task.apply_async(args, kwargs, retry=False, ignore_result=True)

    name = getattr(task, "name", task)
    try:
        if task.app.conf.task_always_eager and getattr(settings, "CELERY_EAGER_IN_BACKGROUND", False):
            run_in_background(send, name)
        elif task.app.conf.task_always_eager:
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
