from django.urls import path

app_name = "catalogues"

urlpatterns: list = []
