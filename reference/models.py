"""Reference data: the two-level domain taxonomy, China's provinces, cities and regional clusters, and the
cooperation agreements between places. Loaded from ``reference/data/`` by ``migrate`` (see ``loaders.py``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    """A Chinese and an English name, with ``name`` in the active language."""

    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name  # in the reader's language: one language at a time

    @property
    def name(self) -> str:
        language = get_language() or "zh-hans"
        return self.name_zh if language.startswith("zh") else self.name_en


class Domain(BilingualName):
    code = models.SlugField(_("code"), max_length=64, primary_key=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        constraints = [models.CheckConstraint(condition=~Q(parent=F("code")), name="domain_not_own_parent")]

    @property
    def is_top_level(self) -> bool:
        return self.parent_id is None

    @property
    def top_level_code(self) -> str:
        return self.parent_id or self.code


class Province(BilingualName):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("municipality")
        PROVINCE = "province", _("province")
        AUTONOMOUS_REGION = "autonomous_region", _("autonomous region")
        SAR = "sar", _("special administrative region")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    short_zh = models.CharField(_("short Chinese name"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class City(BilingualName):
    code = models.CharField(_("code"), max_length=6, primary_key=True)
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="cities")
    short_zh = models.CharField(_("short Chinese name"), max_length=30)

    class Meta:
        ordering = ["code"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        if (get_language() or "zh-hans").startswith("zh"):
            return f"{self.name_zh}（{self.province.short_zh}）"
        return f"{self.name_en} ({self.province.name_en})"


class Cluster(BilingualName):
    """A regional cooperation cluster (Yangtze River Delta, G60 corridor, ...): whole provinces and single cities."""

    code = models.SlugField(_("code"), max_length=32, primary_key=True)
    provinces = models.ManyToManyField(Province, verbose_name=_("provinces"), blank=True, related_name="clusters")
    cities = models.ManyToManyField(City, verbose_name=_("cities"), blank=True, related_name="clusters")

    class Meta:
        ordering = ["code"]
        verbose_name = _("regional cluster")
        verbose_name_plural = _("regional clusters")


class PartnerLink(models.Model):
    """Two places (a province, or a city within it) that signed a cooperation agreement.

    The pair is unordered: ``save`` puts the two ends in a canonical order (``key_a`` < ``key_b``, each the city
    code when a city is given, else the province code), which the database then holds unique.
    """

    province_a = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+", verbose_name=_("province A"))
    city_a = models.ForeignKey(
        City, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("city A")
    )
    province_b = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+", verbose_name=_("province B"))
    city_b = models.ForeignKey(
        City, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("city B")
    )
    key_a = models.CharField(_("key A"), max_length=6, editable=False)
    key_b = models.CharField(_("key B"), max_length=6, editable=False)
    title = models.CharField(_("agreement"), max_length=200, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["key_a", "key_b"]
        verbose_name = _("partner link")
        verbose_name_plural = _("partner links")
        constraints = [
            models.CheckConstraint(condition=Q(key_a__lt=F("key_b")), name="partner_link_ordered_distinct_ends"),
            models.UniqueConstraint(fields=["key_a", "key_b"], name="partner_link_unique_pair"),
        ]

    def __str__(self) -> str:
        def label(province: Province, city: City | None) -> str:
            return city.name if city else province.name

        return f"{label(self.province_a, self.city_a)} ⇄ {label(self.province_b, self.city_b)}"

    def save(self, *args, **kwargs) -> None:
        a = self.end_key(self.province_a_id, self.city_a_id)
        b = self.end_key(self.province_b_id, self.city_b_id)
        if b < a:
            self.province_a_id, self.city_a_id, self.province_b_id, self.city_b_id = (
                self.province_b_id,
                self.city_b_id,
                self.province_a_id,
                self.city_a_id,
            )
            a, b = b, a
        self.key_a, self.key_b = a, b
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for side in ("a", "b"):
            city: City | None = getattr(self, f"city_{side}")
            province_id = getattr(self, f"province_{side}_id")
            if city is not None and province_id and city.province_id != province_id:
                errors[f"city_{side}"] = _("%(city)s is not in the chosen province.") % {"city": city.name_zh}
        if (
            not errors
            and self.province_a_id
            and self.province_b_id
            and self.end_key(self.province_a_id, self.city_a_id) == self.end_key(self.province_b_id, self.city_b_id)
        ):
            errors["province_b"] = _("A partner link joins two different places.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def end_key(province_id: str, city_id: str | None) -> str:
        return city_id or province_id
