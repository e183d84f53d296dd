"""Signals other apps listen to; the marketplace never imports them (dependencies run matching -> marketplace).

``need_expired`` is sent by ``marketplace.services.need_expire_overdue`` inside its transaction, after the needs past
their deadline were closed, with ``needs`` (the closed needs) and ``reason``. Receivers run in that same
transaction: the matching app withdraws the needs' open suggestions there, so that closing and withdrawing commit
(or fail and are retried) together. A receiver's error rolls the whole run back.

``posting_published`` is sent by ``marketplace.services`` inside the transaction that publishes a posting, with
``posting``: the matching app records it in its outbox there, so that the publication and the promise to match it
commit together (the task that does the matching is queued after the commit). ``postings_published`` is the same for
a batch (``marketplace.bulk``), with ``postings``.
"""

from __future__ import annotations

from django.dispatch import Signal

need_expired = Signal()
posting_published = Signal()
postings_published = Signal()
