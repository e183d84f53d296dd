from django.urls import path

from . import views

app_name = "auctions"

urlpatterns = [
    path("auctions/", views.auction_list, name="list"),
    path("auctions/new/", views.auction_create, name="create"),
    path("auctions/<int:pk>/", views.auction_detail, name="detail"),
    path("auctions/<int:pk>/status/", views.auction_status, name="status"),
    path("auctions/<int:pk>/lots/new/", views.lot_add, name="add-lot"),
    path("auctions/<int:pk>/register/", views.bidder_register, name="register"),
    path("auctions/<int:pk>/bidders/", views.bidders_page, name="bidders"),
    path(
        "auctions/<int:pk>/bidders/<int:registration_pk>/decide/", views.bidder_decide, name="decide-bidder"
    ),
    path("auctions/lots/<int:pk>/", views.lot_detail, name="lot"),
    path("auctions/lots/<int:pk>/bid/", views.lot_bid, name="bid"),
    path("auctions/lots/<int:pk>/withdraw/", views.lot_withdraw, name="withdraw-lot"),
    # Polled by static/js/auction-live.js: the price, the end and the user's standing.
    path("auctions/lots/<int:pk>/state.json", views.lot_state_json, name="lot-state"),
]
