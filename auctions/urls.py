from django.urls import path

app_name = "auctions"

urlpatterns: list = []
