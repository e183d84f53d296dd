"""Collections: curated by an organiser's members through the services; a public page, a printable catalogue and an
XLSX export that show only postings on the market and never a contact; the same rules in the pages and the API."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from catalogues import services
from catalogues.models import Collection
from core.exceptions import ApplicationError, PermissionDenied
from marketplace import services as posting_services
from marketplace.models import Status
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db

SECRET = "zhang@secret.example.cn"  # the factories' contact


@pytest.fixture
def curator(organiser_member):
    return organiser_member


@pytest.fixture
def university(db):
    return OrganizationFactory(kind="university", name="合肥工业大学", province_id="340000", city_id="340100")


@pytest.fixture
def published(university, staff_user):
    def make(title: str, **fields):
        posting = achievement(university, title=title, **fields)
        return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=staff_user, reason="t")

    return make


@pytest.fixture
def three(published):
    return [published(title) for title in ("钠离子电池硬碳负极", "工业视觉缺陷检测", "钙钛矿光伏组件")]


@pytest.fixture
def collection(curator, three):
    made = services.collection_create(
        organizer=curator.organizations.get(), by=curator, title="长三角先进技术成果", kind="achievements",
        description="年度对接大会遴选成果",
    )  # fmt: skip
    services.collection_add(collection=made, by=curator, posting_ids=[p.pk for p in three])
    return services.collection_set_published(collection=made, by=curator, published=True)


def titles_in_order(text: str, postings) -> list[str]:
    found = [(text.index(p.title), p.title) for p in postings if p.title in text]
    return [title for _, title in sorted(found)]


# --- The services' rules ----------------------------------------------------------------------------------------


def test_only_an_organisers_members_create_collections(curator, university):
    member = MembershipFactory(organization=university).user
    with pytest.raises(PermissionDenied):
        services.collection_create(organizer=university, by=member, title="x", kind="achievements")
    with pytest.raises(PermissionDenied):
        services.collection_create(organizer=curator.organizations.get(), by=member, title="x", kind="achievements")
    with pytest.raises(ApplicationError) as error:
        services.collection_create(organizer=curator.organizations.get(), by=curator, title=" ", kind="achievements")
    assert error.value.field == "title"
    assert not Collection.objects.exists()


def test_adding_is_all_or_none_and_names_the_posting_at_fault(curator, collection, university, three, published):
    fourth = published("固态电池电解质")
    draft = achievement(university, title="未发布的成果")
    a_need = need(university)
    for wrong, number in ((draft.pk, draft.pk), (a_need.pk + 10_000, a_need.pk + 10_000), (three[0].pk, three[0].pk)):
        with pytest.raises(ApplicationError) as error:
            services.collection_add(collection=collection, by=curator, posting_ids=[fourth.pk, wrong])
        assert error.value.field == "postings" and str(number) in error.value.message
        assert collection.items.count() == 3  # nothing of the batch was added
    services.collection_add(collection=collection, by=curator, posting_ids=[fourth.pk])
    assert [item.posting.title for item in collection.items.order_by("position")][-1] == "固态电池电解质"


def test_a_collection_holds_one_kind(curator, university, staff_user):
    needs = services.collection_create(
        organizer=curator.organizations.get(), by=curator, title="企业技术需求", kind="needs"
    )
    posting = posting_services.posting_transition(posting=need(university), to=Status.PUBLISHED, by=staff_user,
                                                  reason="t")  # fmt: skip
    mine = achievement(university)
    while mine.pk == posting.pk:  # numbers are per kind: an achievement's that no published need has
        mine = achievement(university)
    with pytest.raises(ApplicationError) as error:
        services.collection_add(collection=needs, by=curator, posting_ids=[mine.pk])
    assert "need" in error.value.message
    services.collection_add(collection=needs, by=curator, posting_ids=[posting.pk])
    assert needs.items.get().need == posting


def test_ordering_moves_and_removing_keep_positions_one_to_n(curator, collection, three):
    items = list(collection.items.order_by("position"))
    services.collection_move(collection=collection, by=curator, item_id=items[2].pk, offset=-1)
    assert [i.posting.pk for i in collection.items.order_by("position")] == [three[0].pk, three[2].pk, three[1].pk]
    services.collection_reorder(collection=collection, by=curator, item_ids=[items[1].pk, items[0].pk, items[2].pk])
    assert [i.posting.pk for i in collection.items.order_by("position")] == [three[1].pk, three[0].pk, three[2].pk]
    with pytest.raises(ApplicationError) as error:
        services.collection_reorder(collection=collection, by=curator, item_ids=[items[0].pk, items[0].pk, items[1].pk])
    assert error.value.field == "order"
    services.collection_remove(collection=collection, by=curator, item_id=items[1].pk)
    assert list(collection.items.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_publishing_needs_a_posting_and_a_curator(curator, university):
    empty = services.collection_create(organizer=curator.organizations.get(), by=curator, title="空", kind="needs")
    with pytest.raises(ApplicationError) as error:
        services.collection_set_published(collection=empty, by=curator, published=True)
    assert error.value.field == "items"
    outsider = MembershipFactory(organization=university).user
    with pytest.raises(PermissionDenied):
        services.collection_set_published(collection=empty, by=outsider, published=False)


# --- Pages --------------------------------------------------------------------------------------------------------


def test_the_public_page_lists_the_postings_in_order_without_contacts(client, collection, three, curator):
    items = list(collection.items.order_by("position"))
    services.collection_move(collection=collection, by=curator, item_id=items[0].pk, offset=1)
    text = client.get(reverse("catalogues:detail", kwargs={"pk": collection.pk})).content.decode()
    assert titles_in_order(text, three) == [three[1].title, three[0].title, three[2].title]
    assert SECRET not in text and "13800000000" not in text
    assert "合肥" in text or "安徽" in text  # the province summary
    listing = client.get(reverse("catalogues:list")).content.decode()
    assert collection.title in listing


def test_a_posting_off_the_market_leaves_the_public_page_but_not_the_curators(client, collection, three, curator):
    posting_services.posting_transition(posting=three[0], to=Status.CLOSED, by=None, reason="已转让")
    url = reverse("catalogues:detail", kwargs={"pk": collection.pk})
    assert three[0].title not in client.get(url).content.decode()
    client.force_login(curator)
    assert three[0].title in client.get(url).content.decode()


def test_a_draft_collection_is_its_curators_alone(client, curator, collection, university):
    services.collection_set_published(collection=collection, by=curator, published=False)
    url = reverse("catalogues:detail", kwargs={"pk": collection.pk})
    assert client.get(url).status_code == 404
    assert client.get(reverse("catalogues:export", kwargs={"pk": collection.pk})).status_code == 404
    client.force_login(MembershipFactory(organization=university).user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("catalogues:edit", kwargs={"pk": collection.pk})).status_code == 404
    client.force_login(curator)
    assert client.get(url).status_code == 200


def test_the_xlsx_has_one_row_per_posting_in_order_and_no_contact(client, collection, three):
    response = client.get(reverse("catalogues:export", kwargs={"pk": collection.pk}))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == [p.title for p in three]
    assert [row[0] for row in rows[1:]] == [1, 2, 3]
    assert not any(SECRET in str(cell) for row in rows for cell in row)


def test_the_printable_catalogue_has_every_posting_with_its_text(client, collection, three):
    text = client.get(reverse("catalogues:catalogue", kwargs={"pk": collection.pk})).content.decode()
    assert titles_in_order(text, three) == [p.title for p in three]
    assert three[0].summary[:20] in text and SECRET not in text
    assert "data-print" in text


def test_curators_fill_and_order_through_the_pages(client, curator, three, published):
    client.force_login(curator)
    response = client.post(reverse("catalogues:create"), {
        "organizer": curator.organizations.get().pk, "kind": "achievements", "title": "路演成果集", "description": "",
    })  # fmt: skip
    collection = Collection.objects.get(title="路演成果集")
    assert response.status_code == 302
    edit = reverse("catalogues:edit", kwargs={"pk": collection.pk})
    bad = client.post(edit, {"form": "add", "postings": f"{three[0].pk}, 99999"})
    assert bad.status_code == 400 and "99999" in bad.content.decode()
    assert not collection.items.exists()
    assert client.post(edit, {"form": "add", "postings": f"{three[0].pk} {three[1].pk}"}).status_code == 302
    first = collection.items.get(position=1)
    client.post(reverse("catalogues:item", kwargs={"pk": collection.pk, "item_id": first.pk}), {"action": "down"})
    assert collection.items.get(position=1).posting == three[1]
    second = collection.items.get(position=2)
    first = collection.items.get(position=1)
    client.post(reverse("catalogues:item", kwargs={"pk": collection.pk, "item_id": first.pk}), {"remove": "1"})
    assert list(collection.items.values_list("pk", "position")) == [(second.pk, 1)]
    client.post(reverse("catalogues:publish", kwargs={"pk": collection.pk}), {"published": "1"})
    collection.refresh_from_db()
    assert collection.status == "published"


def test_others_may_not_curate(client, collection, university):
    client.force_login(MembershipFactory(organization=university).user)
    item = collection.items.first()
    assert client.get(reverse("catalogues:edit", kwargs={"pk": collection.pk})).status_code == 403
    response = client.post(reverse("catalogues:item", kwargs={"pk": collection.pk, "item_id": item.pk}),
                           {"remove": "1"})  # fmt: skip
    assert response.status_code == 403 and collection.items.count() == 3
    assert client.get(reverse("catalogues:create")).status_code == 403


def test_the_pages_speak_chinese(client, collection):
    text = client.get(reverse("catalogues:detail", kwargs={"pk": collection.pk}), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = text.content.decode()
    assert "可打印目录" in body and "Printable catalogue" not in body


# --- API ----------------------------------------------------------------------------------------------------------


def test_the_api_reads_and_curates_through_the_same_rules(curator, collection, three, university):
    anonymous = APIClient()
    listed = anonymous.get(reverse("api:collection-list")).json()
    assert [row["id"] for row in listed["results"]] == [collection.pk]
    detail = anonymous.get(reverse("api:collection-detail", args=[collection.pk])).json()
    assert [item["posting"]["id"] for item in detail["items"]] == [p.pk for p in three]
    assert SECRET not in str(detail)
    client = APIClient()
    client.force_authenticate(curator)
    url = reverse("api:collection-reorder", args=[collection.pk])
    ids = [item["id"] for item in detail["items"]]
    assert client.post(url, {"order": ids[::-1]}, format="json").json()["items"][0]["posting"]["id"] == three[2].pk
    bad = client.post(reverse("api:collection-add", args=[collection.pk]), {"postings": [99999]}, format="json")
    assert bad.status_code == 400 and "postings" in str(bad.json())
    outsider = APIClient()
    outsider.force_authenticate(MembershipFactory(organization=university).user)
    refused = outsider.post(reverse("api:collection-publish", args=[collection.pk]), {"published": False},
                            format="json")  # fmt: skip
    assert refused.status_code == 403
    created = client.post(reverse("api:collection-list"), {
        "organizer": curator.organizations.get().pk, "kind": "needs", "title": "需求集",
    }, format="json")  # fmt: skip
    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert anonymous.get(reverse("api:collection-detail", args=[created.json()["id"]])).status_code == 404
    not_theirs = outsider.post(reverse("api:collection-list"), {
        "organizer": curator.organizations.get().pk, "kind": "needs", "title": "冒名",
    }, format="json")  # fmt: skip
    assert not_theirs.status_code == 403
