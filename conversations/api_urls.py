from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("threads", api.ThreadViewSet, basename="thread")

urlpatterns = router.urls
