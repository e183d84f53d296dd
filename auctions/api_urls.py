from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("auctions", api.AuctionViewSet, basename="auction")
router.register("lots", api.LotViewSet, basename="lot")
router.register("auction-bidders", api.BidderRegistrationViewSet, basename="auction-bidder")

urlpatterns = router.urls
