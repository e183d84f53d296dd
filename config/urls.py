from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from marketplace import views as marketplace_views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("reference.api_urls")),
    path("", include("marketplace.api_urls")),
    path("", include("matching.api_urls")),
    path("", include("events.api_urls")),
]

urlpatterns = [
    path("", marketplace_views.home, name="home"),
    path("", include("marketplace.urls")),
    path("", include("matching.urls")),
    path("", include("events.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

admin.site.site_header = "技术成果对接平台 · Tech Match"
admin.site.site_title = "Tech Match admin"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
