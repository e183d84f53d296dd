from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("domains", api.DomainViewSet, basename="domain")
router.register("provinces", api.ProvinceViewSet, basename="province")
router.register("clusters", api.ClusterViewSet, basename="cluster")

urlpatterns = router.urls
