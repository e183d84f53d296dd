"""How matches reach the two sides: the release rule applied by every run (in bulk, each organisation told once),
the backlog released only when staff ask, the review queue's default view, and the release rule's records."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from core.exceptions import PermissionDenied
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services
from matching.models import Match, MatchEvent, MatchingConfig, ReleaseRule
from matching.runs import match_postings, match_run_full
from matching.selectors import match_visible_to, released_matches
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def set_rule(rule: str, threshold: float = 0.6, floor: float = 0.3, by=None) -> MatchingConfig:  # type: ignore[no-untyped-def]
    config = MatchingConfig.get_solo()
    config.release_rule, config.release_threshold, config.queue_floor = rule, threshold, floor
    return services.matching_config_save(config=config, by=by, changed=["release_rule", "release_threshold"])


@pytest.fixture
def market():  # type: ignore[no-untyped-def]
    """A university with two achievements, two enterprises with a need each: one pair fits well, the others less."""
    university = OrganizationFactory(kind="university")
    battery, farm = OrganizationFactory(kind="enterprise"), OrganizationFactory(kind="enterprise")
    members = {org.pk: MembershipFactory(organization=org).user for org in (university, battery, farm)}
    postings = {
        "anode": achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极，钠离子电池。",
                             domains=("battery_materials",)),
        "rice": achievement(university, title="耐盐碱水稻新品种", summary="盐碱地水稻种植与育种。",
                            domains=("seed_industry",)),
        "want_anode": need(battery, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                           domains=("battery_materials",)),
        "want_rice": need(farm, title="盐碱地水稻品种", description="耐盐碱水稻种植。", domains=("seed_industry",)),
        "want_cathode": need(battery, title="磷酸铁锂正极材料回收", description="废旧锂电池正极材料回收再利用。",
                             domains=("battery_materials",)),
    }  # fmt: skip
    for posting in postings.values():
        publish(posting)
    return {"university": university, "battery": battery, "farm": farm, "members": members, **postings}


def scores() -> list[float]:
    return sorted(Match.objects.values_list("score", flat=True), reverse=True)


def test_the_default_rule_leaves_every_pair_to_staff(market):
    assert MatchingConfig.get_solo().release_rule == ReleaseRule.REVIEW
    run = match_run_full()
    assert Match.objects.count() >= 3
    assert set(Match.objects.values_list("status", flat=True)) == {Match.Status.SUGGESTED}
    assert "released" not in run.counts
    assert not MatchEvent.objects.filter(action="release").exists()
    assert not Notification.objects.exists()


def test_threshold_release_is_at_or_above_the_threshold(market, django_capture_on_commit_callbacks):
    match_run_full()  # to learn the scores, under the default rule
    lowest = min(scores())
    assert lowest < max(scores())
    for threshold, released_count in ((lowest, len(scores())), (lowest + 1e-6, len(scores()) - 1)):
        Match.objects.all().delete()
        set_rule(ReleaseRule.THRESHOLD, threshold=threshold)
        with django_capture_on_commit_callbacks(execute=True):
            run = match_run_full()
        released = set(Match.objects.filter(status=Match.Status.APPROVED).values_list("pk", flat=True))
        assert released == set(Match.objects.filter(score__gte=threshold).values_list("pk", flat=True))
        assert len(released) == released_count == run.counts["released"]
        assert set(Match.objects.exclude(pk__in=released).values_list("status", flat=True)) <= {"suggested"}
    assert Match.objects.get(score=lowest).status == Match.Status.SUGGESTED
    # Recorded as the rule's act: no reviewer, a system event whose note names the rule and threshold.
    match = Match.objects.filter(pk__in=released).first()
    assert match is not None
    assert match.reviewed_by is None and match.reviewed_at is not None
    event = match.events.get()
    assert (event.action, event.side, event.from_status, event.to_status, event.by) == (
        "release", "system", "suggested", "approved", None
    )  # fmt: skip
    assert f"{lowest + 1e-6:.2f}" in event.note and "rule" in event.note


def test_a_released_match_behaves_as_one_staff_approved(market):
    set_rule(ReleaseRule.ALL)
    match_run_full()
    match = Match.objects.get(achievement=market["anode"], need=market["want_anode"])
    assert match.status == Match.Status.APPROVED
    university, battery = market["members"][market["university"].pk], market["members"][market["battery"].pk]
    assert match in match_visible_to(user=university) and match in match_visible_to(user=battery)
    assert match in released_matches()
    services.match_accept(match=match, by=battery)
    match = services.match_accept(match=match, by=university)
    assert match.status == Match.Status.IN_CONTACT
    other = Match.objects.filter(status=Match.Status.APPROVED).exclude(pk=match.pk).first()
    declined = services.match_decline(match=other, by=university, reason="方向不符")
    assert declined.status == Match.Status.DECLINED


def test_release_all_releases_every_pair_and_tells_each_organisation_once(market, django_capture_on_commit_callbacks):
    set_rule(ReleaseRule.ALL)
    with django_capture_on_commit_callbacks(execute=True):
        run = match_run_full()
    total = Match.objects.count()
    assert total >= 3 and Match.objects.filter(status=Match.Status.APPROVED).count() == total
    assert run.counts["released"] == total
    assert MatchEvent.objects.filter(action="release").count() == total
    # One notification per organisation per run, with its count; one e-mail to each organisation's members.
    for key in ("university", "battery", "farm"):
        organization = market[key]
        mine = (
            Match.objects.filter(achievement__organization=organization).count()
            + Match.objects.filter(need__organization=organization).count()
        )
        notification = Notification.objects.get(organization=organization)
        assert f": {mine}" in notification.subject and notification.link == "/matches/"
    assert len(mail.outbox) == 3


def test_releasing_twice_releases_nothing_twice(market, django_capture_on_commit_callbacks):
    set_rule(ReleaseRule.ALL)
    with django_capture_on_commit_callbacks(execute=True):
        run = match_run_full()
    events, notifications, outbox = MatchEvent.objects.count(), Notification.objects.count(), len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matches_release(run=run) == 0
        match_run_full()  # the pairs again: they are approved now, not suggested
    assert (MatchEvent.objects.count(), Notification.objects.count(), len(mail.outbox)) == (
        events, notifications, outbox
    )  # fmt: skip


def test_changing_the_rule_does_not_release_the_backlog_until_staff_ask(market, staff_user):
    match_run_full()
    waiting = Match.objects.count()
    set_rule(ReleaseRule.ALL, by=staff_user)
    # A later run (a new posting published) releases what it suggests, not the pairs suggested before the change.
    newcomer = publish(need(market["battery"], title="硬碳负极材料中试", description="钠离子电池硬碳负极中试。",
                            domains=("battery_materials",)))  # fmt: skip
    match_postings(need_ids=[newcomer.pk])
    assert set(Match.objects.filter(need=newcomer).values_list("status", flat=True)) == {Match.Status.APPROVED}
    assert Match.objects.exclude(need=newcomer).filter(status=Match.Status.SUGGESTED).count() == waiting
    with pytest.raises(PermissionDenied):
        services.matches_release(by=market["members"][market["university"].pk])
    assert services.matches_release(by=staff_user) == waiting
    assert not Match.objects.filter(status=Match.Status.SUGGESTED).exists()
    assert set(MatchEvent.objects.filter(action="release", by=staff_user).values_list("side", flat=True)) == {"system"}


def test_a_need_published_again_has_its_restored_suggestions_released(market):
    match_run_full()
    wanted = market["want_anode"]
    services.matches_withdraw_for_needs(need_ids=[wanted.pk], note="deadline")
    set_rule(ReleaseRule.ALL)
    services.matches_restore_for_need(need=wanted)
    match_postings(need_ids=[wanted.pk])
    assert set(Match.objects.filter(need=wanted).values_list("status", flat=True)) == {Match.Status.APPROVED}
    # The other needs' suggestions came before the rule and wait for staff.
    assert set(Match.objects.exclude(need=wanted).values_list("status", flat=True)) == {Match.Status.SUGGESTED}


def test_the_settings_admin_starts_the_rule_from_its_change(client, staff_user):
    client.force_login(staff_user)
    config = MatchingConfig.get_solo()
    before = config.release_since
    url = reverse("admin:matching_matchingconfig_change", args=[config.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None}
    data.update(release_rule="threshold", release_threshold="0.7")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    config.refresh_from_db()
    assert (config.release_rule, config.release_threshold, config.updated_by) == ("threshold", 0.7, staff_user)
    assert config.release_since is not None and config.release_since != before


# --- the review queue -------------------------------------------------------------------------------------------
def changelist(client, **query):  # type: ignore[no-untyped-def]
    response = client.get(reverse("admin:matching_match_changelist"), query)
    assert response.status_code == 200
    return response.context["cl"]


def test_the_queue_opens_on_what_waits_best_first_above_the_floor(market, client, staff_user):
    match_run_full()
    ranked = list(Match.objects.order_by("-score", "pk"))
    floor = (ranked[1].score + ranked[2].score) / 2  # two pairs above the floor, the rest below
    set_rule(ReleaseRule.REVIEW, floor=floor)
    services.match_approve(match=ranked[0], by=staff_user)  # acted on: no longer waiting
    client.force_login(staff_user)
    cl = changelist(client)
    assert [m.pk for m in cl.result_list] == [ranked[1].pk]
    assert cl.result_count == 1
    below = changelist(client, floor="below")
    assert [m.pk for m in below.result_list] == [m.pk for m in ranked[2:]]
    assert below.result_count == len(ranked) - 2
    every = changelist(client, floor="all")
    assert [m.pk for m in every.result_list] == [m.pk for m in ranked[1:]]
    everything = changelist(client, floor="all", status__exact="all")
    assert everything.result_count == len(ranked)
    approved = changelist(client, status__exact="approved")
    assert [m.pk for m in approved.result_list] == [ranked[0].pk]
    page = client.get(reverse("admin:matching_match_changelist")).content.decode()
    assert f"{floor:.2f}" in page


def test_the_queues_release_button_goes_through_the_rule(market, client, staff_user):
    match_run_full()
    client.force_login(staff_user)
    url = reverse("admin:matching_match_release")
    page = client.get(reverse("admin:matching_match_changelist")).content.decode()
    assert url not in page  # staff review every pair: nothing to release
    set_rule(ReleaseRule.THRESHOLD, threshold=0.0)
    assert url in client.get(reverse("admin:matching_match_changelist")).content.decode()
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert not Match.objects.filter(status=Match.Status.SUGGESTED).exists()
    assert "released" in response.content.decode()
    outsider = MembershipFactory().user
    client.force_login(outsider)
    assert client.post(url).status_code == 302  # to the admin login: not staff


# --- approving never runs matching in the request ---------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_approving_a_need_in_admin_leaves_its_matching_to_the_background(client, staff_user, settings):
    """Eager tasks without a broker run in the background thread (``CELERY_EAGER_IN_BACKGROUND``, on in ``make
    run``): the request that publishes returns before the matching ran; the matches appear once the thread is done.
    The thread is held on a gate first, so that what the response sees does not depend on timing."""
    import threading

    from core.tasks import background_join, run_in_background
    from matching.models import PendingMatch

    university, enterprise = OrganizationFactory(kind="university"), OrganizationFactory(kind="enterprise")
    publish(
        achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极。", domains=("battery_materials",))
    )
    wanted = need(enterprise, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                  domains=("battery_materials",))  # fmt: skip
    posting_services.posting_transition(posting=wanted, to=PostingStatus.SUBMITTED, by=None)
    settings.MATCHING_ON_PUBLISH = True
    settings.CELERY_EAGER_IN_BACKGROUND = True
    gate = threading.Event()
    run_in_background(lambda: gate.wait(timeout=60))
    try:
        client.force_login(staff_user)
        response = client.post(
            reverse("admin:marketplace_need_changelist"),
            {"action": "approve_selected", "_selected_action": [wanted.pk]},
        )
        assert response.status_code == 302
        wanted.refresh_from_db()
        assert wanted.status == PostingStatus.PUBLISHED
        assert not Match.objects.exists()  # the request did not match it
        assert PendingMatch.objects.filter(posting_id=wanted.pk).exists()  # the promise to, committed with it
    finally:
        gate.set()
    background_join(timeout=120)
    assert Match.objects.filter(need=wanted).exists()
    assert not PendingMatch.objects.filter(posting_id=wanted.pk).exists()


def test_the_test_settings_run_eager_tasks_where_they_are_queued(settings):
    assert settings.CELERY_EAGER_IN_BACKGROUND is False
