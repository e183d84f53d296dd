from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("statistics/", views.statistics, name="statistics"),
]
