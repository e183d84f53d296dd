from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("calls", api.CallViewSet, basename="call")
router.register("call-needs", api.CallNeedViewSet, basename="call-need")
router.register("call-proposals", api.CallProposalViewSet, basename="call-proposal")
router.register("call-invitations", api.CallInvitationViewSet, basename="call-invitation")

urlpatterns = router.urls
