from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import City, Cluster, Domain, PartnerLink, Province


class ChildDomainInline(admin.TabularInline):
    model = Domain
    fk_name = "parent"
    fields = ("code", "name_zh", "name_en", "position")
    extra = 0
    verbose_name_plural = _("subdomains")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "parent", "position")
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name_zh", "name_en")
    ordering = ("position",)
    inlines = [ChildDomainInline]


class CityInline(admin.TabularInline):
    model = City
    fields = ("code", "name_zh", "short_zh", "name_en")
    extra = 0


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "short_zh", "name_en", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name_zh", "short_zh", "name_en")
    inlines = [CityInline]


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "province")
    list_filter = ("province",)
    search_fields = ("code", "name_zh", "short_zh", "name_en")
    list_select_related = ("province",)


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    filter_horizontal = ("provinces", "cities")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(PartnerLink)
class PartnerLinkAdmin(admin.ModelAdmin):
    list_display = ("__str__", "title", "signed_on")
    autocomplete_fields = ("province_a", "city_a", "province_b", "city_b")
    search_fields = ("title", "city_a__name_zh", "city_b__name_zh", "province_a__name_zh", "province_b__name_zh")
    fields = ("province_a", "city_a", "province_b", "city_b", "title", "signed_on", "note")
