from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("broker-appointments", api.BrokerAppointmentViewSet, basename="broker-appointment")

urlpatterns = router.urls
