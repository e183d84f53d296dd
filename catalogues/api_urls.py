from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("collections", api.CollectionViewSet, basename="collection")

urlpatterns = router.urls
