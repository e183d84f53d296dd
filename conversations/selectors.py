"""Reads with rules for conversations: the one scoping function for threads, unread counts, and the rate counts.

``thread_visible_to`` is the only way a thread is read (pages, API, template tags): staff with
``conversations.view_thread`` see every thread; members see the threads of their organisations, except that an
enquiry waiting for staff review (or rejected) shows to the enquirer only, never to the owner it addresses. Anything
else is a 404.

Unread: a message is unread for a user when it comes from the other organisation, is not hidden, and its id is above
the user's ``ReadMarker.last_read_id`` for the thread. Only the parties have markers; staff reading a thread write
none, so their reading marks nothing read for the parties. The header's count is one query: the user's
organisations are a subquery of memberships, the marker a correlated subquery.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Membership, User
from accounts.selectors import staff_may
from core.versions import SharedVersion

from .models import Message, ReadMarker, Thread

VIEW_PERMISSION = "conversations.view_thread"
# Bumped when a message, a thread, a read marker or a membership is saved or deleted (conversations.apps): the
# unread counts kept per user (the header's) are counted again.
UNREAD_VERSION = SharedVersion("unread:version")


def _organizations(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).values("organization_id")


def _party_q(user: User) -> Q:
    organizations = _organizations(user)
    return Q(first_party_id__in=organizations) | Q(second_party_id__in=organizations, state=Thread.State.OPEN)


def thread_visible_to(*, user: User | AnonymousUser) -> QuerySet[Thread]:
    """The one scoping function for threads (see the module's docstring)."""
    queryset = Thread.objects.select_related(
        "first_party", "second_party", "match__achievement", "match__need", "achievement", "need"
    )
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, VIEW_PERMISSION):
        return queryset
    return queryset.filter(_party_q(user))


def threads_of_parties(*, user: User | AnonymousUser) -> QuerySet[Thread]:
    """The threads the user takes part in (for staff too: their inbox is their own organisations')."""
    if not user.is_authenticated:
        return Thread.objects.none()
    return thread_visible_to(user=user).filter(_party_q(user))


def _unread_messages(user: User, thread: object) -> QuerySet[Message]:
    marker = ReadMarker.objects.filter(thread=thread, user=user).values("last_read_id")[:1]
    return (
        Message.objects.filter(hidden=False)
        .exclude(organization_id__in=_organizations(user))
        .filter(pk__gt=Coalesce(Subquery(marker), Value(0), output_field=IntegerField()))
    )


def with_unread(queryset: QuerySet[Thread], *, user: User) -> QuerySet[Thread]:
    """The threads annotated with ``unread``: the user's unread messages in each (0 where the user is no party)."""
    counted = (
        _unread_messages(user, OuterRef(OuterRef("pk")))
        .filter(thread=OuterRef("pk"))
        .order_by()
        .values("thread")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        unread=Case(
            When(_party_q(user), then=Coalesce(Subquery(counted), Value(0), output_field=IntegerField())),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def inbox(*, user: User) -> QuerySet[Thread]:
    """The user's threads with their unread counts, the latest message first."""
    return with_unread(threads_of_parties(user=user), user=user).order_by(
        F("last_message_at").desc(nulls_last=True), "-pk"
    )


def unread_count(*, user: User | AnonymousUser) -> int:
    """All the user's unread messages (the header's count): one query."""
    if not user.is_authenticated:
        return 0
    return (
        _unread_messages(user, OuterRef("thread"))
        .filter(thread__in=Thread.objects.filter(_party_q(user)).values("pk"))
        .count()
    )


def thread_messages(*, thread: Thread) -> QuerySet[Message]:
    return thread.messages.select_related("author", "organization", "agreement").order_by("pk")


def messages_sent_since(*, user: User, seconds: int) -> int:
    return Message.objects.filter(author=user, created_at__gte=timezone.now() - timedelta(seconds=seconds)).count()


def enquiries_started_since(*, user: User, seconds: int) -> int:
    return Thread.objects.filter(
        kind=Thread.Kind.ENQUIRY, created_by=user, created_at__gte=timezone.now() - timedelta(seconds=seconds)
    ).count()
