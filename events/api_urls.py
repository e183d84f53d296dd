from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("events", api.EventViewSet, basename="event")
router.register("registrations", api.RegistrationViewSet, basename="registration")
router.register("presentations", api.PresentationApplicationViewSet, basename="presentation")
router.register("meetings", api.MeetingViewSet, basename="meeting")
router.register("schedule-plans", api.SchedulePlanViewSet, basename="schedule-plan")

urlpatterns = router.urls
