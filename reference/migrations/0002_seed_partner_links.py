"""Seed the cooperation agreements the platform starts with; staff edit them in admin afterwards.

Jinan (济南) signed cooperation agreements with Lanzhou, Xining, Xi'an, Zhengzhou and Urumqi within the Yellow
River basin technology-transfer alliance. The reference rows are loaded first (the loader is idempotent), since
this migration runs before ``post_migrate``.
"""

from django.db import migrations

JINAN = ("370000", "370100")
PARTNERS = [
    ("620000", "620100"),  # 兰州 Lanzhou
    ("630000", "630100"),  # 西宁 Xining
    ("610000", "610100"),  # 西安 Xi'an
    ("410000", "410100"),  # 郑州 Zhengzhou
    ("650000", "650100"),  # 乌鲁木齐 Urumqi
]


def seed(apps, schema_editor):
    from reference.loaders import load_reference_data

    load_reference_data(apps=apps, using=schema_editor.connection.alias)
    PartnerLink = apps.get_model("reference", "PartnerLink")
    for province, city in PARTNERS:
        key_a, key_b = sorted([JINAN[1], city])
        ends = {JINAN[1]: JINAN, city: (province, city)}
        PartnerLink.objects.using(schema_editor.connection.alias).get_or_create(
            key_a=key_a,
            key_b=key_b,
            defaults={
                "province_a_id": ends[key_a][0],
                "city_a_id": ends[key_a][1],
                "province_b_id": ends[key_b][0],
                "city_b_id": ends[key_b][1],
                "title": "黄河流域技术转移协作协议",
            },
        )


def unseed(apps, schema_editor):
    PartnerLink = apps.get_model("reference", "PartnerLink")
    PartnerLink.objects.using(schema_editor.connection.alias).filter(key_a__in=["370100"]).delete()
    PartnerLink.objects.using(schema_editor.connection.alias).filter(key_b__in=["370100"]).delete()


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
