"""Need deadlines: what "expired" means, who still sees an expired need, the daily task that closes it, and the
owner extending it (service, page, API). Matches of expired needs are in tests/matching/test_deadlines.py."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import Notification
from core.exceptions import ApplicationError, PermissionDenied
from marketplace import services
from marketplace.models import Need, PostingTransition, Status
from marketplace.selectors import needs_expired, posting_live, posting_search, posting_visible_to
from marketplace.signals import need_expired
from marketplace.tasks import need_expire_overdue_task
from tests.factories import MembershipFactory, OrganizationFactory, need

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def published_need(organization, **fields) -> Need:
    return services.posting_transition(posting=need(organization, **fields), to=Status.PUBLISHED, by=None)


@pytest.fixture
def world(staff_user):
    owner = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    enterprise = owner.organizations.get()
    return {
        "owner": owner,
        "outsider": MembershipFactory().user,
        "staff": staff_user,
        "expired": published_need(enterprise, title="过期的固态电池电解质需求", deadline=today() - DAY),
        "open": published_need(enterprise, title="仍在征集的固态电池隔膜需求", deadline=today()),
        "undated": published_need(enterprise, title="长期征集的固态电池检测需求"),
    }


def login(client, world, who):
    if who != "anonymous":
        client.force_login(world[who])
    return client


def detail_url(posting) -> str:
    return reverse("marketplace:detail", kwargs={"kind": "needs", "pk": posting.pk})


def close_by_deadline(posting) -> Need:
    (closed,) = services.need_expire_overdue()
    assert closed.pk == posting.pk
    return closed


# --- What "expired" means ----------------------------------------------------------------------------------------


def test_expired_means_published_with_a_deadline_before_today(world):
    draft = need(world["owner"].organizations.get(), title="过期草稿", deadline=today() - DAY)
    assert set(needs_expired()) == {world["expired"]}
    assert world["expired"].is_expired
    assert not world["open"].is_expired  # the deadline day itself is still open
    assert not world["undated"].is_expired
    assert not draft.is_expired  # a draft is not on the market: it does not expire
    assert set(posting_live(Need.objects.all())) == {world["open"], world["undated"]}


def test_today_is_the_local_date_of_asia_shanghai(world):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    # 17:00 UTC on the 31st is 01:00 on the 1st in Shanghai: a deadline of the 31st has passed there.
    instant = datetime.datetime(2027, 3, 31, 17, 0, tzinfo=datetime.UTC)
    Need.objects.filter(pk=world["open"].pk).update(deadline=datetime.date(2027, 3, 31))
    with mock.patch("django.utils.timezone.now", return_value=instant):
        assert world["open"].pk in set(needs_expired().values_list("pk", flat=True))
    with mock.patch("django.utils.timezone.now", return_value=instant - datetime.timedelta(hours=2)):
        assert world["open"].pk not in set(needs_expired().values_list("pk", flat=True))


# --- Treated as closed on read, before the daily task has run -----------------------------------------------------


@pytest.mark.parametrize(("who", "sees_it"), [("anonymous", False), ("outsider", False), ("owner", True),
                                               ("staff", True)])  # fmt: skip
def test_only_the_owner_and_staff_still_see_an_expired_need(world, who, sees_it):
    user = world[who] if who != "anonymous" else AnonymousUser()
    visible = posting_visible_to(model=Need, user=user)
    assert visible.filter(pk=world["expired"].pk).exists() is sees_it
    assert visible.filter(pk=world["open"].pk).exists()
    assert visible.filter(pk=world["undated"].pk).exists()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 404), ("outsider", 404), ("owner", 200), ("staff", 200)])
def test_the_detail_page_of_an_expired_need_is_a_404_for_the_public(client, world, who, status):
    page = login(client, world, who).get(detail_url(world["expired"]))
    assert page.status_code == status
    assert login(client, world, who).get(detail_url(world["open"])).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "outsider", "owner", "staff"])
def test_lists_search_and_the_home_page_leave_expired_needs_out_for_everyone(client, world, who):
    client = login(client, world, who)
    listing = client.get(reverse("marketplace:list", kwargs={"kind": "needs"})).content.decode()
    searched = client.get(reverse("marketplace:list", kwargs={"kind": "needs"}), {"q": "固态电池"}).content.decode()
    searched = searched.replace("<mark>", "").replace("</mark>", "")  # the matched words are marked
    home = client.get(reverse("home")).content.decode()
    for text in (listing, searched, home):
        assert "过期的固态电池电解质需求" not in text
        assert "仍在征集的固态电池隔膜需求" in text
    assert set(posting_search(posting_live(Need.objects.all()), "固态电池")) == {world["open"], world["undated"]}


@pytest.mark.parametrize(("who", "listed", "read"), [("anonymous", False, 404), ("outsider", False, 404),
                                                      ("owner", True, 200), ("staff", True, 200)])  # fmt: skip
def test_the_api_lists_an_expired_need_only_to_its_owner_and_staff_flagged_expired(world, who, listed, read):
    client = APIClient()
    if who != "anonymous":
        client.force_authenticate(world[who])
    rows = {row["id"]: row for row in client.get(reverse("api:need-list")).json()["results"]}
    assert (world["expired"].pk in rows) is listed
    assert world["open"].pk in rows and rows[world["open"].pk]["expired"] is False
    if listed:
        assert rows[world["expired"].pk]["expired"] is True
    assert client.get(reverse("api:need-detail", args=[world["expired"].pk])).status_code == read


# --- The daily task -----------------------------------------------------------------------------------------------


def test_the_daily_task_closes_overdue_needs_recording_the_system_and_the_reason(world):
    closed = services.need_expire_overdue()
    assert [n.pk for n in closed] == [world["expired"].pk]
    expired = Need.objects.get(pk=world["expired"].pk)
    assert (expired.status, expired.closed_at is not None) == (Status.CLOSED, True)
    last = expired.transitions.last()
    assert (last.from_status, last.to_status, last.by, last.reason) == (
        "published", "closed", None, "system: deadline passed"
    )
    assert expired.closed_at_deadline and expired.deadline_lapsed
    assert Need.objects.get(pk=world["open"].pk).status == Status.PUBLISHED
    assert Need.objects.get(pk=world["undated"].pk).status == Status.PUBLISHED
    (notice,) = Notification.objects.filter(organization=expired.organization)
    assert "过期的固态电池电解质需求" in notice.subject
    assert notice.link == detail_url(expired)


def test_the_daily_task_is_idempotent_and_signals_only_what_it_closed(world):
    received = []

    def receiver(sender, *, needs, **kwargs):
        received.append([n.pk for n in needs])

    need_expired.connect(receiver, weak=False, dispatch_uid="test-deadlines")
    try:
        assert need_expire_overdue_task.delay().get() == [world["expired"].pk]
        assert need_expire_overdue_task.delay().get() == []
    finally:
        need_expired.disconnect(dispatch_uid="test-deadlines")
    assert received == [[world["expired"].pk]]
    assert PostingTransition.objects.filter(need=world["expired"], to_status=Status.CLOSED).count() == 1
    assert Notification.objects.count() == 1


def test_a_failing_listener_rolls_the_closing_back(world):
    def failing(sender, **kwargs):
        raise RuntimeError("withdrawal failed")

    need_expired.connect(failing, weak=False, dispatch_uid="test-failing")
    try:
        with pytest.raises(RuntimeError):
            services.need_expire_overdue()
    finally:
        need_expired.disconnect(dispatch_uid="test-failing")
    assert Need.objects.get(pk=world["expired"].pk).status == Status.PUBLISHED
    assert not Notification.objects.exists()


def test_the_beat_schedule_runs_the_task_daily_after_midnight_before_the_rebuild():
    entry = settings.CELERY_BEAT_SCHEDULE["daily-need-deadlines"]
    assert entry["task"] == "marketplace.tasks.need_expire_overdue_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {5})
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


# --- Extending ----------------------------------------------------------------------------------------------------


def test_extending_a_published_need_moves_its_date_only(world):
    later = today() + 30 * DAY
    extended = services.need_extend_deadline(need=world["expired"], new_deadline=later, by=world["owner"])
    assert (extended.status, extended.deadline, extended.is_expired) == (Status.PUBLISHED, later, False)
    assert not extended.transitions.filter(reason="deadline extended").exists()
    assert posting_live(Need.objects.filter(pk=extended.pk)).exists()


def test_extending_a_need_closed_by_its_deadline_publishes_it_again(world, django_capture_on_commit_callbacks):
    closed = close_by_deadline(world["expired"])
    # The fixture's publications would have committed long before: their batch is not this transaction's.
    transaction.get_connection().run_on_commit.clear()
    published = []
    with mock.patch("marketplace.services._on_publish", {"test": published.append}), \
            django_capture_on_commit_callbacks(execute=True):  # fmt: skip
        reopened = services.need_extend_deadline(need=closed, new_deadline=today() + DAY, by=world["owner"])
    assert (reopened.status, reopened.deadline) == (Status.PUBLISHED, today() + DAY)
    assert [p.pk for p in published] == [closed.pk]  # matched again, like any publication
    last = reopened.transitions.last()
    assert (last.from_status, last.to_status, last.by, last.reason) == ("closed", "published", world["owner"],
                                                                        "deadline extended")  # fmt: skip
    assert not reopened.deadline_lapsed


@pytest.mark.parametrize("days", [0, -1])
def test_the_new_deadline_must_be_after_today(world, days):
    with pytest.raises(ApplicationError) as error:
        services.need_extend_deadline(need=world["expired"], new_deadline=today() + days * DAY, by=world["owner"])
    assert error.value.field == "deadline"
    assert Need.objects.get(pk=world["expired"].pk).deadline == today() - DAY


def test_only_members_and_staff_extend(world):
    with pytest.raises(PermissionDenied):
        services.need_extend_deadline(need=world["expired"], new_deadline=today() + DAY, by=world["outsider"])
    extended = services.need_extend_deadline(need=world["expired"], new_deadline=today() + DAY, by=world["staff"])
    assert extended.deadline == today() + DAY


def test_a_need_its_owner_closed_or_a_draft_is_not_extended(world):
    closed = services.posting_close(posting=world["open"], by=world["owner"])
    draft = need(world["owner"].organizations.get(), by=world["owner"])
    for posting in (closed, draft):
        with pytest.raises(ApplicationError) as error:
            services.need_extend_deadline(need=posting, new_deadline=today() + DAY, by=world["owner"])
        assert error.value.field == "status"
    assert Need.objects.get(pk=closed.pk).status == Status.CLOSED


def test_the_error_is_in_the_users_language(world):
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as error:
        services.need_extend_deadline(need=world["expired"], new_deadline=today(), by=world["owner"])
    assert "截止日期" in error.value.message


# --- Pages --------------------------------------------------------------------------------------------------------


def test_the_owner_sees_expired_with_the_deadline_on_the_detail_page_and_extends_it(client, world):
    closed = close_by_deadline(world["expired"])
    client.force_login(world["owner"])
    page = client.get(detail_url(closed)).content.decode()
    assert "expired" in page and (today() - DAY).isoformat() in page
    assert reverse("marketplace:need-extend", kwargs={"pk": closed.pk}) in page
    assert "system: deadline passed" in page  # the history says why it closed

    refused = client.post(reverse("marketplace:need-extend", kwargs={"pk": closed.pk}), {"deadline": today()})
    assert refused.status_code == 400
    assert "after today" in refused.content.decode()
    assert Need.objects.get(pk=closed.pk).status == Status.CLOSED

    later = today() + 60 * DAY
    response = client.post(reverse("marketplace:need-extend", kwargs={"pk": closed.pk}), {"deadline": later})
    assert response.status_code == 302
    reopened = Need.objects.get(pk=closed.pk)
    assert (reopened.status, reopened.deadline) == (Status.PUBLISHED, later)
    assert "expired" not in client.get(detail_url(reopened)).content.decode()


def test_outsiders_cannot_extend_from_the_page(client, world):
    client.force_login(world["outsider"])
    url = reverse("marketplace:need-extend", kwargs={"pk": world["open"].pk})
    assert client.post(url, {"deadline": today() + DAY}).status_code == 404
    assert "extend-deadline" not in client.get(detail_url(world["open"])).content.decode()
    assert Need.objects.get(pk=world["open"].pk).deadline == today()


def test_my_organisation_and_the_edit_form_show_expired_with_the_deadline(client, world):
    close_by_deadline(world["expired"])
    client.force_login(world["owner"])
    mine = client.get(reverse("marketplace:my-organization")).content.decode()
    row = next(line for line in mine.splitlines() if "过期的固态电池电解质需求" in line)
    assert "expired" in row and f"Deadline {(today() - DAY).isoformat()}" in row
    other = next(line for line in mine.splitlines() if "仍在征集的固态电池隔膜需求" in line)
    assert "expired" not in other and f"Deadline {today().isoformat()}" in other
    edit = client.get(reverse("marketplace:edit", kwargs={"kind": "needs", "pk": world["expired"].pk}))
    assert "Expired: the deadline" in edit.content.decode()
    assert "Expired" not in client.get(reverse("marketplace:edit", kwargs={"kind": "needs",
                                                                          "pk": world["open"].pk})).content.decode()


def test_cards_show_the_deadline_and_expired_in_chinese(client, world):
    client.force_login(world["owner"])
    url = reverse("marketplace:list", kwargs={"kind": "needs"})
    with translation.override("zh-hans"):
        page = client.get(url, {"status": "published"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    card = page[page.index("过期的固态电池电解质需求"):]
    card = card[: card.index("</article>")]
    assert "已过期" in card and f"截止 {(today() - DAY).isoformat()}" in card
    public = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    card = public[public.index("仍在征集的固态电池隔膜需求"):]
    assert f"Deadline {today().isoformat()}" in card[: card.index("</article>")]


# --- API ----------------------------------------------------------------------------------------------------------


def extend_url(posting) -> str:
    return reverse("api:need-extend", args=[posting.pk])


def test_the_api_extends_a_need_closed_by_its_deadline(world):
    closed = close_by_deadline(world["expired"])
    client = APIClient()
    client.force_authenticate(world["owner"])
    later = today() + 90 * DAY
    response = client.post(extend_url(closed), {"deadline": later.isoformat()}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["deadline"], response.json()["expired"]) == (
        "published", later.isoformat(), False
    )
    assert Need.objects.get(pk=closed.pk).status == Status.PUBLISHED


@pytest.mark.parametrize("body", [{"deadline": "past"}, {"deadline": "today"}, {"deadline": "31/12/2099"}, {}])
def test_the_api_refuses_a_bad_date_naming_the_field(world, body):
    client = APIClient()
    client.force_authenticate(world["owner"])
    named = {"past": (today() - DAY).isoformat(), "today": today().isoformat()}
    body = {key: named.get(value, value) for key, value in body.items()}
    response = client.post(extend_url(world["expired"]), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["deadline"]
    assert Need.objects.get(pk=world["expired"].pk).deadline == today() - DAY


def test_the_api_extend_is_for_members_and_staff(world):
    client = APIClient()
    assert client.post(extend_url(world["open"]), {"deadline": "2099-01-01"}, format="json").status_code in (401, 403)
    client.force_authenticate(world["outsider"])
    assert client.post(extend_url(world["open"]), {"deadline": "2099-01-01"}, format="json").status_code == 403
    assert client.post(extend_url(world["expired"]), {"deadline": "2099-01-01"}, format="json").status_code == 404
    client.force_authenticate(world["staff"])
    assert client.post(extend_url(world["expired"]), {"deadline": "2099-01-01"}, format="json").status_code == 200


# --- Demo ---------------------------------------------------------------------------------------------------------


def test_the_demo_moves_past_deadlines_ahead_by_whole_years():
    from demo.management.commands.load_demo import _upcoming

    moved = _upcoming((today() - DAY).isoformat())
    assert moved > today() and (moved.month, moved.day) == ((today() - DAY).month, (today() - DAY).day)
    assert _upcoming("2099-06-30") == datetime.date(2099, 6, 30)
    assert _upcoming(None) is None
