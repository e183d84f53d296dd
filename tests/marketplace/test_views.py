import pytest
from django.urls import reverse

from marketplace import services
from marketplace.models import Achievement, Need, Status
from tests.factories import MembershipFactory, achievement, need

pytestmark = pytest.mark.django_db

SECRET = "zhang@secret.example.cn"


@pytest.fixture
def world(staff_user):
    owner = MembershipFactory().user
    organization = owner.organizations.get()
    draft = achievement(organization, by=owner, title="草稿成果")
    published = achievement(organization, by=owner, title="已发布成果", domains=("photovoltaic",))
    services.posting_transition(posting=published, to=Status.PUBLISHED, by=staff_user)
    a_need = need(organization, by=owner, title="已发布需求")
    services.posting_transition(posting=a_need, to=Status.PUBLISHED, by=staff_user)
    outsider = MembershipFactory().user
    return {"owner": owner, "outsider": outsider, "staff": staff_user, "draft": draft, "published": published,
            "need": a_need}  # fmt: skip


def as_user(client, world, who):
    if who != "anonymous":
        client.force_login(world[who])
    return client


def detail(posting, kind="achievements"):
    return reverse("marketplace:detail", kwargs={"kind": kind, "pk": posting.pk})


@pytest.mark.parametrize(
    ("who", "draft_status", "contact_shown"),
    [("anonymous", 404, False), ("outsider", 404, False), ("owner", 200, True), ("staff", 200, True)],
)
def test_detail_pages_scope_drafts_and_contacts(client, world, who, draft_status, contact_shown):
    client = as_user(client, world, who)
    assert client.get(detail(world["draft"])).status_code == draft_status
    page = client.get(detail(world["published"]))
    assert page.status_code == 200
    assert "已发布成果" in page.content.decode()
    assert (SECRET in page.content.decode()) is contact_shown
    need_page = client.get(detail(world["need"], "needs")).content.decode()
    assert ("li@secret.example.cn" in need_page) is contact_shown


@pytest.mark.parametrize("who", ["anonymous", "outsider", "owner", "staff"])
def test_lists_show_published_postings_and_never_contacts(client, world, who):
    page = as_user(client, world, who).get(reverse("marketplace:list", kwargs={"kind": "achievements"}))
    text = page.content.decode()
    assert "已发布成果" in text
    assert "草稿成果" not in text
    assert SECRET not in text


def test_list_filters_by_parent_domain_and_query(client, world):
    url = reverse("marketplace:list", kwargs={"kind": "achievements"})
    assert "已发布成果" in client.get(url, {"domain": "new_energy"}).content.decode()
    assert "已发布成果" not in client.get(url, {"domain": "biomedicine"}).content.decode()
    assert "已发布成果" in client.get(url, {"q": "缺陷检测"}).content.decode()
    assert "已发布成果" not in client.get(url, {"q": "量子"}).content.decode()


def test_drafts_cannot_be_reached_through_the_status_filter(client, world):
    url = reverse("marketplace:list", kwargs={"kind": "achievements"})
    assert "草稿成果" not in as_user(client, world, "outsider").get(url, {"status": "draft"}).content.decode()
    client.force_login(world["owner"])
    assert "草稿成果" in client.get(url, {"status": "draft"}).content.decode()


def test_list_paginates(client, world):
    organization = world["owner"].organizations.get()
    for index in range(25):
        posting = achievement(organization, title=f"批量成果{index}")
        services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)
    url = reverse("marketplace:list", kwargs={"kind": "achievements"})
    first, second = client.get(url), client.get(url, {"page": 2})
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 6


FORM = {
    "title": "低温等离子体废气处理装置",
    "summary": "处理VOCs废气，去除率95%。",
    "domains": ["pollution_control"],
    "keywords": "VOCs, 等离子体",
    "modes": ["license"],
    "location": "江苏南京",
    "language": "zh",
    "trl": "6",
    "ip_status": "granted_patent",
    "patent_numbers": "ZL202010000000.1",
    "price_min_wan": "30",
    "price_max_wan": "80",
    "contact_name": "王工",
    "contact_email": "wang@example.cn",
}


def test_a_member_creates_edits_submits_and_closes(client, world):
    client.force_login(world["owner"])
    response = client.post(reverse("marketplace:create", kwargs={"kind": "achievements"}), FORM)
    posting = Achievement.objects.get(title=FORM["title"])
    assert response.url == detail(posting)
    assert (posting.status, posting.city_id, posting.keywords) == (Status.DRAFT, "320100", ["VOCs", "等离子体"])
    edit = reverse("marketplace:edit", kwargs={"kind": "achievements", "pk": posting.pk})
    assert client.get(edit).status_code == 200
    client.post(edit, {**FORM, "title": "低温等离子体VOCs处理装置"})
    posting.refresh_from_db()
    assert posting.title == "低温等离子体VOCs处理装置"
    action = reverse("marketplace:action", kwargs={"kind": "achievements", "pk": posting.pk, "action": "submit"})
    client.post(action)
    posting.refresh_from_db()
    assert posting.status == Status.SUBMITTED
    client.post(action.replace("submit", "close"), {"reason": "已转让"})
    posting.refresh_from_db()
    assert posting.status == Status.CLOSED


