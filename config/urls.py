from typing import Any

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import language
from marketplace import views as marketplace_views


class ApiDocsView(SpectacularSwaggerSplitView):
    """The Swagger UI page: a page, but under /api/, so its errors (a POST, a client that accepts only JSON) are
    answered in JSON like the API's (core.api), not by its HTML renderer."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response) and response.exception:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("reference.api_urls")),
    path("", include("marketplace.api_urls")),
    path("", include("matching.api_urls")),
    path("", include("events.api_urls")),
    path("", include("catalogues.api_urls")),
    path("", include("brokers.api_urls")),
    path("", include("auctions.api_urls")),
    path("", include("calls.api_urls")),
    path("", include("conversations.api_urls")),
]

urlpatterns = [
    path("", marketplace_views.home, name="home"),
    path("", include("marketplace.urls")),
    path("", include("matching.urls")),
    path("", include("events.urls")),
    path("", include("catalogues.urls")),
    path("", include("brokers.urls")),
    path("", include("auctions.urls")),
    path("", include("calls.urls")),
    path("", include("conversations.urls")),
    path("", include("dashboard.urls")),
    path("alerts/", include("alerts.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", language.set_language, name="set_language"),  # also saves a signed-in user's choice
    path("i18n/visitor/", language.set_language_visitor, name="set_language_visitor"),  # pages kept for visitors
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]

# Under /api/ these answer in JSON, in the API's error shapes (core.api); elsewhere Django's pages.
handler400 = "core.api.bad_request"
handler403 = "core.api.permission_denied"
handler404 = "core.api.page_not_found"
handler500 = "core.api.server_error"

# In the reader's language, one at a time (the names are the header's and the page titles' of the site).
admin.site.site_header = gettext_lazy("Tech Match · Technology achievement market")
admin.site.site_title = gettext_lazy("Tech Match administration")

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
