from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("achievements", api.AchievementViewSet, basename="achievement")
router.register("needs", api.NeedViewSet, basename="need")

urlpatterns = router.urls
