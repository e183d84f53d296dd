from django.urls import path

from . import views

app_name = "brokers"

urlpatterns = [
    path("brokers/", views.broker_index, name="index"),
    path("brokers/appoint/", views.broker_appoint, name="appoint"),
    path("brokers/<int:pk>/", views.broker_detail, name="detail"),
    path("brokers/<int:pk>/revoke/", views.broker_revoke, name="revoke"),
]