def test_form_errors_name_the_field_and_save_nothing(client, world):
    client.force_login(world["owner"])
    url = reverse("marketplace:create", kwargs={"kind": "achievements"})
    response = client.post(url, {**FORM, "location": "Narnia"})
    assert "Narnia" in " ".join(response.context["form"].errors["location"])
    response = client.post(url, {**FORM, "price_min_wan": "90", "price_max_wan": "10"})
    assert "price_max_wan" in response.context["form"].errors
    assert not Achievement.objects.filter(title=FORM["title"]).exists()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("outsider", 404), ("staff", 200)])
def test_others_cannot_edit_or_act(client, world, who, status):
    client = as_user(client, world, who)
    edit = reverse("marketplace:edit", kwargs={"kind": "achievements", "pk": world["published"].pk})
    assert client.get(edit).status_code == status
    close = reverse(
        "marketplace:action", kwargs={"kind": "achievements", "pk": world["published"].pk, "action": "close"}
    )
    client.post(close)
    world["published"].refresh_from_db()
    assert (world["published"].status == Status.CLOSED) is (who == "staff")


def test_my_organization_lists_postings_by_status_and_export_includes_own_contacts(client, world):
    client.force_login(world["owner"])
    page = client.get(reverse("marketplace:my-organization")).content.decode()
    assert "草稿成果" in page
    assert "已发布成果" in page
    export = client.get(reverse("marketplace:export", kwargs={"kind": "achievements", "fmt": "csv"}))
    assert SECRET in export.content.decode("utf-8-sig")
    client.force_login(world["outsider"])
    assert "草稿成果" not in client.get(reverse("marketplace:my-organization")).content.decode()
    other_export = client.get(reverse("marketplace:export", kwargs={"kind": "achievements", "fmt": "csv"}))
    assert SECRET not in other_export.content.decode("utf-8-sig")


def test_upload_form_imports_as_drafts_of_the_members_organization(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["outsider"])
    template = client.get(reverse("marketplace:import-template", kwargs={"kind": "needs", "fmt": "csv"}))
    header = template.content.decode("utf-8-sig").splitlines()[0]
    row = "N9,需要一种耐高温涂层,用于燃气轮机叶片,,,5,200,,national,上海,,,2027-01-01,zh,,,"
    upload = ("\n".join([header, row]) + "\n").encode("utf-8")
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):  # the job's task, queued on commit, runs here (eager)
        response = client.post(
            reverse("marketplace:import"), {"kind": "needs", "file": SimpleUploadedFile("needs.csv", upload)}
        )
    assert response.status_code == 302
    job_page = client.get(response["Location"])
    assert job_page.context["job"].state == "done" and job_page.context["job"].created == 1
    imported = Need.objects.get(external_ref="N9")
    assert imported.organization == world["outsider"].organizations.get()
    assert imported.status == Status.DRAFT
    bad = ("\n".join([header, row.replace(",5,", ",12,")]) + "\n").encode("utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("marketplace:import"), {"kind": "needs", "file": SimpleUploadedFile("n.csv", bad)}
        )
    job = client.get(response["Location"]).context["job"]
    assert job.state == "refused"
    assert [(row, field) for row, field, _reason in job.errors] == [(2, "min_trl")]


def test_home_page_shows_search_and_newest_published(client, world):
    page = client.get(reverse("home")).content.decode()
    assert "已发布成果" in page
    assert "已发布需求" in page
    assert "草稿成果" not in page
    assert 'name="q"' in page


def test_unknown_kind_is_404(client):
    assert client.get("/patents/").status_code == 404
    assert client.get("/patents/1/").status_code == 404


def test_moderation_queue_filters_by_domain_with_subdomains_and_cluster(client, world):
    client.force_login(world["staff"])
    url = reverse("admin:marketplace_achievement_changelist")
    assert "已发布成果" in client.get(url, {"domain": "new_energy"}).content.decode()  # filed under photovoltaic
    assert "已发布成果" not in client.get(url, {"domain": "biomedicine"}).content.decode()
    assert "已发布成果" in client.get(url, {"cluster": "yrd"}).content.decode()  # Hefei, Anhui
    assert "已发布成果" not in client.get(url, {"cluster": "jjj"}).content.decode()


def test_a_two_megabyte_field_in_the_form_is_refused_at_once(client, world):
    import time

    client.force_login(world["owner"])
    started = time.perf_counter()
    response = client.post(reverse("marketplace:create", kwargs={"kind": "achievements"}),
                           {**FORM, "summary": "x" * 2_000_000})  # fmt: skip
    assert time.perf_counter() - started < 5
    assert response.status_code == 200  # the form again, with the error under the field
    assert response.context["form"].errors["summary"]
    assert not Achievement.objects.filter(title=FORM["title"]).exists()


@pytest.mark.parametrize("method", ["export", "submit"])
def test_a_user_without_an_organisation_is_told_so_not_given_a_server_error(client, method):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    if method == "export":
        response = client.get(reverse("marketplace:export", kwargs={"kind": "achievements", "fmt": "csv"}))
    else:
        response = client.post(reverse("marketplace:submit-drafts", kwargs={"kind": "achievements"}))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    page = client.get(response["Location"])
    assert any("organisation" in str(m) for m in page.context["messages"])
